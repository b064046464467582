"""Subject, text and HTML for each notification, from Jinja2 templates.

User text (subjects, replies, names) is only ever a template *value*: Jinja never evaluates
it, and the HTML templates autoescape it, so markup or template syntax arrives as text."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from helpdesk.core import config
from helpdesk.enums import TicketStatus
from helpdesk.models import Ticket, TicketMessage, User, format_reference
from helpdesk.notifications.mail_policy import header_text

SUBJECT_MAX = 300  # the outbox column
APP_NAME = "Customer Care Registry"

_env = Environment(
    loader=PackageLoader("helpdesk.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default=True),
    undefined=StrictUndefined,  # a typo in a template fails the test suite, not a customer's mail
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class ComposedMail:
    subject: str
    text_body: str
    html_body: str


# What the customer reads for each status change, and the subject suffix.
STATUS_SUFFIX = {
    TicketStatus.WAITING_ON_CUSTOMER: "waiting for your reply",
    TicketStatus.RESOLVED: "resolved",
    TicketStatus.CLOSED: "closed",
    TicketStatus.OPEN: "reopened",
}


def ticket_url(ticket_id: int) -> str:
    """The link that opens the ticket directly (the ticket page reads `?ticket=`)."""
    return f"{config.base_url()}/ticket_view?{urlencode({'ticket': ticket_id})}"


def rating_url(token: str) -> str:
    """The resolved mail's link to rate the help, working without sign-in (the token is signed)."""
    return f"{config.base_url()}/rate?{urlencode({'token': token})}"


def one_line(text: str) -> str:
    """Header-safe user text: one line, no encoded-word syntax (see mail_policy)."""
    return header_text(text)


def ticket_subject(ticket: Ticket, suffix: str) -> str:
    subject = f"[{format_reference(ticket.id)}] {one_line(ticket.subject)} - {suffix}"
    return subject[:SUBJECT_MAX]


def render(template: str, subject: str, **context) -> ComposedMail:
    context = {"app_name": APP_NAME, "base_url": config.base_url(), **context}
    text = _env.get_template(f"{template}.txt").render(subject=subject, **context)
    html = _env.get_template(f"{template}.html").render(subject=subject, **context)
    return ComposedMail(subject=subject, text_body=text, html_body=html)


def _ticket_context(ticket: Ticket, recipient: User) -> dict:
    return {
        "recipient_name": recipient.name,
        "reference": format_reference(ticket.id),
        "ticket_subject": ticket.subject,
        "ticket_url": ticket_url(ticket.id),
        "status_label": ticket.status.label,
        "priority_label": ticket.priority.label,
        "category_name": ticket.category.name if ticket.category is not None else "",
    }


def ticket_created_for_customer(ticket: Ticket, recipient: User) -> ComposedMail:
    return render("ticket_created", ticket_subject(ticket, "received"), description=ticket.description,
                  assignee_name=ticket.assignee.name if ticket.assignee else None,
                  **_ticket_context(ticket, recipient))


def ticket_created_for_agents(ticket: Ticket, recipient: User, customer: User) -> ComposedMail:
    return render("new_ticket_for_agents", ticket_subject(ticket, "new unassigned ticket"),
                  customer_name=customer.name, description=ticket.description,
                  **_ticket_context(ticket, recipient))


def assigned_for_assignee(ticket: Ticket, recipient: User, assigned_by: User | None) -> ComposedMail:
    return render("assigned_to_you", ticket_subject(ticket, "assigned to you"),
                  assigned_by_name=assigned_by.name if assigned_by else None,
                  **_ticket_context(ticket, recipient))


def assigned_for_customer(ticket: Ticket, recipient: User, assignee: User) -> ComposedMail:
    return render("assigned_customer", ticket_subject(ticket, f"handled by {one_line(assignee.name)}"),
                  assignee_name=assignee.name, **_ticket_context(ticket, recipient))


def public_reply(ticket: Ticket, recipient: User, message: TicketMessage, author: User) -> ComposedMail:
    return render("public_reply", ticket_subject(ticket, "new reply"),
                  author_name=author.name, body=message.body, **_ticket_context(ticket, recipient))


def customer_reply(ticket: Ticket, recipient: User, message: TicketMessage, author: User) -> ComposedMail:
    return render("customer_reply", ticket_subject(ticket, "customer replied"),
                  author_name=author.name, body=message.body, **_ticket_context(ticket, recipient))


def status_changed(ticket: Ticket, recipient: User, new_status: TicketStatus,
                   rating_token: str | None = None) -> ComposedMail:
    """`rating_token`: a resolution's rating request; the resolved mail then links to it."""
    link = rating_url(rating_token) if rating_token and new_status == TicketStatus.RESOLVED else None
    return render("status_changed", ticket_subject(ticket, STATUS_SUFFIX[new_status]),
                  new_status=new_status.value, rating_url=link, **_ticket_context(ticket, recipient))


def sla_alert(ticket: Ticket, recipient: User, *, missed: bool, target: str, due_at: datetime | None) -> ComposedMail:
    """`target` is "first response" or "resolution"."""
    suffix = f"SLA {target} target missed" if missed else f"SLA {target} target at risk"
    due_text = due_at.strftime("%Y-%m-%d %H:%M UTC") if due_at else None
    return render("sla_alert", ticket_subject(ticket, suffix), missed=missed, target=target,
                  due_text=due_text, assignee_name=ticket.assignee.name if ticket.assignee else None,
                  **_ticket_context(ticket, recipient))


def admin_test_mail(recipient_name: str, requested_by: User) -> ComposedMail:
    return render("test_mail", f"{APP_NAME}: test mail", recipient_name=recipient_name,
                  requested_by_name=requested_by.name)


def account_link_url(address: str, token: str | None = None) -> str:
    """A link to an account page (a reset, a sign-up confirmation); `token` makes it one-time."""
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{config.base_url()}/{address}{query}"


def password_reset(recipient_name: str, link: str, *, minutes: int) -> ComposedMail:
    return render("password_reset", f"{APP_NAME}: choose a new password", recipient_name=recipient_name,
                  link=link, minutes=minutes)


def sign_up_confirmation(recipient_name: str, link: str, *, hours: int) -> ComposedMail:
    return render("sign_up_confirmation", f"{APP_NAME}: confirm your e-mail address",
                  recipient_name=recipient_name, link=link, hours=hours)


def sign_up_existing(recipient_name: str, reset_link: str) -> ComposedMail:
    return render("sign_up_existing", f"{APP_NAME}: someone tried to sign up with your address",
                  recipient_name=recipient_name, link=reset_link)
