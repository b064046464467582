"""The one place tests build their data: people, categories, skills and tickets, each made the way
the app makes them (tickets through the customer's own service), and the shared world of a
small helpdesk (`Desk`) that the `desk` fixture in conftest.py hands to every test that needs one.

A test that needs more than the shared world adds to it with these same factories
(`add_user`, `add_category`, `give_skills`), so there is one way to make each thing."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from helpdesk.accounts.passwords import hash_password
from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, Role
from helpdesk.models import AgentSkill, Category, Ticket, User
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.customer import TicketDraft, create_ticket

TEST_PASSWORD = "Correct-Horse-42"
# argon2 is slow on purpose (about 0.5 s here): hash the shared test password once.
TEST_PASSWORD_HASH = hash_password(TEST_PASSWORD)

DEFAULT_SUBJECT = "Charged twice"
DEFAULT_DESCRIPTION = "My invoice shows the plan twice."


def add_user(engine: Engine, *, email: str, role: Role = Role.CUSTOMER, name: str | None = None,
             active: bool = True) -> User:
    """A person who can sign in with TEST_PASSWORD; the name defaults to the address's first part."""
    with session_scope(engine) as session:
        user = User(email=email, name=name or email.split("@")[0].title(), role=role, is_active=active,
                    password_hash=TEST_PASSWORD_HASH)
        session.add(user)
        session.flush()
        return user


def add_category(engine: Engine, name: str = "Billing") -> Category:
    with session_scope(engine) as session:
        category = Category(name=name, description=f"{name} questions")
        session.add(category)
        session.flush()
        return category


def give_skills(engine: Engine, agent: User, *categories: Category) -> None:
    """The categories an agent handles (what automatic assignment reads)."""
    with session_scope(engine) as session:
        for category in categories:
            session.add(AgentSkill(agent_id=agent.id, category_id=category.id))


def raise_ticket(engine: Engine, *, customer: User, category: Category | int, subject: str = DEFAULT_SUBJECT,
                 description: str = DEFAULT_DESCRIPTION, priority: Priority | str = Priority.NORMAL,
                 attachments: Iterable[UploadedFile] = (), **fields: Any) -> int:
    """A ticket raised through the service the submit page uses; returns its id.

    `fields` are then written straight onto the row (times, status, assignee) to build a
    known situation that would otherwise take a whole ticket life to reach."""
    category_id = category if isinstance(category, int) else category.id
    with session_scope(engine) as session:
        ticket = create_ticket(session=session, actor=session.get(User, customer.id), data=TicketDraft(
            category_id=category_id, priority=priority, subject=subject, description=description,
            attachments=list(attachments)))
        ticket_id = ticket.id
    if fields:
        with session_scope(engine) as session:
            ticket = session.get(Ticket, ticket_id)
            for name, value in fields.items():
                setattr(ticket, name, value)
    return ticket_id


def load_ticket(engine: Engine, ticket_id: int) -> Ticket:
    """The ticket row as it is in the database now (detached, attributes loaded)."""
    with session_scope(engine) as session:
        return session.get(Ticket, ticket_id)


def as_user(engine: Engine, person: User, service: Callable[..., Any], **arguments: Any) -> Any:
    """Call a service the way a page does: one transaction, the person loaded in it as the actor."""
    with session_scope(engine) as session:
        return service(session=session, actor=session.get(User, person.id), **arguments)


@dataclass
class Desk:
    """A small helpdesk: Carla the customer, the agents Alex and Bo, Ada the admin, and Billing."""

    engine: Engine
    customer: User
    agent: User
    agent2: User
    admin: User
    category: Category

    @classmethod
    def build(cls, engine: Engine) -> Desk:
        return cls(
            engine=engine,
            customer=add_user(engine, email="carla@example.com", name="Carla Customer"),
            agent=add_user(engine, email="alex@support.example.com", role=Role.AGENT, name="Alex Agent"),
            agent2=add_user(engine, email="bo@support.example.com", role=Role.AGENT, name="Bo Agent"),
            admin=add_user(engine, email="ada@support.example.com", role=Role.ADMIN, name="Ada Admin"),
            category=add_category(engine, "Billing"),
        )

    def raise_ticket(self, *, customer: User | None = None, category: Category | int | None = None,
                     **details: Any) -> int:
        """A ticket Carla (or `customer`) raises in Billing (or `category`); see raise_ticket."""
        return raise_ticket(self.engine, customer=customer or self.customer, category=category or self.category,
                            **details)

    def act(self, person: User, service: Callable[..., Any], **arguments: Any) -> Any:
        return as_user(self.engine, person, service, **arguments)

    def ticket(self, ticket_id: int) -> Ticket:
        return load_ticket(self.engine, ticket_id)
