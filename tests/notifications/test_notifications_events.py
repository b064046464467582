"""Who hears about what, by e-mail: every event through the real services, the outbox and a
real SMTP server on 127.0.0.1. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import OutboxStatus, Priority, TicketStatus
from helpdesk.models import AgentSkill, OutboxMessage, Ticket, User
from helpdesk.notifications import outbox, sender
from helpdesk.tickets import assignment, customer as tickets_customer, staff
from tests.factories import give_skills
from tests.smtp_server import ReceivedMail, smtp_server  # noqa: F401  (fixture)

BASE_URL = "https://help.example.test"
CUSTOMER = "carla@example.com"
ALEX = "alex@support.example.com"  # the agent with the skill
BO = "bo@support.example.com"  # the agent without
ADA = "ada@support.example.com"
# The ticket the mails below are about.
PRINTER_ON_FIRE = {"subject": "Printer on fire", "description": "Smoke everywhere.", "priority": Priority.HIGH}

pytestmark = pytest.mark.usefixtures("no_local_configuration")


@pytest.fixture(autouse=True)
def _alex_handles_billing(desk):
    """Automatic assignment and new-ticket mail go to Alex; Bo (the other agent) has no skill."""
    give_skills(desk.engine, desk.agent, desk.category)


def deliver(desk, server) -> list[ReceivedMail]:
    """Run the sender once and return the mails this pass delivered."""
    before = len(server.messages)
    report = sender.send_due(desk.engine, server.settings(), limit=100)
    assert report.failed == report.retried == 0, report.errors
    return server.messages[before:]


def by_recipient(mails: list[ReceivedMail]) -> dict[str, ReceivedMail]:
    found = {}
    for mail in mails:
        assert mail.to not in found, f"two mails to {mail.to} in one pass"
        found[mail.to] = mail
    return found


def ticket_link(ticket_id: int) -> str:
    return f"{BASE_URL}/ticket_view?ticket={ticket_id}"


def assert_well_formed(mail: ReceivedMail, ticket_id: int) -> None:
    """Text and HTML part, both with the direct link, and nothing attached."""
    assert mail.attachments == []
    assert ticket_link(ticket_id) in mail.text
    assert f'href="{ticket_link(ticket_id)}"' in mail.html
    assert mail.message["From"] == "Helpdesk <helpdesk@example.com>"


# --- ticket created ---------------------------------------------------------------------

def test_new_unassigned_ticket_confirms_to_the_customer_and_tells_the_category_agents(desk, smtp_server):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {CUSTOMER, ALEX}  # not Bo (no skill), not the admin
    confirmation = mails[CUSTOMER]
    assert confirmation.subject == "[CCR-000001] Printer on fire - received"
    assert "we received your ticket CCR-000001" in confirmation.text
    assert "Smoke everywhere." in confirmation.text and "Smoke everywhere." in confirmation.html
    assert_well_formed(confirmation, ticket_id)

    heads_up = mails[ALEX]
    assert heads_up.subject == "[CCR-000001] Printer on fire - new unassigned ticket"
    assert "Carla Customer raised CCR-000001 in Billing (High priority)" in heads_up.text
    assert_well_formed(heads_up, ticket_id)


def test_a_category_nobody_covers_tells_every_agent(desk, smtp_server):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    with session_scope(desk.engine) as session:
        session.query(AgentSkill).delete()
    desk.raise_ticket(**PRINTER_ON_FIRE)
    assert set(by_recipient(deliver(desk, smtp_server))) == {CUSTOMER, ALEX, BO}


def test_automatically_assigned_ticket_tells_the_assignee_and_confirms_once_to_the_customer(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)  # auto-assignment is on by default: Alex has the skill
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {CUSTOMER, ALEX}
    assert mails[CUSTOMER].subject == "[CCR-000001] Printer on fire - received"
    assert "Alex Agent is handling it." in mails[CUSTOMER].text
    assert mails[ALEX].subject == "[CCR-000001] Printer on fire - assigned to you"
    assert "You were assigned CCR-000001." in mails[ALEX].text
    assert_well_formed(mails[ALEX], ticket_id)


# --- assignment -------------------------------------------------------------------------

def test_assignment_tells_the_assignee_and_the_customer_who_handles_it(desk, smtp_server):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent2.id)
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {BO, CUSTOMER}
    assert mails[BO].subject == "[CCR-000001] Printer on fire - assigned to you"
    assert "Ada Admin assigned CCR-000001 to you." in mails[BO].text
    assert mails[CUSTOMER].subject == "[CCR-000001] Printer on fire - handled by Bo Agent"
    assert "is being handled by Bo Agent" in mails[CUSTOMER].text
    assert "is being handled by Bo Agent" in mails[CUSTOMER].html
    assert_well_formed(mails[CUSTOMER], ticket_id)


def test_claiming_a_ticket_does_not_mail_the_agent_who_took_it(desk, smtp_server):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket_id)
    assert set(by_recipient(deliver(desk, smtp_server))) == {CUSTOMER}


# --- replies and notes ------------------------------------------------------------------

def test_public_reply_reaches_the_customer_with_the_reply_and_the_link(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Please unplug it.\nThen wait a minute.")
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {CUSTOMER}
    reply = mails[CUSTOMER]
    assert reply.subject == "[CCR-000001] Printer on fire - new reply"
    assert "Alex Agent replied to your ticket CCR-000001" in reply.text
    assert "Please unplug it.\nThen wait a minute." in reply.text
    assert "Please unplug it.\nThen wait a minute." in reply.html
    assert_well_formed(reply, ticket_id)


def test_internal_notes_never_reach_the_customer(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    desk.act(desk.agent, staff.add_internal_note, ticket_id=ticket_id, body="Customer broke it themselves, secretly.")
    assert deliver(desk, smtp_server) == []
    with session_scope(desk.engine) as session:
        bodies = session.scalars(select(OutboxMessage.text_body)).all()
        assert not any("secretly" in body for body in bodies)
        # Even called directly with a note, the enqueue function refuses.
        note = session.scalars(select(tickets_customer.TicketMessage).where(tickets_customer.TicketMessage.is_public.is_(False))).one()
        ticket = session.get(Ticket, ticket_id)
        assert outbox.notify_public_reply(session=session, ticket=ticket, message=note) == []
    assert all("secretly" not in m.text and "secretly" not in m.html for m in smtp_server.messages)


def test_customer_reply_reaches_the_assignee(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    desk.act(desk.customer, tickets_customer.add_customer_reply, ticket_id=ticket_id, body="It is still smoking.")
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {ALEX}
    assert mails[ALEX].subject == "[CCR-000001] Printer on fire - customer replied"
    assert "It is still smoking." in mails[ALEX].text
    assert "It is still smoking." in mails[ALEX].html
    assert_well_formed(mails[ALEX], ticket_id)


# --- status changes ---------------------------------------------------------------------

def change_status(desk, ticket_id: int, status: TicketStatus) -> None:
    """Alex, the assignee, moves the ticket on."""
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=status)


@pytest.mark.parametrize(("status", "suffix", "phrase"), [
    (TicketStatus.WAITING_ON_CUSTOMER, "waiting for your reply", "we need something from you"),
    (TicketStatus.RESOLVED, "resolved", "is resolved"),
    (TicketStatus.CLOSED, "closed", "is closed"),
])
def test_status_changes_the_customer_hears_about(desk, smtp_server, status, suffix, phrase):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    change_status(desk, ticket_id, status)
    mails = by_recipient(deliver(desk, smtp_server))

    assert set(mails) == {CUSTOMER}
    assert mails[CUSTOMER].subject == f"[CCR-000001] Printer on fire - {suffix}"
    assert phrase in mails[CUSTOMER].text and phrase in mails[CUSTOMER].html
    assert_well_formed(mails[CUSTOMER], ticket_id)


def test_reopening_by_staff_tells_the_customer_and_working_statuses_do_not(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    change_status(desk, ticket_id, TicketStatus.IN_PROGRESS)
    deliver(desk, smtp_server)
    assert smtp_server.to(CUSTOMER)[-1].subject.endswith("- received")  # in progress: no mail

    change_status(desk, ticket_id, TicketStatus.RESOLVED)
    deliver(desk, smtp_server)
    desk.act(desk.agent, tickets_customer.reopen_ticket, ticket_id=ticket_id)
    mails = by_recipient(deliver(desk, smtp_server))
    assert set(mails) == {CUSTOMER}
    assert mails[CUSTOMER].subject == "[CCR-000001] Printer on fire - reopened"
    assert "was reopened" in mails[CUSTOMER].text


def test_the_customer_is_not_mailed_about_what_they_did_themselves(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    change_status(desk, ticket_id, TicketStatus.RESOLVED)
    deliver(desk, smtp_server)
    # Replying to a resolved ticket reopens it: the assignee hears, the customer gets no "reopened" mail.
    desk.act(desk.customer, tickets_customer.add_customer_reply, ticket_id=ticket_id, body="Not fixed, sorry.")
    assert set(by_recipient(deliver(desk, smtp_server))) == {ALEX}
    desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id)
    assert deliver(desk, smtp_server) == []


# --- opt-out ----------------------------------------------------------------------------

def test_opted_out_customer_gets_only_the_confirmation_and_the_resolution(desk, smtp_server):
    with session_scope(desk.engine) as session:
        session.get(User, desk.customer.id).wants_optional_email = False
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent.id)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Have you tried turning it off?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    change_status(desk, ticket_id, TicketStatus.RESOLVED)
    deliver(desk, smtp_server)

    subjects = [m.subject for m in smtp_server.to(CUSTOMER)]
    assert subjects == ["[CCR-000001] Printer on fire - received", "[CCR-000001] Printer on fire - resolved"]


def test_opted_out_agent_gets_no_optional_mail(desk, smtp_server):
    with session_scope(desk.engine) as session:
        session.get(User, desk.agent.id).wants_optional_email = False
    desk.raise_ticket(**PRINTER_ON_FIRE)
    assert set(by_recipient(deliver(desk, smtp_server))) == {CUSTOMER}


# --- SLA --------------------------------------------------------------------------------

def test_sla_alerts_reach_the_assignee_and_the_admins_once(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    deliver(desk, smtp_server)
    for _ in range(2):  # the maintenance job may run again before anything changed
        with session_scope(desk.engine) as session:
            outbox.notify_sla_risk(session=session, ticket=session.get(Ticket, ticket_id), missed=False)
    with session_scope(desk.engine) as session:
        outbox.notify_sla_risk(session=session, ticket=session.get(Ticket, ticket_id), missed=True,
                               target="first_response")
    mails = deliver(desk, smtp_server)

    assert sorted((m.to, m.subject) for m in mails) == [
        (ADA, "[CCR-000001] Printer on fire - SLA first response target missed"),
        (ADA, "[CCR-000001] Printer on fire - SLA resolution target at risk"),
        (ALEX, "[CCR-000001] Printer on fire - SLA first response target missed"),
        (ALEX, "[CCR-000001] Printer on fire - SLA resolution target at risk"),
    ]
    assert CUSTOMER not in {m.to for m in mails}
    risk = next(m for m in mails if m.to == ALEX and "at risk" in m.subject)
    assert "CCR-000001 is at risk of missing its resolution target (due " in risk.text
    assert "Assignee: Alex Agent" in risk.text


# --- hostile text -----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
TEMPLATE_SYNTAX = "{{ 7*7 }} {% raw %} {{ config }}"


@pytest.mark.parametrize("where", ["subject", "body"])
def test_user_text_arrives_inert_never_as_markup_file_or_template(desk, smtp_server, where):
    """A file path that exists on the server, HTML and template syntax in what customers and
    agents type arrive as the literal text, and nothing gets attached."""
    hostile = f"/etc/passwd {SCRIPT} {TEMPLATE_SYNTAX}"
    if where == "subject":
        ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE | {"subject": "/etc/passwd", "description": hostile})
    else:
        ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE | {"description": "/etc/passwd"})
    with session_scope(desk.engine) as session:
        staff.add_agent_reply(session=session, actor=session.get(User, desk.agent.id), ticket_id=ticket_id,
                              body=hostile)
        tickets_customer.get_ticket(session=session, actor=session.get(User, desk.customer.id), ticket_id=ticket_id)
    mails = deliver(desk, smtp_server)
    customer_mails = smtp_server.to(CUSTOMER)
    assert len(customer_mails) == 2  # confirmation and reply

    for mail in mails:
        assert mail.attachments == []
        parts = [p.get_content_type() for p in mail.message.walk() if not p.is_multipart()]
        assert parts == ["text/plain", "text/html"]
        assert "<script" not in mail.html.lower()  # markup is shown, never run
        for content in (mail.text, mail.html):
            assert "root:" not in content  # the server's /etc/passwd was not read
            assert "49" not in content  # {{ 7*7 }} was not evaluated
    confirmation, reply = customer_mails
    if where == "subject":
        assert confirmation.subject == "[CCR-000001] /etc/passwd - received"
    assert "/etc/passwd" in confirmation.text and "/etc/passwd" in confirmation.html
    assert SCRIPT in reply.text and TEMPLATE_SYNTAX in reply.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.html
    assert "{{ 7*7 }} {% raw %} {{ config }}" in reply.html


def test_line_breaks_in_a_subject_cannot_add_mail_headers(desk, smtp_server):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.subject = "Printer\r\nBcc: victim@example.com"
        outbox.notify_status_changed(session=session, ticket=ticket, actor=None,
                                     old_status=TicketStatus.NEW, new_status=TicketStatus.RESOLVED)
    deliver(desk, smtp_server)
    resolved = smtp_server.to(CUSTOMER)[-1]
    assert resolved.subject == "[CCR-000001] Printer Bcc: victim@example.com - resolved"
    assert resolved.message["Bcc"] is None
    assert all("victim@example.com" not in m.rcpt_tos for m in smtp_server.messages)


# --- transactional ----------------------------------------------------------------------

def test_a_rolled_back_change_leaves_no_mail_behind(desk, smtp_server):
    with pytest.raises(RuntimeError), session_scope(desk.engine) as session:
        tickets_customer.create_ticket(session=session, actor=session.get(User, desk.customer.id),
                                       data=tickets_customer.TicketDraft(
                                           category_id=desk.category.id, priority="normal", subject="Never saved",
                                           description="Rolled back."))
        raise RuntimeError("the page failed after the service ran")
    with session_scope(desk.engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert deliver(desk, smtp_server) == []


def test_enqueueing_never_talks_to_the_mail_server(desk, smtp_server):
    smtp_server.stop()  # a page request must not notice that mail is down
    desk.raise_ticket(**PRINTER_ON_FIRE)
    with session_scope(desk.engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {OutboxStatus.PENDING} and all(r.attempts == 0 for r in rows)
