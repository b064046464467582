"""The help center, for everyone (signed in or not): search the guideline articles, browse them
by category, and read one at /help?article=<slug>, with "Did this help?".

The search and the category are kept in the address (?q=…, ?category=…) like the article, so
any view can be bookmarked or shared. Staff see drafts too, marked as such; for anyone else a
draft's address reads as no article at all."""
import streamlit as st

from helpdesk.core.errors import NotFound
from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.articles import article_categories, get_article, list_articles, record_feedback, record_view
from helpdesk.knowledge.search import search_articles
from helpdesk.ui.address_state import address_of, int_field, publish, restore, text_field
from helpdesk.ui.article_view import show_article, updated_on
from helpdesk.ui.auth import current_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.plain_text import plain
from helpdesk.ui.raise_ticket import offer_ticket

HELP_PAGE = "pages/help/center.py"
ASSISTANT_PAGE = "pages/help/assistant.py"
ADDRESS = "help"
SEARCH_MAX = 300
ADDRESS_FIELDS = [text_field("help_search", "q", max_length=SEARCH_MAX), int_field("help_category", "category")]
RESULTS_MAX = 10
BROWSE_MAX = 300  # articles listed at once; past that the person narrows by category or searches
VIEWED = "help_viewed"  # slugs read in this browser session: a view is counted once
ANSWERED = "help_answered"  # slug -> the "Did this help?" answer given in this browser session


def offer_more_help(user, *, key: str) -> None:
    """The assistant (for customers and visitors: staff have the editor) and raising a ticket."""
    with st.container(horizontal=True, key=f"{key}_offers"):
        if user is None or not user.is_staff:
            st.page_link(ASSISTANT_PAGE, label="Ask the assistant", icon=":material/chat:")
        offer_ticket(user, key=f"{key}_sign_in")


# --- one article ----------------------------------------------------------------------------------
slug = st.query_params.get("article")
if slug is not None:
    viewed = st.session_state.setdefault(VIEWED, set())
    with db_session() as session:
        user = current_user(session)
        try:
            article = get_article(session=session, actor=user, slug=slug)
        except NotFound:
            article = None
        else:
            if slug not in viewed:
                record_view(session=session, actor=user, article=article)
    if article is not None:
        viewed.add(slug)  # only once the view is saved

    st.page_link(HELP_PAGE, label="Help center", icon=":material/arrow_back:", query_params=address_of(ADDRESS))
    if article is None:
        st.title("Article not found")
        st.warning("There is no such article in the help center: it may have been moved or taken down. "
                   "Search the help center for what you were looking for.", icon=":material/search_off:")
        st.stop()
    show_article(article)

    st.divider()
    if article.status != ArticleStatus.PUBLISHED:
        st.caption("Readers are asked “Did this help?” here once the article is published.")
        st.stop()
    answered = st.session_state.setdefault(ANSWERED, {})
    if slug in answered:
        st.success("Thanks for telling us.", icon=":material/check_circle:")
        if not answered[slug]:
            st.write("Sorry it didn't answer your question. The assistant may find another article, or our team "
                     "can help you directly.")
            offer_more_help(user, key="help_not_helped")
        st.stop()
    st.markdown("**Did this help?**")
    with st.container(horizontal=True, key="help_feedback"):
        yes = st.button("Yes", key="help_helpful_yes", icon=":material/thumb_up:")
        no = st.button("No", key="help_helpful_no", icon=":material/thumb_down:")
    if yes or no:
        with db_session() as session:
            user = current_user(session)
            record_feedback(session=session, actor=user, article=get_article(session=session, actor=user, slug=slug),
                            helpful=yes)
        answered[slug] = yes
        st.rerun()
    st.stop()

# --- search and browse ----------------------------------------------------------------------------
restore(ADDRESS, ADDRESS_FIELDS)
with db_session() as session:
    user = current_user(session)
    shelves = {shelf.id: shelf for shelf in article_categories(session=session, actor=user)}
    query = " ".join(st.session_state.get("help_search", "").split())
    if query or st.session_state.get("help_category") not in (None, *shelves):
        # A search looks through every category (the picker is not shown meanwhile), and a category
        # from an old address may hold no articles now. Kept as None rather than dropped, so the
        # address logic knows this is still the same visit.
        st.session_state["help_category"] = None
    results = search_articles(session=session, question=query, limit=RESULTS_MAX) if query else []
    listed, listing = list_articles(session=session, actor=user, category_id=st.session_state.get("help_category"),
                                    limit=BROWSE_MAX) if not query and shelves else (0, [])

st.title("Help center")
if not shelves:
    st.info("No articles have been published yet.", icon=":material/info:")
    offer_more_help(user, key="help_empty")
    st.stop()

st.text_input("Search the help center", key="help_search", max_chars=SEARCH_MAX, icon=":material/search:",
              placeholder="Describe the problem in your own words, e.g. “I forgot my password”")

if query:
    if results:
        st.caption(f"Best match first, for “{plain(query)}”")
        for match in results:
            with st.container(key=f"help_result_{match.slug}", gap="xxsmall"):
                st.page_link(HELP_PAGE, label=plain(match.title), icon=":material/article:",
                             query_params={"article": match.slug})
                shelf = shelves.get(match.category_id)
                if shelf is not None:
                    st.caption(plain(shelf.name))
        st.divider()
        st.caption("Not what you were looking for?")
    else:
        st.info(f"No article in the help center answers “{plain(query)}”. Try other words, ask the assistant, "
                "or raise a ticket and our team will answer you.", icon=":material/search_off:")
    offer_more_help(user, key="help_search")
else:
    st.pills("Browse by category", options=list(shelves), key="help_category",
             format_func=lambda cid: f"{plain(shelves[cid].name)} ({shelves[cid].articles})")
    shown = None
    for row in listing:
        if row.category_id != shown:
            shown = row.category_id
            st.subheader(plain(row.category), anchor=False)
        draft = row.status == ArticleStatus.DRAFT
        st.page_link(HELP_PAGE, label=plain(row.title) + (" (draft)" if draft else ""),
                     icon=":material/edit_note:" if draft else ":material/article:",
                     query_params={"article": row.slug}, help=f"Updated {updated_on(row.updated_at)}")
    if listed > len(listing):
        st.caption(f"The first {len(listing):,} of {listed:,} articles: pick a category or search to find the rest.")
    if user is None or not user.is_staff:
        st.divider()
        st.caption("Can't find what you need?")
        offer_more_help(user, key="help_browse")

publish(ADDRESS, ADDRESS_FIELDS, defaults={"help_search": "", "help_category": None})
