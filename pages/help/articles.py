"""Support staff: the help center's guideline articles. The list of every article (drafts and
published) with how often each was read and found helpful; "New article" and the editor, with
a preview of the Markdown as readers will see it.

The editor's fields live in session state: a refused save (a field error, or someone else
saved meanwhile) changes nothing in them. The version the editor opened is passed to every save,
so nobody overwrites a colleague's edit without having seen it."""
import streamlit as st

from helpdesk.access import is_plausible_id
from helpdesk.core.config import base_url
from helpdesk.core.errors import ConflictError, NotFound, ValidationError
from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.articles import (ALIASES_MAX, ARTICLE_CONFLICT, BODY_MAX, TAGS_MAX, TITLE_MAX, ArticleDraft,
                                         create_article, get_article_for_edit, list_articles, slugify, split_list,
                                         update_article)
from helpdesk.tickets.categories import list_categories
from helpdesk.ui.address_state import enum_field, int_field, publish, restore, text_field
from helpdesk.ui.article_markdown import show_article_body
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import field_error, form_errors
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.paging import page_offset, page_picker
from helpdesk.ui.plain_text import plain

PAGE_SIZE = 50
NEW = "new"
# The list's filters and page live in the address too: back from an article, the list is as it was left.
ADDRESS = "articles"
LIST_FIELDS = [text_field("articles_title_filter", "q", max_length=TITLE_MAX),
               int_field("articles_category_filter", "category"),
               enum_field("articles_status_filter", "status", ArticleStatus),
               int_field("articles_page", "page", maximum=100_000, widget=False)]
# The editor's widgets, and what an empty one holds.
FIELDS = {"article_title": "", "article_category": None, "article_slug": "", "article_tags": "",
          "article_aliases": "", "article_status": ArticleStatus.DRAFT, "article_body": ""}
LOADED = "article_loaded"  # which article the fields hold: NEW or its id
VERSION = "article_version"  # the version they were loaded from (passed to the save)
ERRORS = "article_errors"
THEIRS = "article_theirs"  # a colleague's version, after a save that met it


def editing_target() -> str | int | None:
    """What the address asks to edit: NEW, an article id, or None (the list). Anything else is
    an id no article has."""
    raw = st.query_params.get("edit")
    if raw is None:
        return None
    if raw == NEW:
        return NEW
    return int(raw) if raw.isascii() and raw.isdigit() and is_plausible_id(int(raw)) else 0


def fields_of(article) -> dict:
    return {"article_title": article.title, "article_category": article.category_id, "article_slug": article.slug,
            "article_tags": ", ".join(article.tags or []), "article_aliases": "\n".join(article.aliases or []),
            "article_status": article.status, "article_body": article.body}


def open_list() -> None:
    st.query_params.pop("edit", None)
    st.session_state.pop(LOADED, None)
    st.session_state.pop(THEIRS, None)
    st.session_state.pop(ERRORS, None)
    st.session_state["articles_list_generation"] = st.session_state.get("articles_list_generation", 0) + 1


target = editing_target()
if target is None:
    restore(ADDRESS, LIST_FIELDS)

with db_session() as session:
    user = require_user(session)
    if not user.is_staff:
        st.warning("This page is for support staff.")
        st.stop()
    categories = {c.id: c.name if c.is_active else f"{c.name} (retired)"
                  for c in list_categories(session=session, actor=user, include_inactive=True)}
    active_categories = [c.id for c in list_categories(session=session)]
    article = None
    if isinstance(target, int):
        try:
            article = get_article_for_edit(session=session, actor=user, article_id=target)
        except NotFound:
            article = None
        else:
            loaded_fields, loaded_version = fields_of(article), article.version
            facts = (article.updated_at, article.view_count, article.helpful_count, article.not_helpful_count,
                     article.status, article.slug)
    if target is None:
        if st.session_state.get("articles_category_filter") not in (None, *categories):
            st.session_state["articles_category_filter"] = None  # from an old address: that category is gone
        filter_category = st.session_state.get("articles_category_filter")
        filter_status = st.session_state.get("articles_status_filter")
        offset = page_offset(key="articles_page", page_size=PAGE_SIZE)
        total, listing = list_articles(session=session, actor=user, category_id=filter_category,
                                       status=filter_status, title_contains=st.session_state.get(
                                           "articles_title_filter", ""), limit=PAGE_SIZE, offset=offset)
        everything = total if not (filter_category or filter_status or st.session_state.get(
            "articles_title_filter", "").strip()) else None

# --- the list ------------------------------------------------------------------------------
if target is None:
    st.title("Help center articles")
    show_notice("article_notice")
    st.button("New article", key="articles_new", type="primary", icon=":material/add:",
              on_click=lambda: st.query_params.update(edit=NEW))
    if everything == 0:
        st.info("No articles yet. Write the first with “New article”, or import a folder of Markdown files on the "
                "server with `python -m helpdesk kb import DIR`.", icon=":material/info:")
        st.stop()
    title_col, category_col, status_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    title_col.text_input("Title contains", key="articles_title_filter", max_chars=TITLE_MAX,
                         placeholder="Search the titles")
    category_col.selectbox("Category", options=[None, *categories], key="articles_category_filter",
                           format_func=lambda c: "All categories" if c is None else categories[c])
    status_col.selectbox("Status", options=[None, *ArticleStatus], key="articles_status_filter",
                         format_func=lambda s: "Drafts and published" if s is None else s.label)
    publish(ADDRESS, LIST_FIELDS, {"articles_title_filter": "", "articles_page": 1})
    if not listing:
        st.info("No article matches these filters.", icon=":material/info:")
        page_picker(total=total, page_size=PAGE_SIZE, key="articles_page")
        st.stop()
    st.caption(f"{total:,} article{'s' if total != 1 else ''}. Click one to edit it.")
    rows = [{"Title": a.title, "Status": a.status.label, "Category": a.category, "Updated": when(a.updated_at),
             "Views": a.view_count, "Helpful": a.helpful_count, "Not helpful": a.not_helpful_count}
            for a in listing]
    # A new key after each trip into an article: the row picked then is not picked on the way back.
    picked = st.dataframe(rows, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=f"articles_list_{st.session_state.get('articles_list_generation', 0)}",
                          column_config={"Title": st.column_config.TextColumn(width="large"),
                                         "Views": st.column_config.NumberColumn(width="small"),
                                         "Helpful": st.column_config.NumberColumn(width="small"),
                                         "Not helpful": st.column_config.NumberColumn(width="small")})
    page_picker(total=total, page_size=PAGE_SIZE, key="articles_page")
    if picked and picked.selection.rows:
        st.query_params["edit"] = str(listing[picked.selection.rows[0]].id)
        st.rerun()
    st.stop()

# --- one article -----------------------------------------------------------------------------
st.button("All articles", key="article_back", icon=":material/arrow_back:", type="tertiary", on_click=open_list)
if target != NEW and article is None:
    st.title("Article not found")
    st.warning("There is no article with this number.")
    st.stop()

state = st.session_state
# A fresh visit (another article, or back from another page, which drops the widgets): the
# fields start from the article as it is. Otherwise they hold what was typed.
reload = state.pop("article_reload", False)  # after our own save: the fields as saved
if reload or state.get(LOADED) != target or "article_title" not in state:
    for key, value in (FIELDS if target == NEW else loaded_fields).items():
        state[key] = value
    state[LOADED] = target
    state[VERSION] = None if target == NEW else loaded_version
    state.pop(ERRORS, None)
    state.pop(THEIRS, None)

st.title("New article" if target == NEW else plain(state["article_title"] or "Untitled article"))
show_notice("article_notice")
if target != NEW:
    updated_at, views, helpful, not_helpful, saved_status, saved_slug = facts
    st.caption(f"{saved_status.label} · last saved {when(updated_at)} · {views:,} views · "
               f"helpful {helpful:,} / not helpful {not_helpful:,}")
    # Staff can read a draft there too: the reader's view, at the address customers get.
    st.page_link(f"{base_url()}/help?article={saved_slug}", label="Open in the help center",
                 icon=":material/open_in_new:")

theirs = state.get(THEIRS)
if theirs is not None:
    st.error(ARTICLE_CONFLICT, icon=":material/sync_problem:")
    st.caption("What you typed is still in the fields below. Save again to replace their version with yours, "
               "or load theirs instead.")
    with st.expander(plain(f"Their version, saved {when(theirs['updated_at'])}"), expanded=True,
                     key="article_theirs_box"):
        st.text(f"{theirs['article_title']}  ({theirs['article_status'].label})")
        st.text(theirs["article_body"])

    def load_theirs() -> None:
        # A callback: the fields can only be refilled before they are drawn.
        saved = st.session_state.pop(THEIRS)
        for key in FIELDS:
            st.session_state[key] = saved[key]
        st.session_state[VERSION] = saved["version"]
        st.session_state.pop(ERRORS, None)

    st.button("Discard my changes and load theirs", key="article_load_theirs", icon=":material/restore:",
              on_click=load_theirs)

errors = state.get(ERRORS)
form_errors(errors)
if not active_categories and target == NEW:
    st.info("There is no category yet: an administrator creates them under Administration → Categories.",
            icon=":material/info:")

title = st.text_input("Title", key="article_title", max_chars=TITLE_MAX,
                      placeholder="e.g. Reset your password")
field_error(errors, "title")
category_options = list(active_categories)
if state.get("article_category") is not None and state["article_category"] not in category_options:
    category_options.append(state["article_category"])  # a retired category still shows on its articles
# Two abreast on a desktop; one above the other on a phone (columns stack there).
category_col, status_col = st.columns(2)
with category_col:
    category_id = st.selectbox("Category", options=category_options, key="article_category",
                               format_func=lambda c: categories.get(c, "(removed)"), index=None,
                               placeholder="Choose a category")
    field_error(errors, "category")
with status_col:
    status = st.radio("Status", options=list(ArticleStatus), key="article_status", horizontal=True,
                      format_func=lambda s: {ArticleStatus.DRAFT: "Draft (staff only)",
                                             ArticleStatus.PUBLISHED: "Published (everyone)"}[s])
    field_error(errors, "status")
slug_col, tags_col = st.columns(2)
with slug_col:
    slug = st.text_input("Address (optional)", key="article_slug", max_chars=120,
                         placeholder=slugify(title) or "made from the title",
                         help="The article's address in the help center: /help?article=… Lowercase letters, "
                              "digits and hyphens. Left empty, it is made from the title. Changing it breaks links "
                              "already sent to customers.")
    field_error(errors, "slug")
with tags_col:
    tags = st.text_input("Tags (comma separated)", key="article_tags", placeholder="e.g. password, sign in",
                         help=f"Words customers use for this topic; search weighs them above the text. "
                              f"At most {TAGS_MAX}.")
    field_error(errors, "tags")
aliases = st.text_area("Also asked as (one phrasing per line)", key="article_aliases", height=110,
                       placeholder="I forgot my password\nthe reset e-mail never arrives",
                       help="How customers put the question in their own words; search weighs them like the "
                            f"title. At most {ALIASES_MAX}.")
field_error(errors, "aliases")

write_tab, preview_tab = st.tabs(["Write", "Preview"], key="article_body_tabs")
with write_tab:
    body = st.text_area("Text (Markdown)", key="article_body", height=420, max_chars=BODY_MAX,
                        help="Headings (##), lists, **bold** and links. The first paragraph should answer the "
                             "question on its own: the assistant quotes it.")
    field_error(errors, "body")
with preview_tab:
    if body.strip():
        with st.container(border=True, key="article_preview"):
            # As the help center shows it (helpdesk/ui/article_view.py): the title, then the text.
            st.title(plain(title or "Untitled article"), anchor=False)
            show_article_body(body)
    else:
        st.caption("Nothing to preview yet: write the text first.")

if st.button("Save", key="article_save", type="primary", icon=":material/save:"):
    draft = ArticleDraft(title=title, body=body, category_id=category_id, tags=split_list(tags),
                         aliases=split_list(aliases, separator="\n"), status=status, slug=slug)
    try:
        with db_session() as session:
            if target == NEW:
                saved = create_article(session=session, actor=user, data=draft)
            else:
                saved = update_article(session=session, actor=user, article_id=target, data=draft,
                                       expected_version=state[VERSION])
            saved_id, saved_title, saved_status = saved.id, saved.title, saved.status
    except ValidationError as exc:
        state[ERRORS] = exc.field_errors
    except ConflictError:
        with db_session() as session:
            current = get_article_for_edit(session=session, actor=user, article_id=target)
            state[THEIRS] = {**fields_of(current), "version": current.version, "updated_at": current.updated_at}
        # Theirs is the version now seen: saving again is a choice made knowing it is there.
        state[VERSION] = state[THEIRS]["version"]
        state.pop(ERRORS, None)
    else:
        state["article_reload"] = True  # e.g. the address made from the title
        state[LOADED] = saved_id
        st.query_params["edit"] = str(saved_id)
        leave_notice("article_notice", f"Published “{saved_title}”." if saved_status == ArticleStatus.PUBLISHED
                     else f"Saved “{saved_title}” as a draft: only staff can see it.")
    st.rerun()
