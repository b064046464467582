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


class ArticleStatus(StrEnum):
    """A guideline article is written as a draft, seen by staff only, until it is published."""

    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ChatOutcome(StrEnum):
    """How a conversation with the help assistant ended (so far)."""

    OPEN = "open"  # still going, or left without a word
    SOLVED = "solved"  # "This solved it"
    TICKET = "ticket"  # a ticket was raised from it

    @property
    def label(self) -> str:
        return {"open": "Left open", "solved": "Solved", "ticket": "Ticket raised"}[self.value]


class AssistantReply(StrEnum):
    """What the help assistant can say: an article's passage, a choice, or that none fits."""

    ANSWER = "answer"
    CLARIFY = "clarify"  # "Did you mean: A / B / C?"
    NO_MATCH = "no_match"


class HelpEventKind(StrEnum):
    """What the help center counts, each with its time (the analytics page counts a range)."""

    ARTICLE_VIEW = "article_view"
    ARTICLE_HELPFUL = "article_helpful"
    ARTICLE_NOT_HELPFUL = "article_not_helpful"
    # A suggestion opened from the submit page; its ticket_id is set if a ticket followed.
    SUGGESTION_OPENED = "suggestion_opened"


class AuditAction(StrEnum):
    """What an administrator did (the audit log's "what"); stored as the value (at most 32 characters)."""

    USER_CREATED = "user_created"
    USER_ACTIVATED = "user_activated"
    USER_DEACTIVATED = "user_deactivated"
    USER_ROLE_CHANGED = "user_role_changed"
    CATEGORY_CREATED = "category_created"
    CATEGORY_RENAMED = "category_renamed"
    CATEGORY_DESCRIPTION_CHANGED = "category_description_changed"
    CATEGORY_ACTIVATED = "category_activated"
    CATEGORY_DEACTIVATED = "category_deactivated"
    AGENT_SKILLS_CHANGED = "agent_skills_changed"
    SLA_TARGETS_CHANGED = "sla_targets_changed"
    BUSINESS_HOURS_CHANGED = "business_hours_changed"
    SETTING_CHANGED = "setting_changed"
    CANNED_REPLY_CREATED = "canned_reply_created"
    CANNED_REPLY_RENAMED = "canned_reply_renamed"
    CANNED_REPLY_EDITED = "canned_reply_edited"
    CANNED_REPLY_DELETED = "canned_reply_deleted"
    MAIL_RETRIED = "mail_retried"
    TEST_MAIL_QUEUED = "test_mail_queued"
    # An identity at a sign-in provider was linked to an account (a new one, or by verified e-mail).
    SIGN_ON_LINKED = "sign_on_linked"
    PASSWORD_RESET_SENT = "password_reset_sent"  # an administrator mailed someone a reset link

    @property
    def label(self) -> str:
        """As the audit log's "What" column and filter read it."""
        return {
            "user_created": "Account created", "user_activated": "Account activated",
            "user_deactivated": "Account deactivated", "user_role_changed": "Role changed",
            "category_created": "Category created", "category_renamed": "Category renamed",
            "category_description_changed": "Category description changed",
            "category_activated": "Category activated", "category_deactivated": "Category deactivated",
            "agent_skills_changed": "Agent skills changed", "sla_targets_changed": "SLA targets changed",
            "business_hours_changed": "Business hours changed", "setting_changed": "Setting changed",
            "canned_reply_created": "Canned reply created", "canned_reply_renamed": "Canned reply renamed",
            "canned_reply_edited": "Canned reply text changed", "canned_reply_deleted": "Canned reply deleted",
            "mail_retried": "Failed mail retried", "test_mail_queued": "Test mail queued",
            "sign_on_linked": "Single sign-on linked",
            "password_reset_sent": "Password reset link sent",
        }[self.value]


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
    # Account mails: sent to an address, essential (no opt-out), with a one-time link.
    PASSWORD_RESET = "password_reset"
    SIGN_UP_CONFIRMATION = "sign_up_confirmation"
    SIGN_UP_EXISTING = "sign_up_existing"  # someone tried to sign up with an address that has an account

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
    OutboxEvent.PASSWORD_RESET: "Password reset link",
    OutboxEvent.SIGN_UP_CONFIRMATION: "Sign-up confirmation",
    OutboxEvent.SIGN_UP_EXISTING: "Sign-up with an address that has an account",
}


class AccountLinkPurpose(StrEnum):
    """What a mailed one-time link does (helpdesk.accounts.account_links)."""

    PASSWORD_RESET = "password_reset"
    SIGN_UP = "sign_up"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class InboundMailStatus(StrEnum):
    """What the mail reader did with one received mail (helpdesk.inbound_mail)."""

    STORED = "stored"  # added to a ticket as a reply or a note
    OPENED = "opened"  # opened a new ticket
    IGNORED = "ignored"  # an auto-reply, bulk mail or our own mail: never a message
    HELD = "held"  # kept for an administrator to look at
    DISCARDED = "discarded"  # held, then thrown away by an administrator

    @property
    def label(self) -> str:
        return {"held": "Waiting for an administrator"}.get(self.value, self.value.capitalize())
