"""Vocabulary: the words stored in the database and shown to people, each spelled once, with its label."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    # Works tickets like an agent, and reads the analytics and the audit log; changes no
    # users, settings or SLA policies.
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_staff(self) -> bool:
        """Works tickets: the queue, every ticket, assignable."""
        return self in STAFF_ROLES

    @property
    def reads_reports(self) -> bool:
        """Opens the analytics page and the audit log."""
        return self in REPORTING_ROLES


STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)
REPORTING_ROLES = (Role.MANAGER, Role.ADMIN)


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Statuses a ticket is still being worked in (queue, backlog, SLA clocks).
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_ON_CUSTOMER,
)
# Statuses whose SLA clocks run: waiting on the customer pauses them ("Breaching soon", SLA alerts).
RUNNING_CLOCK_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class SlaTarget(StrEnum):
    """The two promises an SLA makes: a first response, and a resolution."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        """As it reads in a sentence or a column: "first response", "resolution"."""
        return self.value.replace("_", " ")


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[self]


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class EventKind(StrEnum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    PRIORITY_CHANGED = "priority_changed"
    CATEGORY_CHANGED = "category_changed"
    ASSIGNED = "assigned"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"
    ATTACHMENT_ADDED = "attachment_added"


class SatisfactionReason(StrEnum):
    """Why a customer rated 3 or less (one or more); stored comma-separated."""

    TOO_SLOW = "too_slow"
    NOT_SOLVED = "not_solved"
    HARD_TO_UNDERSTAND = "hard_to_understand"
    UNFRIENDLY = "unfriendly"
    ASKED_TWICE = "asked_twice"

    @property
    def label(self) -> str:
        return {"too_slow": "It took too long", "not_solved": "My problem isn't solved",
                "hard_to_understand": "The answer was hard to follow", "unfriendly": "The tone was unfriendly",
                "asked_twice": "I had to explain things more than once"}[self.value]


class AuditAction(StrEnum):
    """What an administrator did (the audit log's "what"); stored as the value."""

    USER_CREATED = "user_created"
    USER_ACTIVATED = "user_activated"
    USER_DEACTIVATED = "user_deactivated"
    USER_ROLE_CHANGED = "user_role_changed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class OutboxEvent(StrEnum):
    """What an outbox row (a mail) is about: the value of OutboxMessage.event."""

    TICKET_CREATED = "ticket_created"
    NEW_TICKET_FOR_AGENTS = "new_ticket"
    ASSIGNED = "assigned"
    ASSIGNED_CUSTOMER = "assigned_customer"
    PUBLIC_REPLY = "public_reply"
    CUSTOMER_REPLY = "customer_reply"
    STATUS_CHANGED = "status_changed"
    SLA_AT_RISK_FIRST_RESPONSE = "sla_at_risk_first_response"
    SLA_MISSED_FIRST_RESPONSE = "sla_missed_first_response"
    SLA_AT_RISK_RESOLUTION = "sla_at_risk_resolution"
    SLA_MISSED_RESOLUTION = "sla_missed_resolution"
    TEST_MAIL = "test"

    @classmethod
    def sla_alert(cls, *, missed: bool, target: SlaTarget | str) -> OutboxEvent:
        return cls(f"sla_{'missed' if missed else 'at_risk'}_{SlaTarget(target).value}")

    @property
    def label(self) -> str:
        """In the words an administrator would use."""
        return _OUTBOX_EVENT_LABELS[self]


_OUTBOX_EVENT_LABELS = {
    OutboxEvent.TICKET_CREATED: "Ticket created (to the customer)",
    OutboxEvent.NEW_TICKET_FOR_AGENTS: "New unassigned ticket (to agents)",
    OutboxEvent.ASSIGNED: "Assigned (to the agent)",
    OutboxEvent.ASSIGNED_CUSTOMER: "Assigned (to the customer)",
    OutboxEvent.PUBLIC_REPLY: "Agent reply (to the customer)",
    OutboxEvent.CUSTOMER_REPLY: "Customer reply (to the agent)",
    OutboxEvent.STATUS_CHANGED: "Status changed (to the customer)",
    OutboxEvent.SLA_AT_RISK_FIRST_RESPONSE: "First response due soon",
    OutboxEvent.SLA_MISSED_FIRST_RESPONSE: "First response overdue",
    OutboxEvent.SLA_AT_RISK_RESOLUTION: "Resolution due soon",
    OutboxEvent.SLA_MISSED_RESOLUTION: "Resolution overdue",
    OutboxEvent.TEST_MAIL: "Test mail",
}


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
