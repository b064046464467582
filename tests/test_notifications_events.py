"""Who hears about what, by e-mail: every event through the real services, the outbox and a
real SMTP server on 127.0.0.1. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import OutboxStatus, Role, TicketStatus
from helpdesk.models import AgentSkill, OutboxMessage, Ticket, User
from helpdesk.notifications import outbox, sender
from helpdesk.tickets import assignment, customer as tickets_customer, staff
from tests.factories import add_category, add_user
from tests.smtp_server import ReceivedMail, smtp_server  # noqa: F401  (fixture)

BASE_URL = "https://help.example.test"


@pytest.fixture(autouse=True)
def _mail_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_BASE_URL", BASE_URL)
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))


@dataclass
class World:
    engine: object
    customer: User
    agent: User  # has the category as a skill
    other_agent: User  # has not
    admin: User
    category_id: int

    def user(self, session, who: User) -> User:
        return session.get(User, who.id)


@pytest.fixture
def world(engine) -> World:
    customer = add_user(engine, email="carla@example.com", name="Carla Customer")
    agent = add_user(engine, email="alex@example.com", name="Alex Agent", role=Role.AGENT)
    other = add_user(engine, email="olga@example.com", name="Olga Other", role=Role.AGENT)
    admin = add_user(engine, email="ada@example.com", name="Ada Admin", role=Role.ADMIN)
    category = add_category(engine, "Printers")
    with session_scope(engine) as session:
        session.add(AgentSkill(agent_id=agent.id, category_id=category.id))
    return World(engine, customer, agent, other, admin, category.id)


def set_auto_assign(world: World, enabled: bool) -> None:
    with session_scope(world.engine) as session:
        settings.set_auto_assign(session=session, actor=world.user(session, world.admin), enabled=enabled)


def raise_ticket(world: World, subject="Printer on fire", description="Smoke everywhere.") -> int:
    with session_scope(world.engine) as session:
        ticket = tickets_customer.create_ticket(session=session, actor=world.user(session, world.customer),
                                       data=tickets_customer.TicketDraft(category_id=world.category_id, priority="high",
                                                                subject=subject, description=description))
        return ticket.id


def deliver(world: World, server) -> list[ReceivedMail]:
    """Run the sender once and return the mails this pass delivered."""
    before = len(server.messages)
    report = sender.send_due(world.engine, server.settings(), limit=100)
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

def test_new_unassigned_ticket_confirms_to_the_customer_and_tells_the_category_agents(world, smtp_server):
    set_auto_assign(world, False)
    ticket_id = raise_ticket(world)
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"carla@example.com", "alex@example.com"}  # not Olga (no skill), not the admin
    confirmation = mails["carla@example.com"]
    assert confirmation.subject == "[CCR-000001] Printer on fire - received"
    assert "we received your ticket CCR-000001" in confirmation.text
    assert "Smoke everywhere." in confirmation.text and "Smoke everywhere." in confirmation.html
    assert_well_formed(confirmation, ticket_id)

    heads_up = mails["alex@example.com"]
    assert heads_up.subject == "[CCR-000001] Printer on fire - new unassigned ticket"
    assert "Carla Customer raised CCR-000001 in Printers (High priority)" in heads_up.text
    assert_well_formed(heads_up, ticket_id)


def test_a_category_nobody_covers_tells_every_agent(world, smtp_server):
    set_auto_assign(world, False)
    with session_scope(world.engine) as session:
        session.query(AgentSkill).delete()
    raise_ticket(world)
    assert set(by_recipient(deliver(world, smtp_server))) == {
        "carla@example.com", "alex@example.com", "olga@example.com"}


def test_automatically_assigned_ticket_tells_the_assignee_and_confirms_once_to_the_customer(world, smtp_server):
    ticket_id = raise_ticket(world)  # auto-assignment is on by default: Alex has the skill
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"carla@example.com", "alex@example.com"}
    assert mails["carla@example.com"].subject == "[CCR-000001] Printer on fire - received"
    assert "Alex Agent is handling it." in mails["carla@example.com"].text
    assert mails["alex@example.com"].subject == "[CCR-000001] Printer on fire - assigned to you"
    assert "You were assigned CCR-000001." in mails["alex@example.com"].text
    assert_well_formed(mails["alex@example.com"], ticket_id)


# --- assignment -------------------------------------------------------------------------

def test_assignment_tells_the_assignee_and_the_customer_who_handles_it(world, smtp_server):
    set_auto_assign(world, False)
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        assignment.assign_ticket(session=session, actor=world.user(session, world.admin), ticket_id=ticket_id,
                                 assignee_id=world.other_agent.id)
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"olga@example.com", "carla@example.com"}
    assert mails["olga@example.com"].subject == "[CCR-000001] Printer on fire - assigned to you"
    assert "Ada Admin assigned CCR-000001 to you." in mails["olga@example.com"].text
    assert mails["carla@example.com"].subject == "[CCR-000001] Printer on fire - handled by Olga Other"
    assert "is being handled by Olga Other" in mails["carla@example.com"].text
    assert "is being handled by Olga Other" in mails["carla@example.com"].html
    assert_well_formed(mails["carla@example.com"], ticket_id)


def test_claiming_a_ticket_does_not_mail_the_agent_who_took_it(world, smtp_server):
    set_auto_assign(world, False)
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        assignment.claim_ticket(session=session, actor=world.user(session, world.agent), ticket_id=ticket_id)
    assert set(by_recipient(deliver(world, smtp_server))) == {"carla@example.com"}


# --- replies and notes ------------------------------------------------------------------

def test_public_reply_reaches_the_customer_with_the_reply_and_the_link(world, smtp_server):
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        staff.add_agent_reply(session=session, actor=world.user(session, world.agent), ticket_id=ticket_id,
                                      body="Please unplug it.\nThen wait a minute.")
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"carla@example.com"}
    reply = mails["carla@example.com"]
    assert reply.subject == "[CCR-000001] Printer on fire - new reply"
    assert "Alex Agent replied to your ticket CCR-000001" in reply.text
    assert "Please unplug it.\nThen wait a minute." in reply.text
    assert "Please unplug it.\nThen wait a minute." in reply.html
    assert_well_formed(reply, ticket_id)


def test_internal_notes_never_reach_the_customer(world, smtp_server):
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        staff.add_internal_note(session=session, actor=world.user(session, world.agent),
                                        ticket_id=ticket_id, body="Customer broke it themselves, secretly.")
    assert deliver(world, smtp_server) == []
    with session_scope(world.engine) as session:
        bodies = session.scalars(select(OutboxMessage.text_body)).all()
        assert not any("secretly" in body for body in bodies)
        # Even called directly with a note, the enqueue function refuses.
        note = session.scalars(select(tickets_customer.TicketMessage).where(tickets_customer.TicketMessage.is_public.is_(False))).one()
        ticket = session.get(Ticket, ticket_id)
        assert outbox.notify_public_reply(session=session, ticket=ticket, message=note) == []
    assert all("secretly" not in m.text and "secretly" not in m.html for m in smtp_server.messages)


def test_customer_reply_reaches_the_assignee(world, smtp_server):
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        tickets_customer.add_customer_reply(session=session, actor=world.user(session, world.customer), ticket_id=ticket_id,
                                   body="It is still smoking.")
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"alex@example.com"}
    assert mails["alex@example.com"].subject == "[CCR-000001] Printer on fire - customer replied"
    assert "It is still smoking." in mails["alex@example.com"].text
    assert "It is still smoking." in mails["alex@example.com"].html
    assert_well_formed(mails["alex@example.com"], ticket_id)


# --- status changes ---------------------------------------------------------------------

def change_status(world: World, ticket_id: int, status: TicketStatus, who: User | None = None) -> None:
    with session_scope(world.engine) as session:
        staff.change_status(session=session, actor=world.user(session, who or world.agent),
                                    ticket_id=ticket_id, status=status)


@pytest.mark.parametrize(("status", "suffix", "phrase"), [
    (TicketStatus.WAITING_ON_CUSTOMER, "waiting for your reply", "we need something from you"),
    (TicketStatus.RESOLVED, "resolved", "is resolved"),
    (TicketStatus.CLOSED, "closed", "is closed"),
])
def test_status_changes_the_customer_hears_about(world, smtp_server, status, suffix, phrase):
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    change_status(world, ticket_id, status)
    mails = by_recipient(deliver(world, smtp_server))

    assert set(mails) == {"carla@example.com"}
    assert mails["carla@example.com"].subject == f"[CCR-000001] Printer on fire - {suffix}"
    assert phrase in mails["carla@example.com"].text and phrase in mails["carla@example.com"].html
    assert_well_formed(mails["carla@example.com"], ticket_id)


def test_reopening_by_staff_tells_the_customer_and_working_statuses_do_not(world, smtp_server):
    ticket_id = raise_ticket(world)
    change_status(world, ticket_id, TicketStatus.IN_PROGRESS)
    deliver(world, smtp_server)
    assert smtp_server.to("carla@example.com")[-1].subject.endswith("- received")  # in progress: no mail

    change_status(world, ticket_id, TicketStatus.RESOLVED)
    deliver(world, smtp_server)
    with session_scope(world.engine) as session:
        tickets_customer.reopen_ticket(session=session, actor=world.user(session, world.agent), ticket_id=ticket_id)
    mails = by_recipient(deliver(world, smtp_server))
    assert set(mails) == {"carla@example.com"}
    assert mails["carla@example.com"].subject == "[CCR-000001] Printer on fire - reopened"
    assert "was reopened" in mails["carla@example.com"].text


def test_the_customer_is_not_mailed_about_what_they_did_themselves(world, smtp_server):
    ticket_id = raise_ticket(world)
    change_status(world, ticket_id, TicketStatus.RESOLVED)
    deliver(world, smtp_server)
    # Replying to a resolved ticket reopens it: the assignee hears, the customer gets no "reopened" mail.
    with session_scope(world.engine) as session:
        tickets_customer.add_customer_reply(session=session, actor=world.user(session, world.customer), ticket_id=ticket_id,
                                   body="Not fixed, sorry.")
    assert set(by_recipient(deliver(world, smtp_server))) == {"alex@example.com"}
    with session_scope(world.engine) as session:
        tickets_customer.close_ticket(session=session, actor=world.user(session, world.customer), ticket_id=ticket_id)
    assert deliver(world, smtp_server) == []


# --- opt-out ----------------------------------------------------------------------------

def test_opted_out_customer_gets_only_the_confirmation_and_the_resolution(world, smtp_server):
    with session_scope(world.engine) as session:
        world.user(session, world.customer).wants_optional_email = False
    set_auto_assign(world, False)
    ticket_id = raise_ticket(world)
    with session_scope(world.engine) as session:
        assignment.assign_ticket(session=session, actor=world.user(session, world.admin), ticket_id=ticket_id,
                                 assignee_id=world.agent.id)
    with session_scope(world.engine) as session:
        staff.add_agent_reply(session=session, actor=world.user(session, world.agent), ticket_id=ticket_id,
                                      body="Have you tried turning it off?",
                                      new_status=TicketStatus.WAITING_ON_CUSTOMER)
    change_status(world, ticket_id, TicketStatus.RESOLVED)
    deliver(world, smtp_server)

    subjects = [m.subject for m in smtp_server.to("carla@example.com")]
    assert subjects == ["[CCR-000001] Printer on fire - received", "[CCR-000001] Printer on fire - resolved"]


def test_opted_out_agent_gets_no_optional_mail(world, smtp_server):
    with session_scope(world.engine) as session:
        world.user(session, world.agent).wants_optional_email = False
    raise_ticket(world)
    assert set(by_recipient(deliver(world, smtp_server))) == {"carla@example.com"}


# --- SLA --------------------------------------------------------------------------------

def test_sla_alerts_reach_the_assignee_and_the_admins_once(world, smtp_server):
    ticket_id = raise_ticket(world)
    deliver(world, smtp_server)
    for _ in range(2):  # the maintenance job may run again before anything changed
        with session_scope(world.engine) as session:
            outbox.notify_sla_risk(session=session, ticket=session.get(Ticket, ticket_id), missed=False)
    with session_scope(world.engine) as session:
        outbox.notify_sla_risk(session=session, ticket=session.get(Ticket, ticket_id), missed=True,
                               target="first_response")
    mails = deliver(world, smtp_server)

    assert sorted((m.to, m.subject) for m in mails) == [
        ("ada@example.com", "[CCR-000001] Printer on fire - SLA first response target missed"),
        ("ada@example.com", "[CCR-000001] Printer on fire - SLA resolution target at risk"),
        ("alex@example.com", "[CCR-000001] Printer on fire - SLA first response target missed"),
        ("alex@example.com", "[CCR-000001] Printer on fire - SLA resolution target at risk"),
    ]
    assert "carla@example.com" not in {m.to for m in mails}
    risk = next(m for m in mails if m.to == "alex@example.com" and "at risk" in m.subject)
    assert "CCR-000001 is at risk of missing its resolution target (due " in risk.text
    assert "Assignee: Alex Agent" in risk.text


# --- hostile text -----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
TEMPLATE_SYNTAX = "{{ 7*7 }} {% raw %} {{ config }}"


@pytest.mark.parametrize("where", ["subject", "body"])
def test_user_text_arrives_inert_never_as_markup_file_or_template(world, smtp_server, where):
    """A file path that exists on the server, HTML and template syntax in what customers and
    agents type arrive as the literal text, and nothing gets attached."""
    hostile = f"/etc/passwd {SCRIPT} {TEMPLATE_SYNTAX}"
    if where == "subject":
        ticket_id = raise_ticket(world, subject="/etc/passwd", description=hostile)
    else:
        ticket_id = raise_ticket(world, description="/etc/passwd")
    with session_scope(world.engine) as session:
        staff.add_agent_reply(session=session, actor=world.user(session, world.agent), ticket_id=ticket_id,
                                      body=hostile)
        tickets_customer.get_ticket(session=session, actor=world.user(session, world.customer), ticket_id=ticket_id)
    mails = deliver(world, smtp_server)
    customer_mails = smtp_server.to("carla@example.com")
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


def test_line_breaks_in_a_subject_cannot_add_mail_headers(world, smtp_server):
    with session_scope(world.engine) as session:
        ticket = session.get(Ticket, raise_ticket(world))
        ticket.subject = "Printer\r\nBcc: victim@example.com"
        outbox.notify_status_changed(session=session, ticket=ticket, actor=None,
                                     old_status=TicketStatus.NEW, new_status=TicketStatus.RESOLVED)
    deliver(world, smtp_server)
    resolved = smtp_server.to("carla@example.com")[-1]
    assert resolved.subject == "[CCR-000001] Printer Bcc: victim@example.com - resolved"
    assert resolved.message["Bcc"] is None
    assert all("victim@example.com" not in m.rcpt_tos for m in smtp_server.messages)


# --- transactional ----------------------------------------------------------------------

def test_a_rolled_back_change_leaves_no_mail_behind(world, smtp_server):
    with pytest.raises(RuntimeError), session_scope(world.engine) as session:
        tickets_customer.create_ticket(session=session, actor=world.user(session, world.customer),
                              data=tickets_customer.TicketDraft(category_id=world.category_id, priority="normal",
                                                       subject="Never saved", description="Rolled back."))
        raise RuntimeError("the page failed after the service ran")
    with session_scope(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert deliver(world, smtp_server) == []


def test_enqueueing_never_talks_to_the_mail_server(world, smtp_server):
    smtp_server.stop()  # a page request must not notice that mail is down
    raise_ticket(world)
    with session_scope(world.engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {OutboxStatus.PENDING} and all(r.attempts == 0 for r in rows)
