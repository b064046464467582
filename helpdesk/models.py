"""Typed ORM models (SQLAlchemy 2.0). Schema changes go through Alembic."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    JSON,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

from helpdesk.core import clock
from helpdesk.enums import (
    AccountLinkPurpose,
    ArticleStatus,
    AuditAction,
    ChatOutcome,
    EventKind,
    HelpEventKind,
    InboundMailStatus,
    OutboxStatus,
    Priority,
    Role,
    TicketStatus,
)

# Alembic needs named constraints to alter them (and SQLite batch mode to recreate tables).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

def _now():
    # Looked up at each insert, not bound once: the package has one clock (tests stop it).
    return clock.utcnow()


REFERENCE_PREFIX = "CCR-"
_REFERENCE_DIGITS = re.compile(r"[0-9]{1,12}")


class UTCDateTime(TypeDecorator):
    """Always timezone-aware UTC in Python, whatever the backend stores (SQLite has no tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _str_enum(enum_cls):
    # Stored as the lowercase value in a plain VARCHAR: readable in SQL, no native enum to migrate.
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        Role: _str_enum(Role),
        TicketStatus: _str_enum(TicketStatus),
        Priority: _str_enum(Priority),
        EventKind: _str_enum(EventKind),
        OutboxStatus: _str_enum(OutboxStatus),
        AuditAction: _str_enum(AuditAction),
        ArticleStatus: _str_enum(ArticleStatus),
        ChatOutcome: _str_enum(ChatOutcome),
        HelpEventKind: _str_enum(HelpEventKind),
        AccountLinkPurpose: _str_enum(AccountLinkPurpose),
        InboundMailStatus: _str_enum(InboundMailStatus),
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lowercased
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_login_at: Mapped[datetime | None]
    # Round-robin tie-break for automatic assignment: the least recently assigned agent wins.
    last_assigned_at: Mapped[datetime | None]
    # Profile switch for non-essential mail; confirmations and resolutions always go.
    wants_optional_email: Mapped[bool] = mapped_column(Boolean, default=True)

    skills: Mapped[list[Category]] = relationship(secondary="agent_skills", lazy="selectin")

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff


class LoginThrottle(Base):
    """Failed sign-ins per key (helpdesk.accounts.throttle): "address:<e-mail>", known or not, so
    throttling never reveals which addresses have accounts, and "client:<IP address>". In the
    database, so the count survives restarts and every app process shares it."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]  # the failures are forgotten a quiet period after this
    next_attempt_at: Mapped[datetime | None]  # None: the next attempt may come at once


class SignInSession(Base):
    """One browser's sign-in (helpdesk.accounts.sign_in_sessions). Only hashes are kept: of the
    cookie's token, and of the one-time code that hands the browser its cookie."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None]
    persistent: Mapped[bool] = mapped_column(Boolean, default=True)  # "Keep me signed in"
    device: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=_now)
    idle_expires_at: Mapped[datetime]
    absolute_expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignOnIdentity(Base):
    """A person at an OpenID Connect provider (its issuer and subject: the pair never changes,
    unlike the e-mail the provider reports) and the local account it signs in to
    (helpdesk.accounts.single_sign_on). The role, and whether the account is active, stay local."""

    __tablename__ = "sign_on_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_used_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sign_on_identities_issuer_subject"),)


class AccountLink(Base):
    """A mailed one-time link (helpdesk.accounts.account_links): a password reset for `user_id`,
    or a sign-up waiting for its address to be confirmed (name, e-mail and the chosen password's
    hash, so no account exists until then). Only the hash of the link's token is kept."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[AccountLinkPurpose]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # followed, or void because a newer link was sent


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class AgentSkill(Base):
    """Which categories an agent handles (used by automatic assignment)."""

    __tablename__ = "agent_skills"

    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[Priority] = mapped_column(default=Priority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(default=TicketStatus.NEW)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # SLA targets, stored so the queue can sort and filter on them with an index.
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    # Waiting on the customer pauses the resolution clock.
    waiting_since: Mapped[datetime | None]
    # The submitting form's one-time key: a double click on submit finds the first ticket.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Optimistic locking: a stale save raises instead of overwriting someone's work.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Durations for analytics, stored when the ticket changes (helpdesk.tickets.metrics) so
    # reports aggregate columns instead of replaying events. Seconds; "business" counts only
    # the business hours set at the time (equal to calendar time when none are set).
    # First response: creation to the first public staff reply.
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    first_response_business_seconds: Mapped[int | None] = mapped_column(Integer)
    # Resolution: creation to the (latest) resolution, less the time spent waiting on the customer.
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_business_seconds: Mapped[int | None] = mapped_column(Integer)
    # Time spent waiting on the customer, finished waits only (the open one is waiting_since).
    waiting_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_business_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Public replies by staff: one at resolution is a "one-touch" resolution.
    staff_reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    category: Mapped[Category] = relationship(lazy="joined")
    customer: Mapped[User] = relationship(foreign_keys=[customer_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # My tickets: one customer's, newest first (and by status).
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        Index("ix_tickets_customer_status_created", "customer_id", "status", "created_at"),
        # Agent queue: my open / all open by SLA due, unassigned, recently resolved.
        Index("ix_tickets_assignee_status_due", "assignee_id", "status", "resolution_due_at"),
        Index("ix_tickets_status_due", "status", "resolution_due_at"),
        Index("ix_tickets_status_first_due", "status", "first_response_due_at"),
        Index("ix_tickets_status_resolved", "status", "resolved_at"),
        Index("ix_tickets_status_updated", "status", "updated_at"),
        # Queue filters on priority or category within the open statuses (0002): without these
        # the planner walks every ticket of that priority/category ever raised.
        Index("ix_tickets_status_priority_due", "status", "priority", "resolution_due_at"),
        Index("ix_tickets_status_category_due", "status", "category_id", "resolution_due_at"),
        # Covers the queue's SLA-due order and "breaching soon" without reading table rows.
        Index("ix_tickets_status_sla", "status", "first_response_at", "first_response_due_at", "resolution_due_at"),
        # Analytics: volume over time, by category and priority.
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_category_created", "category_id", "created_at"),
        Index("ix_tickets_priority_created", "priority", "created_at"),
        Index("ix_tickets_resolved", "resolved_at"),
        Index("ix_tickets_assignee_resolved", "assignee_id", "resolved_at"),
        # Analytics' backlog by age: the open tickets' creation times from the index alone (0005).
        Index("ix_tickets_status_created", "status", "created_at"),
    )

    @property
    def reference(self) -> str:
        return format_reference(self.id)


def format_reference(ticket_id: int) -> str:
    """CCR-000042. Derived from the primary key, so it can never disagree with it."""
    return f"{REFERENCE_PREFIX}{ticket_id:06d}"


def parse_reference(text: str) -> int | None:
    """Ticket id from 'CCR-000042', 'ccr-42', '#42' or '42'; None if it is not one."""
    cleaned = text.strip().upper()
    if cleaned.startswith(REFERENCE_PREFIX):
        cleaned = cleaned[len(REFERENCE_PREFIX):]
    cleaned = cleaned.lstrip("#")
    # ASCII digits only: str.isdigit() also says yes to "²" and "٣", which int() refuses or reads.
    if _REFERENCE_DIGITS.fullmatch(cleaned) and int(cleaned) > 0:
        return int(cleaned)
    return None


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    author: Mapped[User] = relationship(lazy="joined")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", lazy="selectin", order_by="Attachment.id"
    )

    __table_args__ = (Index("ix_ticket_messages_ticket_created", "ticket_id", "created_at"),)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing a thread must not pull megabytes of file content.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=_now)

    message: Mapped[TicketMessage | None] = relationship(back_populates="attachments")


class TicketEvent(Base):
    """The audit trail: who changed what, from what, to what, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    kind: Mapped[EventKind]
    old_value: Mapped[str | None] = mapped_column(String(255))
    new_value: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)


class SlaPolicy(Base):
    """First-response and resolution targets for one priority."""

    __tablename__ = "sla_policies"

    priority: Mapped[Priority] = mapped_column(primary_key=True)
    first_response_hours: Mapped[int] = mapped_column(Integer)
    resolution_hours: Mapped[int] = mapped_column(Integer)


class CannedReply(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class AppSetting(Base):
    """Small admin-editable settings (auto-assignment on/off, auto-close days, ...)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OutboxMessage(Base):
    """A notification written in the same transaction as the change that caused it;
    the mail worker sends it later (helpdesk.notifications)."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # The Message-ID it went out with, set when sent: a reply's In-Reply-To finds the ticket (0011).
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The random part of that Message-ID, made at the first claim and kept for resends (0011).
    message_token: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),)


class InboundMail(Base):
    """One mail the reader took from the mailbox (helpdesk.inbound_mail), kept so it is handled
    once: `message_key` (its Message-ID, or a hash of the raw mail when it has none) is unique."""

    __tablename__ = "inbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[InboundMailStatus] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=_now)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"))
    # The whole mail, kept only while an administrator still has to decide (held mail).
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # What the admin page shows of a held mail, kept when it is held (no re-parsing per render).
    preview: Mapped[str] = mapped_column(Text, default="")
    file_names: Mapped[str] = mapped_column(Text, default="")  # one a line
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]

    # How many mails one address sent lately (the reader's loop guard).
    __table_args__ = (Index("ix_inbound_mails_from_received", "from_address", "received_at"),)


class SatisfactionRating(Base):
    """One request for a rating per resolution, and the customer's answer to it (CSAT).

    Asked when the ticket is resolved, crediting the agent assigned then; answered (score 1-5)
    and changeable until the ticket closes; lapses unanswered when the ticket is reopened."""

    __tablename__ = "satisfaction_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=_now)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Chosen reasons for a score of 3 or less, comma-separated values of enums.SatisfactionReason.
    reasons: Mapped[str] = mapped_column(String(255), default="", server_default="")
    rated_at: Mapped[datetime | None]
    lapsed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_satisfaction_ratings_ticket_requested", "ticket_id", "requested_at"),
        Index("ix_satisfaction_ratings_requested", "requested_at"),
        Index("ix_satisfaction_ratings_agent_requested", "agent_id", "requested_at"),
    )


class AuditEntry(Base):
    """One administrator action: who did what to which thing, from what to what, when."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the server's CLI
    action: Mapped[AuditAction]
    # What it was done to, in words that stay readable after the thing is renamed or gone.
    target: Mapped[str] = mapped_column(String(255))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_audit_entries_created", "created_at"),
        Index("ix_audit_entries_actor_created", "actor_id", "created_at"),
        Index("ix_audit_entries_action_created", "action", "created_at"),
    )


# --- Help center: guideline articles, the assistant's conversations, what the help center counts ----


class Article(Base):
    """A guideline article: Markdown written by staff, found by the help center's search
    (helpdesk.knowledge), shown to everyone once published."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)  # its address: /help?article=<slug>
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "Also asked as": the ways customers put the question, searched with the title's weight.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ArticleStatus] = mapped_column(default=ArticleStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    helpful_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_helpful_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Optimistic locking: two editors can't overwrite each other. Search also reads the sum of
    # the versions to know its index is stale (an edit always moves it; a stopped clock doesn't).
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The embedding vectors search compares questions with (helpdesk.knowledge.ranking.vectors_for),
    # computed at each save so the index is built from rows; deferred: lists never read them.
    vectors: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False, default=b"", server_default=""))
    vectors_recipe: Mapped[str] = mapped_column(String(80), default="", server_default="")

    category: Mapped[Category] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_articles_status_category", "status", "category_id"),
        # Search checks its index is current by the published articles' versions: from this alone.
        Index("ix_articles_status_version", "status", "version"),
    )


class ChatSession(Base):
    """One conversation with the help assistant: its transcript (what the person typed and the
    passages quoted back), how it ended, and the ticket raised from it, which agents read it on."""

    __tablename__ = "chat_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the browser holds to come back to it: random, so no one can read another's chat.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a visitor
    started_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)
    # [{"role": "customer" | "assistant", "text": ..., "slug": ... | None}, ...]
    transcript: Mapped[list[dict]] = mapped_column(JSON, default=list)
    outcome: Mapped[ChatOutcome] = mapped_column(default=ChatOutcome.OPEN)
    solved_by_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), unique=True)

    __table_args__ = (Index("ix_chat_sessions_started", "started_at"),)


class HelpEvent(Base):
    """Something the help center counts (helpdesk.enums.HelpEventKind), with its time."""

    __tablename__ = "help_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HelpEventKind]
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A suggestion opened from the submit page: the ticket raised after it, if one was.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (Index("ix_help_events_kind_created", "kind", "created_at"),)


# --- Report cells: the analytics rollup (helpdesk.tickets.report_cells keeps them) ---------------
# One row per local day (in the business-hours zone) and category, priority and assignee: the
# counts the analytics page adds up, and the exact durations of the cell's tickets (float64
# arrays) its percentiles are computed from. 0 stands for "no assignee" (a key can't be NULL).

REPORT_HOURS = range(24)
# First response bands for satisfaction: under 1 h, 1-4 h, 4-24 h, over 24 h.
FIRST_RESPONSE_BAND_HOURS = (1, 4, 24)
FIRST_RESPONSE_BANDS = len(FIRST_RESPONSE_BAND_HOURS) + 1


def _count(name: str) -> Column:
    return Column(name, Integer, nullable=False, default=0, server_default="0")


def _cell_key(who: str) -> list[Column]:
    """A cell's key: the local day, the category, the priority, and the person (`who`)."""
    return [Column("day", Date, primary_key=True), Column("category_id", Integer, primary_key=True),
            Column("priority", String(16), primary_key=True), Column(who, Integer, primary_key=True)]


def _values(name: str) -> Column:
    return Column(name, LargeBinary, nullable=False, default=b"", server_default="")


REPORT_CELL_COUNTS = (
    # by the day the ticket was raised
    "created", "first_response_decided", "first_response_met", "ever_resolved", "reopened",
    *(f"status_{status.value}" for status in TicketStatus),
    *(f"hour_{hour:02d}" for hour in REPORT_HOURS),
    # by the day it was (last) resolved
    "resolved", "resolution_decided", "resolution_met", "one_touch",
)
REPORT_CELL_VALUES = ("first_response_values", "first_response_business_values",  # raised that day
                      "resolution_values", "resolution_business_values")  # resolved that day

report_cells = Table(
    "report_cells", Base.metadata,
    *_cell_key("assignee_id"),
    *(_count(name) for name in REPORT_CELL_COUNTS),
    *(_values(name) for name in REPORT_CELL_VALUES),
)

RATING_CELL_COUNTS = (
    "requests", "rated", "score_sum", "happy",  # requests not withdrawn; answers; sum; rated 4-5
    *(f"{basis}_band{band}_{what}" for basis in ("calendar", "business") for band in range(FIRST_RESPONSE_BANDS)
      for what in ("rated", "score_sum", "happy")),
)

# By the day the rating was asked for (the resolution), the ticket's category and priority, and
# the agent credited.
rating_cells = Table(
    "rating_cells", Base.metadata,
    *_cell_key("agent_id"),
    *(_count(name) for name in RATING_CELL_COUNTS),
)
