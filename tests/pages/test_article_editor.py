"""The staff article editor (pages/help/articles.py, AppTest): a draft only staff can see, then
published for everyone; a field error beside its field with everything typed kept; a colleague's
save first is a conflict that keeps what was typed; the list's filters; customers kept out."""
from __future__ import annotations

import pytest

from streamlit.testing.v1 import AppTest

from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied
from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.articles import (ARTICLE_CONFLICT, ArticleDraft, create_article, get_article,
                                         get_article_for_edit, list_articles, update_article)
from helpdesk.knowledge.search import search_articles
from helpdesk.models import User
from helpdesk.ui.article_markdown import article_markdown
from tests.conftest import TEST_BASE_URL
from tests.factories import add_category
from tests.page_helpers import (APP, RUN_TIMEOUT, fill, message_at, messages, open_app, page_text, rerun,
                                type_address)

PAGE = "pages/help/articles.py"
BODY = ("Select **Forgot password?** on the sign-in page and follow the link we e-mail you.\n\n"
        "## No e-mail?\n\nCheck your spam folder.")

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def open_editor(person, *, edit: str | int | None = None) -> AppTest:
    """The editor's address as a person opens it: /articles, or /articles?edit=<id>."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = person.id
    at.run()
    at.switch_page(PAGE)
    if edit is not None:
        at.query_params["edit"] = str(edit)
    return rerun(at)


def click(at, key: str) -> AppTest:
    at.button(key=key).click()
    return rerun(at)


def stored(desk, slug: str):
    return desk.act(desk.admin, get_article, slug=slug)


def customer_reads(desk, slug: str):
    """The article as the help center's service hands it to a customer (NotFound for a draft)."""
    return desk.act(desk.customer, get_article, slug=slug)


def help_page_title(person, slug: str) -> str:
    """The title a person reads at /help?article=<slug> (the help center's own page)."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = person.id
    at.run()
    at.switch_page("pages/help/center.py")
    at.query_params["article"] = slug
    return rerun(at).title[0].value


def published_matches(desk, question: str) -> list[str]:
    with session_scope(desk.engine) as session:
        return [m.slug for m in search_articles(session=session, question=question)]


def write_article(desk, **fields) -> int:
    data = dict(title="Reset your password", body=BODY, category_id=desk.category.id, tags=["password"],
                aliases=["I forgot my password"], status=ArticleStatus.PUBLISHED)
    data.update(fields)
    return desk.act(desk.admin, create_article, data=ArticleDraft(**data)).id


def test_a_new_article_is_a_draft_only_staff_see_until_it_is_published(app_desk):
    at = open_editor(app_desk.agent)
    assert "No articles yet." in page_text(at)
    click(at, "articles_new")
    fill(at, article_title="Reset your password", article_body=BODY, article_tags="Password, sign in, password",
         article_aliases="I forgot my password\n\nthe reset e-mail never arrives\n")
    at.selectbox(key="article_category").select(app_desk.category.id)
    click(at, "article_save")

    assert messages(at, "success") == ["Saved “Reset your password” as a draft: only staff can see it."]
    article = stored(app_desk, "reset-your-password")  # the address made from the title
    assert (article.status, article.tags, article.aliases) == (
        ArticleStatus.DRAFT, ["password", "sign in"], ["I forgot my password", "the reset e-mail never arrives"])
    assert at.query_params["edit"] in (str(article.id), [str(article.id)])
    assert at.text_input(key="article_slug").value == "reset-your-password"
    # Customers and visitors: not there, not listed, not found by search.
    with pytest.raises(NotFound):
        customer_reads(app_desk, "reset-your-password")
    assert app_desk.act(app_desk.customer, list_articles)[0] == 0
    assert published_matches(app_desk, "I forgot my password") == []
    assert help_page_title(app_desk.customer, "reset-your-password") == "Article not found"

    at.radio(key="article_status").set_value(ArticleStatus.PUBLISHED)
    click(at, "article_save")
    assert messages(at, "success") == ["Published “Reset your password”."]
    assert customer_reads(app_desk, "reset-your-password").title == "Reset your password"
    assert published_matches(app_desk, "I forgot my password")[0] == "reset-your-password"
    assert help_page_title(app_desk.customer, "reset-your-password") == "Reset your password"
    [link] = [link for link in at.get("page_link") if link.proto.label == "Open in the help center"]
    assert link.proto.page == f"{TEST_BASE_URL}/help?article=reset-your-password"

    click(at, "article_back")
    listed = at.dataframe[0].value.to_dict("records")
    assert [(r["Title"], r["Status"], r["Category"], r["Views"]) for r in listed] == [
        ("Reset your password", "Published", "Billing", 1)]  # Carla's reading once it was published


def test_the_preview_shows_the_markdown_as_readers_see_it(app_desk):
    at = open_editor(app_desk.agent, edit="new")
    assert "Nothing to preview yet: write the text first." in page_text(at)
    rerun(fill(at, article_title="Prices",
                   article_body="Plans cost **$5** or $10. ![chart](https://elsewhere.example/c.png)"))
    shown = [m.value for m in at.markdown]
    assert "Prices" in [t.value for t in at.title]
    assert "Plans cost **\\$5** or \\$10. \\![chart](https://elsewhere.example/c.png)" in shown
    assert [t.label for t in at.tabs] == ["Write", "Preview"]


def test_bad_input_is_refused_beside_its_field_and_everything_typed_stays(app_desk):
    at = open_editor(app_desk.agent, edit="new")
    fill(at, article_title="Reset your password", article_slug="Reset Password!", article_body=BODY,
         article_tags="password", article_aliases="I forgot my password")
    click(at, "article_save")

    assert message_at(at, "article_category") == "Choose a category."
    assert message_at(at, "article_slug").startswith("Use lowercase letters, digits and single hyphens")
    assert message_at(at, "article_title") is None and message_at(at, "article_body") is None
    assert (at.text_input(key="article_title").value, at.text_input(key="article_slug").value,
            at.text_area(key="article_body").value, at.text_input(key="article_tags").value,
            at.text_area(key="article_aliases").value) == (
        "Reset your password", "Reset Password!", BODY, "password", "I forgot my password")
    assert app_desk.act(app_desk.admin, list_articles)[0] == 0  # nothing saved

    at.selectbox(key="article_category").select(app_desk.category.id)
    fill(at, article_slug="")
    click(at, "article_save")
    assert message_at(at, "article_category") is None and message_at(at, "article_slug") is None
    assert stored(app_desk, "reset-your-password").body == BODY


def test_an_address_another_article_has_is_refused(app_desk):
    write_article(app_desk)
    at = open_editor(app_desk.agent, edit="new")
    fill(at, article_title="Reset your password", article_body="Another text.")
    at.selectbox(key="article_category").select(app_desk.category.id)
    click(at, "article_save")
    assert message_at(at, "article_slug") == "Another article already has the address “reset-your-password”."
    assert at.text_area(key="article_body").value == "Another text."


def colleague_saves_first(desk, article_id: int, **changes) -> None:
    """Bo opens the article and saves a change while Alex has it open."""
    with session_scope(desk.engine) as session:
        bo = session.get(User, desk.agent2.id)
        current = get_article_for_edit(session=session, actor=bo, article_id=article_id)
        data = ArticleDraft(title=current.title, body=current.body, category_id=current.category_id,
                            tags=list(current.tags), aliases=list(current.aliases), status=current.status,
                            slug=current.slug)
        for name, value in changes.items():
            setattr(data, name, value)
        update_article(session=session, actor=bo, article_id=article_id, data=data, expected_version=current.version)


def test_a_colleague_saving_first_is_a_conflict_that_keeps_what_was_typed(app_desk):
    article_id = write_article(app_desk)
    at = open_editor(app_desk.agent, edit=article_id)
    assert at.text_area(key="article_body").value == BODY
    colleague_saves_first(app_desk, article_id, body="Bo's text: use the Forgot password link.")
    fill(at, article_body="Alex's text: select Forgot password?")
    click(at, "article_save")

    assert ARTICLE_CONFLICT in messages(at, "error")
    assert at.text_area(key="article_body").value == "Alex's text: select Forgot password?"
    assert stored(app_desk, "reset-your-password").body == "Bo's text: use the Forgot password link."
    assert "Bo's text: use the Forgot password link." in [t.value for t in at.text]  # theirs, to compare

    # Saving again, having seen theirs, replaces it.
    click(at, "article_save")
    assert messages(at, "success") == ["Published “Reset your password”."]
    assert stored(app_desk, "reset-your-password").body == "Alex's text: select Forgot password?"
    assert ARTICLE_CONFLICT not in messages(at, "error")


def test_after_a_conflict_their_version_can_be_loaded_instead(app_desk):
    article_id = write_article(app_desk)
    at = open_editor(app_desk.agent, edit=article_id)
    colleague_saves_first(app_desk, article_id, title="Reset a forgotten password", status=ArticleStatus.DRAFT)
    fill(at, article_title="Forgot your password?")
    click(at, "article_save")
    click(at, "article_load_theirs")
    assert at.text_input(key="article_title").value == "Reset a forgotten password"
    assert at.radio(key="article_status").value == ArticleStatus.DRAFT
    assert ARTICLE_CONFLICT not in messages(at, "error")
    assert stored(app_desk, "reset-your-password").title == "Reset a forgotten password"


def test_the_list_filters_by_title_category_and_status(app_desk):
    shipping = add_category(app_desk.engine, "Shipping")
    write_article(app_desk)
    write_article(app_desk, title="Track your parcel", body="Use the tracking link.", category_id=shipping.id,
                  status=ArticleStatus.DRAFT)
    returns = write_article(app_desk, title="Return a parcel", body="Print the label.", category_id=shipping.id)
    at = open_editor(app_desk.agent)

    def titles():
        return [row["Title"] for row in at.dataframe[0].value.to_dict("records")] if at.dataframe else []

    assert titles() == ["Reset your password", "Return a parcel", "Track your parcel"]  # by category, then title
    at.selectbox(key="articles_status_filter").select(ArticleStatus.DRAFT)
    rerun(at)
    assert titles() == ["Track your parcel"]
    at.selectbox(key="articles_status_filter").select(None)
    at.selectbox(key="articles_category_filter").select(shipping.id)
    rerun(at)
    assert titles() == ["Return a parcel", "Track your parcel"]
    fill(at, articles_title_filter="RETURN")
    rerun(at)
    assert titles() == ["Return a parcel"]
    # Into an article (as a click on its row does) and back: the list is as it was left.
    at.query_params["edit"] = str(returns)
    rerun(at)
    assert at.text_input(key="article_title").value == "Return a parcel"
    click(at, "article_back")
    assert titles() == ["Return a parcel"]
    assert at.selectbox(key="articles_category_filter").value == shipping.id
    fill(at, articles_title_filter="nothing like it")
    rerun(at)
    assert titles() == [] and "No article matches these filters." in messages(at, "info")


def test_a_long_list_comes_in_pages(app_desk):
    with session_scope(app_desk.engine) as session:
        admin = session.get(User, app_desk.admin.id)
        for n in range(51):
            create_article(session=session, actor=admin, data=ArticleDraft(
                title=f"Article {n:02d}", body="Text.", category_id=app_desk.category.id))
    at = open_editor(app_desk.agent)
    assert len(at.dataframe[0].value) == 50
    at.number_input(key="articles_page").set_value(2)
    rerun(at)
    assert at.dataframe[0].value["Title"].tolist() == ["Article 50"]


def test_an_unknown_article_says_so(app_desk):
    at = open_editor(app_desk.agent, edit=999)
    assert "Article not found" in page_text(at)
    assert not [w for w in at.text_input if w.key == "article_title"]


def test_customers_are_kept_out_of_the_editor_and_its_services(app_desk):
    at = open_app(app_desk.customer)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    type_address(at, "articles")
    assert "That page is for support staff." in " ".join(messages(at, "info"))
    assert not [w for w in at.text_input if w.key and w.key.startswith("article")]
    with pytest.raises(PermissionDenied):
        app_desk.act(app_desk.customer, create_article, data=ArticleDraft(
            title="Free money", body="Text.", category_id=app_desk.category.id, status=ArticleStatus.PUBLISHED))


def test_article_markdown_leaves_code_as_written():
    body = "Costs $5.\n\n```\n![not an image](x.png) $HOME\n```\n\nRun `echo $PATH` then ![img](y.png)"
    assert article_markdown(body) == ("Costs \\$5.\n\n```\n![not an image](x.png) $HOME\n```\n\n"
                                      "Run `echo $PATH` then \\![img](y.png)")


def test_a_control_character_in_the_title_filter_finds_nothing_odd_and_never_crashes(engine):
    """A NUL pasted into the filter (or typed into the address) is dropped, as ticket search drops it:
    PostgreSQL would refuse it in a query."""
    from tests.factories import Desk
    from tests.knowledge.corpus import publish_corpus

    from helpdesk.core.db import session_scope
    from helpdesk.knowledge.articles import list_articles
    from helpdesk.models import User

    desk = Desk.build(engine)
    publish_corpus(desk)
    with session_scope(engine) as session:
        total, rows = list_articles(session=session, actor=session.get(User, desk.agent.id), title_contains="inv\x00oice")
    assert total == 1 and rows[0].slug == "download-an-invoice"
