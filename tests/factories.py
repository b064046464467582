"""The one place tests build their data: people, categories, skills and tickets, each made the way
the app makes them (tickets through the customer's own service), and the shared world of a
small helpdesk (`Desk`) that the `desk` fixture in conftest.py hands to every test that needs one.

A test that needs more than the shared world adds to it with these same factories
(`add_user`, `add_category`, `give_skills`), so there is one way to make each thing."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from helpdesk.accounts.passwords import hash_password
from helpdesk.accounts.users import NewAccount, authenticate
from helpdesk.core.db import session_scope
from helpdesk.core.errors import AuthenticationFailed
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


@dataclass
class Team:
    """Beside the Desk, for assignment: Ann and Ben handle Billing, Sam handles Shipping."""

    shipping: Category
    ann: User
    ben: User
    sam: User

    @classmethod
    def build(cls, desk: Desk) -> Team:
        """The Desk's Alex, Bo and Ada have no skills, so automatic assignment never picks
        them unless a test gives them some."""
        engine = desk.engine
        shipping = add_category(engine, "Shipping")
        team = cls(shipping=shipping,
                   ann=add_user(engine, email="ann@support.example.com", role=Role.AGENT, name="Ann"),
                   ben=add_user(engine, email="ben@support.example.com", role=Role.AGENT, name="Ben"),
                   sam=add_user(engine, email="sam@support.example.com", role=Role.AGENT, name="Sam"))
        give_skills(engine, team.ann, desk.category)
        give_skills(engine, team.ben, desk.category)
        give_skills(engine, team.sam, shipping)
        return team


def assignee_name(desk: Desk, ticket_id: int) -> str | None:
    assignee = desk.ticket(ticket_id).assignee
    return assignee.name if assignee else None


# --- accounts as a person types them into the sign-up form --------------------------------------

GOOD_PASSWORD = "Blue-Kettle-2024"


def new_account(name: str = "Ann Customer", email: str = "ann@example.com", password: str = GOOD_PASSWORD,
                repeat: str | None = None) -> NewAccount:
    return NewAccount(name=name, email=email, password=password,
                      password_repeat=password if repeat is None else repeat)


def user_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(User))


# What a refused sign-in reads, written out so a changed message fails the tests that use signs_in.
SIGN_IN_REFUSED = "That e-mail and password don't match an account."


def signs_in(engine: Engine, email: str, password: str) -> bool:
    """Whether these credentials open the account, asked of the same service the sign-in page uses."""
    try:
        with session_scope(engine) as session:
            authenticate(session=session, email=email, password=password)
    except AuthenticationFailed as exc:
        assert str(exc) == SIGN_IN_REFUSED
        return False
    return True
