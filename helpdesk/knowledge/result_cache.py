"""Results worth keeping between Streamlit reruns, per database: a small LRU per Engine
(engines, not URLs or ids: ticket 7 of one database is not ticket 7 of another, and tests make
many databases in one process), safe to share between the server's threads.

Each entry is kept under a key the caller builds from the content the result was computed from,
with a freshness token read from the database on every call: an entry whose token differs is a
miss, so nothing here decides on its own that a result is still true. An entry can also be given
a maximum age, for what no cheap token shows. Permission checks stay in the services, before any
look-up here."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from helpdesk.core.clock import utcnow

T = TypeVar("T")


def engine_of(session: Session) -> Engine:
    """The database a session reads (the same identity search.py keys its index on)."""
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


class ResultCache(Generic[T]):
    """Up to `size` results per database, least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._entries: WeakKeyDictionary[Engine, OrderedDict[Hashable, tuple[Hashable, datetime, tuple[T, ...]]]] = (
            WeakKeyDictionary())

    def get(self, engine: Engine, key: Hashable, token: Hashable, *, max_age: timedelta | None = None) -> list[T] | None:
        """The result kept under `key` if it was computed at this `token` (and, with `max_age`,
        no longer ago than that); None otherwise. A fresh list each time: callers may change it."""
        with self._lock:
            entries = self._entries.get(engine)
            entry = entries.get(key) if entries is not None else None
            if entry is None:
                return None
            kept_token, kept_at, result = entry
            if kept_token != token or (max_age is not None and not timedelta(0) <= utcnow() - kept_at < max_age):
                del entries[key]  # a clock set back counts as too old too
                return None
            entries.move_to_end(key)
            return list(result)

    def put(self, engine: Engine, key: Hashable, token: Hashable, result: Sequence[T]) -> None:
        with self._lock:
            entries = self._entries.get(engine)
            if entries is None:
                entries = self._entries[engine] = OrderedDict()
            entries[key] = (token, utcnow(), tuple(result))
            entries.move_to_end(key)
            while len(entries) > self.size:
                entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
