"""Case-insensitive substring search: the one place that builds the search conditions, on
ticket subjects (My tickets, the agent queue) and on people (the queue also finds a ticket by
its customer's name or e-mail address).

The meaning is always a plain LIKE: lower(subject), lower(name) or the e-mail address (stored
lowercased) contains the lowered search text, with % and _ typed by the user taken literally.
For subjects an index only finds the candidates faster (migration 0003):

- PostgreSQL: a GIN trigram index on lower(subject) (pg_trgm) serves that LIKE as it is.
- SQLite: an FTS5 trigram table, tickets_subject_fts, kept in step with tickets by triggers.
  It narrows the rows (ids whose subject has the text's trigrams, case folded) and the LIKE
  decides, so results are exactly the LIKE's. The id list is only a filter: the query still
  walks the index of its other conditions (customer, queue view) and looks each id up in the
  list before reading the row. Letting SQLite drive by the list instead (it does, without
  statistics, for a range such as "resolved in the last 7 days") reads every ticket whose
  subject matches anywhere: 1.5-3x slower than LIKE alone for common words.
  Trigrams need 3 characters: shorter text, or a SQLite without FTS5/trigram (the migration
  then skips the table), uses the LIKE alone.

People have no text index: subject_or_customer_contains reads users once (10-15 ms for
50,000 on either database) and gives the ticket queries (count and page) the matching
customers as a list of ids, or, when there are none, the subject condition alone, unchanged.
The list is an OR beside the subject condition, so the queries still walk their view's index:
PostgreSQL combines the trigram and customer indexes (BitmapOr) for a narrow search; SQLite
checks each ticket id against the subject candidates and the customers' ticket ids (from the
customer index) and reads only the rows that pass. More than LISTED_CUSTOMERS_MAX customers (a
whole domain, a single letter) go in as the lookup itself: each query then reads users again
and every ticket of its view.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Integer, LargeBinary, and_, case, cast, func, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from helpdesk.models import Ticket, User

FTS_TABLE = "tickets_subject_fts"
PG_TRIGRAM_INDEX = "ix_tickets_subject_trgm"
TRIGRAM_LENGTH = 3
# Customers a queue search may match and still reach the ticket queries as a list of ids; a
# broader search (a whole domain) gives them the lookup itself.
LISTED_CUSTOMERS_MAX = 1000

# Whether the SQLite database has the FTS table, looked up once per engine.
_fts_available: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def searchable(value: str) -> str:
    """Search text as a person meant it: invisible control and format characters (NUL, bidi
    controls, zero-width spaces) dropped, which also keeps NUL away from FTS5 and PostgreSQL."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(value: str) -> str:
    """The text as one FTS5 string: quotes doubled, so operators and punctuation are literal."""
    return '"' + value.replace('"', '""') + '"'


def subject_contains(session: Session, search: str):
    """Tickets whose subject contains `search`, ignoring case."""
    needle = search.lower()
    matches = func.lower(Ticket.subject).like(f"%{escape_like(needle)}%", escape="\\")
    if len(needle) >= TRIGRAM_LENGTH and _has_fts_table(session):
        candidates = (text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :subject_phrase")
                      .bindparams(subject_phrase=fts_phrase(needle)).columns(rowid=Integer))
        return and_(_not_for_lookup(Ticket.id).in_(candidates), matches)
    return matches


def person_contains(session: Session, search: str):
    """Users whose display name or e-mail address contains `search`, ignoring case: the LIKE
    of subjects, on lower(name) and on the address as stored (lowercased)."""
    pattern = f"%{escape_like(search.lower())}%"
    return or_(_lowered(session, User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))


def subject_or_customer_contains(session: Session, search: str):
    """Tickets whose subject, or whose customer's name or e-mail address, contains `search`,
    ignoring case. Looks the customers up first (one query, see the module docstring)."""
    subject = subject_contains(session, search)
    customers = select(User.id).where(person_contains(session, search))
    customer_ids = session.scalars(customers.limit(LISTED_CUSTOMERS_MAX + 1)).all()
    if not customer_ids:
        return subject  # the subject search alone, as it always was
    if len(customer_ids) > LISTED_CUSTOMERS_MAX:  # a whole domain: the view's tickets are read anyway
        return or_(subject, Ticket.customer_id.in_(customers))
    if session.get_bind().dialect.name == "sqlite":
        # Their ticket ids, from the customer index: the view's index holds ids, so a ticket
        # that is neither a subject candidate nor theirs is passed over without reading its row.
        theirs = aliased(Ticket, name="theirs")
        their_tickets = select(theirs.id).where(theirs.customer_id.in_(customer_ids))
        return or_(subject, _not_for_lookup(Ticket.id).in_(their_tickets))
    return or_(subject, Ticket.customer_id.in_(customer_ids))


def _not_for_lookup(column):
    """Unary + keeps SQLite from using an id list to pick the rows (see above)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=Integer)


def _lowered(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        # lower() is Python's on SQLite (core.db), about 0.5 us a call: 25 ms over 50,000 users.
        # A value with as many bytes as characters is ASCII, and LIKE already ignores ASCII case,
        # so only the others need lowering; the answer is the same.
        return case((func.length(column) == func.length(cast(column, LargeBinary)), column),
                    else_=func.lower(column))
    return func.lower(column)


def _has_fts_table(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    engine = getattr(bind, "engine", bind)
    if engine not in _fts_available:
        found = session.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"),
                                {"name": FTS_TABLE}).scalar()
        _fts_available[engine] = bool(found)
    return _fts_available[engine]


@contextmanager
def indexed_after_bulk_insert(connection: Connection, first_new_id: int) -> Iterator[None]:
    """SQLite: around a bulk insert of tickets numbered from first_new_id (seed-demo), index
    the new subjects in one statement at the end instead of row by row in the triggers
    (0.4 s instead of about 6 s per 100,000 tickets). The triggers are back before this
    returns, also after an error or Ctrl-C; nobody else may write tickets meanwhile."""
    if connection.dialect.name != "sqlite" or not connection.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": FTS_TABLE}).scalar():
        yield
        return
    triggers = [(name, sql) for name, sql in connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets'"))
        if name.startswith(f"{FTS_TABLE}_")]
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()  # a chunk cut short leaves no rows, so nothing to index
        connection.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, subject) SELECT id, subject FROM tickets "
                                "WHERE id >= :first"), {"first": first_new_id})
        for _name, sql in triggers:
            connection.exec_driver_sql(sql)
        connection.commit()


def is_search_index(name: str | None, type_: str) -> bool:
    """The search index objects migration 0003 makes outside the models (FTS5 table and its
    shadow tables; the trigram expression index), which schema comparison leaves aside."""
    if type_ == "table":
        return name == FTS_TABLE or (name or "").startswith(f"{FTS_TABLE}_")
    if type_ == "index":
        return name == PG_TRIGRAM_INDEX
    return False


def include_in_schema_comparison(name, type_, _parent_names) -> bool:
    """Alembic include_name hook: everything but the search index objects."""
    return not is_search_index(name, type_)
