"""The sign-in throttle: failed sign-ins counted per e-mail address and per client (the IP address
a sign-in comes from), in the database (so the counts survive restarts and every app process
shares them), and a growing delay instead of a lock, so the real owner is slowed, never shut out.

Each key ("address:<e-mail>", "client:<IP address>") may fail a few times freely: ADDRESS 3 times,
CLIENT 20 (many people can share one IP address behind NAT). Each failure beyond that makes the key
wait before its next attempt, twice as long each time: 2 s, 4 s, 8 s ... at most 15 minutes. A
key's failures are forgotten a quiet day after its last one; an address's also at once by a
successful sign-in or password reset (forget_failures). Unknown addresses are counted like known
ones, so the throttle doesn't tell which accounts exist, and its message reads the same.

Each attempt is reserved *before* its password is checked, in one atomic statement per key (an
upsert that counts the attempt as if it had failed already, sets the wait that failure would
bring, and changes nothing while the key must wait; on SQLite and PostgreSQL alike): however many
attempts arrive at once, at most free + 1 passwords are checked per key before its first wait,
and one per wait after that. A success then takes its count back (record_success)."""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from helpdesk.core.errors import Throttled
from helpdesk.models import LoginThrottle


@dataclass(frozen=True)
class Rule:
    prefix: str
    free_failures: int


ADDRESS = Rule("address", free_failures=3)
# Higher: an office or a mobile network puts many people behind one address, and a client limit
# is there for one machine trying many addresses, not for a colleague's typo.
CLIENT = Rule("client", free_failures=20)
FIRST_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
QUIET_PERIOD = timedelta(hours=24)

_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def delay_after(failures: int, rule: Rule) -> timedelta:
    """How long a key waits after its `failures`-th failure."""
    beyond = failures - rule.free_failures
    if beyond <= 0:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(beyond - 1, 20), MAX_DELAY)  # 2**20 s is past the cap already


def in_words(wait: timedelta) -> str:
    """"8 seconds", "1 minute", "4 minutes": rounded up, so trying again then works."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def throttled_message(wait: timedelta) -> str:
    return f"Too many failed sign-ins. Try again in {in_words(wait)}."


def address_key(email: str) -> str:
    return f"{ADDRESS.prefix}:{email.strip().lower()}"


def client_key(client: str) -> str:
    """An IPv6 client by its /64 network: a home or a server is handed a whole /64 and can sign
    in from any of its addresses, so counting single IPv6 addresses would count nothing."""
    client = client.strip()
    try:
        ip = ipaddress.ip_address(client)
    except ValueError:  # not an IP address (a proxy's name, say): counted as given
        return f"{CLIENT.prefix}:{client[:250]}"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return f"{CLIENT.prefix}:{ip.ipv4_mapped}"
    if ip.version == 6:
        return f"{CLIENT.prefix}:{ipaddress.ip_network((int(ip), 64), strict=False)}"
    return f"{CLIENT.prefix}:{ip}"


def _keys(email: str | None, client: str | None) -> list[tuple[str, Rule]]:
    # Always the address first: attempts lock the rows in one order, so they never deadlock.
    keys = [(address_key(email), ADDRESS)] if email else []
    if client and client.strip():
        keys.append((client_key(client), CLIENT))
    return keys


def _at(moment: datetime):
    return literal(moment, type_=LoginThrottle.__table__.c.next_attempt_at.type)


def _next_attempt_at(failures, rule: Rule, now: datetime):
    """When a key with `failures` (an SQL expression) failed at `now` may try next, as the
    database sees the count: one branch per doubling (about ten), then the cap."""
    waits = []
    n = rule.free_failures + 1
    while delay_after(n, rule) < MAX_DELAY:
        waits.append((failures == n, _at(now + delay_after(n, rule))))
        n += 1
    return case((failures <= rule.free_failures, null()), *waits, else_=_at(now + MAX_DELAY))


def _reserve(session: Session, key: str, rule: Rule, now: datetime) -> bool:
    """Count one attempt against `key` as a failure, with the wait it brings; False (and nothing
    counted) while the key must still wait."""
    table = LoginThrottle.__table__
    forgotten = table.c.last_failure_at <= now - QUIET_PERIOD
    failures = case((forgotten, 1), else_=table.c.failures + 1)
    next_attempt_at = _next_attempt_at(failures, rule, now)
    first_wait = delay_after(1, rule)
    reserve = _INSERT[session.get_bind().dialect.name](table).values(
        key=key, failures=1, last_failure_at=now, next_attempt_at=now + first_wait if first_wait else None)
    reserve = reserve.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"failures": failures,
              # A count that starts again starts now, so the attempts racing this one join it.
              "last_failure_at": case((forgotten, now), else_=table.c.last_failure_at),
              "next_attempt_at": next_attempt_at},
        where=or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now, forgotten),
    ).returning(table.c.failures)
    return session.execute(reserve).first() is not None


def reserve_attempt(session: Session, *, email: str | None, client: str | None, now: datetime) -> None:
    """Count one sign-in attempt against its address and its client, before any password is
    checked; Throttled, saying how long to wait, while either must wait.

    On Throttled the caller rolls back: a key that was free has counted the attempt already."""
    keys = _keys(email, client)
    for key, rule in keys:
        if not _reserve(session, key, rule, now):
            waits_until = session.scalar(select(func.max(LoginThrottle.next_attempt_at))
                                         .where(LoginThrottle.key.in_([k for k, _ in keys])))
            raise Throttled(throttled_message(waits_until - now if waits_until else FIRST_DELAY))


def record_failure(session: Session, *, email: str | None, client: str | None, now: datetime) -> None:
    """The attempt reserved at `now` failed: its keys' quiet period runs from now. (Its count and
    wait were set when it was reserved.)"""
    keys = [key for key, _ in _keys(email, client)]
    if keys:
        session.execute(update(LoginThrottle).where(LoginThrottle.key.in_(keys), LoginThrottle.last_failure_at < now)
                        .values(last_failure_at=now))


def record_success(session: Session, *, email: str | None, client: str | None, now: datetime) -> None:
    """The attempt reserved at `now` signed in: the address's failures are forgotten; the client
    gets back only this attempt's count, and the wait its reservation set. Forgetting the client's
    failures too would let anyone with an account of their own reset their machine's count by
    signing in between guesses at other addresses; keeping the wait would make everyone behind a
    shared address wait longer for each colleague who signs in."""
    if email:
        forget_failures(session, email)
    if client and client.strip():
        key = client_key(client)
        session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(
            failures=LoginThrottle.failures - 1,
            next_attempt_at=case(
                # Back within the free failures, nobody behind this address waits for this attempt.
                (LoginThrottle.failures - 1 <= CLIENT.free_failures, null()),
                # The wait is the one this attempt's reservation set (no attempt was let in since):
                # the wait before it, which had passed when this attempt was let in, is back.
                (LoginThrottle.next_attempt_at <= _next_attempt_at(LoginThrottle.failures, CLIENT, now), _at(now)),
                else_=LoginThrottle.next_attempt_at)))
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.failures <= 0))


def forget_failures(session: Session, email: str) -> None:
    """The address's failures are forgotten and its wait lifted: after a successful sign-in, or a
    password reset (whoever reset it holds the mailbox, so is the owner)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == address_key(email)))
