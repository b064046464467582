"""No traceback ever reaches the browser (issue 9, item 5): odd addresses and search text get
a clear page, a refused click says why, and anything unexpected shows a short reference that
the server log carries in full. AppTest, the app in this process."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text, update

from helpdesk.core.db import session_scope
from helpdesk.models import User
from helpdesk.ui.errors import SOMETHING_WENT_WRONG
from tests.page_helpers import messages, open_app, page_text, rerun

AGENT_TICKET = "pages/agent/ticket.py"
CUSTOMER_TICKET = "pages/customer/ticket.py"
REFERENCE = re.compile(r"reference: ([0-9A-F]{8})\.")


@pytest.mark.parametrize("reference", ["²", "%C2%B2", "CCR-²", "\x00", str(2**63), "-1"])
@pytest.mark.parametrize("who", ["customer", "agent"])
def test_an_odd_ticket_address_says_not_found(app_desk, who, reference):
    person = app_desk.customer if who == "customer" else app_desk.agent
    page = CUSTOMER_TICKET if who == "customer" else AGENT_TICKET
    at = open_app(person, ticket=reference, page=page)  # asserts no exception
    assert "Ticket not found" in page_text(at)


@pytest.mark.parametrize("typed", ["²", "a\x00b", "\u202e", str(2**70)])
def test_odd_text_in_the_queue_search_is_no_crash(app_desk, typed):
    app_desk.raise_ticket(subject="Charged twice")
    at = open_app(app_desk.agent, page="pages/agent/queue.py")
    at.text_input(key="queue_search").input(typed)
    rerun(at)  # asserts no exception
    assert not messages(at, "error") or all("Search" in m for m in messages(at, "error"))


def test_a_deactivated_agent_clicking_claim_is_told_and_nothing_changes(app_desk):
    ticket_id = app_desk.raise_ticket()
    at = open_app(app_desk.agent, ticket=ticket_id, page=AGENT_TICKET)
    with session_scope(app_desk.engine) as session:  # an admin deactivates Alex meanwhile
        session.execute(update(User).where(User.id == app_desk.agent.id).values(is_active=False))
    at.button(key="agent_claim").click()
    rerun(at)
    assert "Sign in first." in messages(at, "error")
    assert app_desk.ticket(ticket_id).assignee_id is None


def test_an_unexpected_failure_shows_a_reference_that_the_log_carries_with_the_traceback(app_desk, caplog):
    ticket_id = app_desk.raise_ticket()
    with session_scope(app_desk.engine) as session:  # a broken database: the page's query fails
        session.execute(text("DROP TABLE ticket_events"))
    with caplog.at_level(logging.ERROR, logger="helpdesk.ui"):
        at = open_app(app_desk.agent, ticket=ticket_id, page=AGENT_TICKET)  # asserts no exception element
    shown = [m for m in messages(at, "error") if m.startswith(SOMETHING_WENT_WRONG.split("{")[0][:40])]
    assert len(shown) == 1, messages(at, "error")
    reference = REFERENCE.search(shown[0]).group(1)
    assert "ticket_events" not in page_text(at) and "Traceback" not in page_text(at)
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "ticket_events" in str(logged[0].exc_info[1])


def test_the_app_never_sends_tracebacks_to_the_browser():
    from streamlit import config

    config._config_options = None  # read .streamlit/config.toml of this checkout afresh
    config.get_config_options(force_reparse=True)
    assert config.get_option("client.showErrorDetails") == "none"
