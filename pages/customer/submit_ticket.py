"""Raise a ticket: category, priority, subject, description, attachments.

Once subject and description hold a few words, the help center's articles that may answer it
are offered under them; one opened (shown here, so nothing typed is lost) and no ticket raised
after counts as solved by that article. A form started from a conversation with the assistant
attaches that conversation to the ticket.

How the page is put together, and why:
- Subject and description are plain widgets in a fragment (`describe`), not in an st.form, whose
  values arrive only on submit: the suggestions follow the words as they are committed, and such
  a commit reruns the fragment alone. So the description committing as the pointer leaves it for
  "Submit ticket" neither redraws the button under the click nor cuts short the click's run (a
  fragment's rerun never interrupts a whole-page run).
- The suggestions sit in a box of fixed height, so their coming and going moves nothing below.
- Attachments and the button are an st.form: the button waits while files are still uploading
  (a plain one would raise the ticket without them), and a finished upload reruns nothing.
- The button's callback only notes the request; the page raises the ticket (`submit`), so a run
  cut short anyway leaves the note for the next one, and the form's submission key makes it
  count once."""
import uuid

import streamlit as st

from helpdesk.core.config import upload_policy
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import Priority
from helpdesk.knowledge.articles import get_article
from helpdesk.knowledge.assistant import attach_to_ticket, get_chat
from helpdesk.knowledge.suggestions import link_suggestions_to_ticket, record_suggestion_opened, suggest_articles
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.customer import DESCRIPTION_MAX, SUBJECT_MAX, TicketDraft, create_ticket
from helpdesk.ui.article_view import show_article
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import (apply_reset, attachments_input, field_error, form_errors, request_reset, uploader_key,
                               uploads_from)
from helpdesk.ui.plain_text import plain
from helpdesk.ui.raise_ticket import CHAT_KEY

EMPTY_FORM = {"submit_category": None, "submit_priority": Priority.NORMAL, "submit_subject": "", "submit_description": ""}
OPENED = "submit_suggestions_opened"  # slug -> the HelpEvent id of a suggestion opened for this ticket
READING = "submit_reading"  # the suggested article shown under the form, if one is
SUBMITTING = "submit_requested"  # "Submit ticket" was pressed and the ticket is not raised yet
SUGGESTIONS_HEIGHT = 190  # px: three titles and the line above them


def request_submit() -> None:
    st.session_state[SUBMITTING] = True


def submit() -> None:
    state = st.session_state
    chat_key = state.get(CHAT_KEY)
    try:
        with db_session() as session:
            user = require_user(session)
            draft = TicketDraft(category_id=state.get("submit_category"), priority=state.get("submit_priority"),
                                subject=state.get("submit_subject", ""),
                                description=state.get("submit_description", ""),
                                attachments=uploads_from(state.get(uploader_key("submit"))),
                                submission_key=state["submit_token"])
            ticket = create_ticket(session=session, actor=user, data=draft)
            if chat_key:
                try:
                    attach_to_ticket(session=session, actor=user, key=chat_key, ticket=ticket)
                except NotFound:
                    pass  # the conversation went meanwhile (it changed nothing before saying so)
            # Raised after all: the suggestions opened for it did not solve it.
            link_suggestions_to_ticket(session=session, actor=user, event_ids=list(state.get(OPENED, {}).values()),
                                       ticket=ticket)
            result = {"id": ticket.id, "reference": ticket.reference}
    except ValidationError as exc:
        # Everything typed stays in the widgets; only the messages change.
        state.pop(SUBMITTING, None)
        state["submit_errors"] = exc.field_errors
        return
    except Exception:
        state.pop(SUBMITTING, None)  # refused or failed: said once (run_page), not tried again
        raise
    state.pop(SUBMITTING, None)
    state.pop("submit_errors", None)
    state["submit_created"] = result
    state["submit_token"] = uuid.uuid4().hex
    for done in (CHAT_KEY, OPENED, READING):
        state.pop(done, None)
    request_reset("submit")  # a fresh, empty form for the next ticket


@st.fragment
def describe() -> None:
    """Subject, description, and the articles that may answer what they say."""
    errors = st.session_state.get("submit_errors")
    # No max_chars on what people paste into: the browser would drop an overlong paste silently;
    # the service keeps it and says at the field how much too long it is.
    subject = st.text_input("Subject", key="submit_subject", help=f"At most {SUBJECT_MAX} characters.",
                            placeholder="A short summary, e.g. “Invoice shows the wrong amount”")
    field_error(errors, "subject")
    description = st.text_area("Description", height=220, key="submit_description",
                               help=f"At most {DESCRIPTION_MAX:,} characters.",
                               placeholder="What happened, what you expected, and anything you already tried.")
    field_error(errors, "description")
    with db_session() as session:
        suggestions = suggest_articles(session=session, subject=subject, description=description)
    with st.container(border=True, height=SUGGESTIONS_HEIGHT, key="submit_suggestions"):
        if not suggestions:
            st.caption("Articles from our help center that may answer it show here as you describe the problem.")
            return
        st.markdown("**These articles may answer it:**")
        for match in suggestions:
            if st.button(plain(match.title), key=f"submit_suggestion_{match.slug}", icon=":material/article:",
                         type="tertiary"):
                try:
                    with db_session() as session:
                        user = require_user(session)
                        article = get_article(session=session, actor=user, slug=match.slug)
                        opened = st.session_state.setdefault(OPENED, {})
                        if match.slug not in opened:  # counted once per ticket being written
                            opened[match.slug] = record_suggestion_opened(session=session, actor=user,
                                                                          article=article)
                except NotFound:
                    return  # unpublished since: the next run no longer offers it
                st.session_state[READING] = match.slug
                st.rerun()  # the whole page: the article shows under the form


# One key per filled-in form: a double click re-sends the same key and finds the first ticket.
if "submit_token" not in st.session_state:
    st.session_state["submit_token"] = uuid.uuid4().hex

if st.session_state.get(SUBMITTING):
    submit()
apply_reset("submit", EMPTY_FORM)
with db_session() as session:
    user = require_user(session)
    categories = {c.id: c.name for c in list_categories(session=session)}
    if st.session_state.get(CHAT_KEY):
        try:
            get_chat(session=session, actor=user, key=st.session_state[CHAT_KEY])
        except NotFound:
            st.session_state.pop(CHAT_KEY)  # that conversation is gone: nothing to attach
    try:
        reading = get_article(session=session, actor=user, slug=st.session_state[READING]) \
            if READING in st.session_state else None
    except NotFound:  # unpublished since
        reading = None

st.title("Submit a ticket")
created = st.session_state.pop("submit_created", None)  # thanked once, not on every later visit
if created:
    st.success(f"Thank you! Your ticket **{created['reference']}** has been received. "
               "We'll keep you posted here and by e-mail.", icon=":material/check_circle:")
    st.page_link("pages/customer/ticket.py", label=f"Open {created['reference']}", icon=":material/confirmation_number:",
                 query_params={"ticket": str(created["id"])})

if not categories:
    st.info("Tickets can't be raised yet: an administrator has not set up any categories.")
    st.stop()

if st.session_state.get(CHAT_KEY):
    st.info("Started from your conversation with the assistant; the transcript will be attached for the agent.",
            icon=":material/forum:")

policy = upload_policy()
errors = st.session_state.get("submit_errors")
form_errors(errors)
st.selectbox("Category", options=list(categories), format_func=categories.get, index=None,
             placeholder="What is it about?", key="submit_category")
field_error(errors, "category")
# The default lives in session state only (with index= too, Streamlit warns on every run).
st.session_state.setdefault("submit_priority", Priority.NORMAL)
st.selectbox("Priority", options=list(Priority), format_func=lambda p: p.label, key="submit_priority",
             help="Urgent: you can't work at all. High: a serious problem. Normal: most questions.")
field_error(errors, "priority")
describe()

with st.form("submit_form", enter_to_submit=False, border=False):
    attachments_input(
        f"Attachments (optional: up to {policy.max_files} files, {policy.max_bytes // (1024 * 1024)} MB each)",
        "submit")
    field_error(errors, "attachments")
    st.form_submit_button("Submit ticket", type="primary", key="submit_button", on_click=request_submit)

if reading is not None:
    with st.container(border=True, key="submit_reading_article"):
        show_article(reading, as_page=False)
        st.caption("Did this answer it? Then there is no need to raise a ticket. If not, submit it above.")
        st.button("Close the article", key="submit_close_article", icon=":material/close:",
                  on_click=lambda: st.session_state.pop(READING, None))
