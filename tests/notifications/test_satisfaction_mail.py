"""The resolved mail carries a link to rate the help that works without signing in: in the text
and the HTML part, on the configured base URL, and the token in it rates that resolution. Through
the real services, the outbox and a real SMTP server on 127.0.0.1; SQLite and PostgreSQL."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.enums import TicketStatus
from helpdesk.notifications import sender
from helpdesk.tickets import assignment, customer, satisfaction, staff
from tests.conftest import TEST_BASE_URL
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_local_configuration")

CUSTOMER = "carla@example.com"
LINK = re.compile(re.escape(TEST_BASE_URL) + r"/rate\?token=[A-Za-z0-9._-]+")


def deliver(desk, server):
    before = len(server.messages)
    report = sender.send_due(desk.engine, server.settings(), limit=100)
    assert report.failed == report.retried == 0, report.errors
    return [m for m in server.messages[before:] if m.to == CUSTOMER]


def token_of(link: str) -> str:
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token


def test_the_resolved_mail_links_to_rating_in_text_and_html_and_the_link_works(desk, smtp_server):
    ticket_id = desk.raise_ticket(subject='<b>Printer</b> & "toner"')
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent.id)
    deliver(desk, smtp_server)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    [mail] = deliver(desk, smtp_server)

    assert mail.subject.endswith("- resolved")
    [text_link] = LINK.findall(mail.text)
    assert "Rate the help you got" in mail.text
    assert f'<a href="{html.escape(text_link)}">Rate the help you got</a>' in mail.html
    assert "&lt;b&gt;Printer&lt;/b&gt; &amp; &#34;toner&#34;" in mail.html  # user text stays escaped
    assert "<b>Printer</b>" not in mail.html

    with session_scope(desk.engine) as session:
        rated = satisfaction.rate_by_token(session=session, token=token_of(text_link), score=5, comment="Great.")
    assert (rated.ticket_id, rated.score, rated.agent_id) == (ticket_id, 5, desk.agent.id)


def test_each_resolution_mails_its_own_link_and_other_status_mails_none(desk, smtp_server):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.WAITING_ON_CUSTOMER)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    desk.act(desk.agent, customer.reopen_ticket, ticket_id=ticket_id)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.CLOSED)
    mails = deliver(desk, smtp_server)
    links = {m.subject.rsplit(" - ", 1)[1] + f"#{n}": LINK.findall(m.text) + LINK.findall(m.html)
             for n, m in enumerate(mails)}
    assert [len(found) for found in links.values()] == [0, 0, 2, 0, 2, 0]  # received, waiting, resolved, ...
    first, second = (token_of(found[0]) for found in links.values() if found)
    assert first != second

    # The first resolution's link lapsed with the reopen; the second's froze when the ticket closed.
    for token, why in ((first, satisfaction.REOPENED), (second, satisfaction.CLOSED)):
        with session_scope(desk.engine) as session, pytest.raises(ValidationError) as refused:
            satisfaction.rate_by_token(session=session, token=token, score=5)
        assert refused.value.field_errors == {"token": why}


def test_a_ticket_closed_without_a_resolution_mails_no_link(desk, smtp_server):
    """Closed without a resolution: the closing mail asks nothing (a closed ticket can't be rated)."""
    ticket_id = desk.raise_ticket()
    deliver(desk, smtp_server)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.CLOSED)
    [mail] = deliver(desk, smtp_server)
    assert mail.subject.endswith("- closed")
    assert not LINK.findall(mail.text) and "/rate" not in mail.html
