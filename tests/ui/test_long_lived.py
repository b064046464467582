"""Streamlit's full collection after each run walks only what runs made (helpdesk/ui/long_lived.py):
what the process keeps is frozen once new modules arrived, garbage first collected, and garbage
made later still collected (issue 9, item 18)."""
from __future__ import annotations

import gc
import weakref

import pytest

from helpdesk.ui import long_lived


class Cycle:
    """Garbage only the cycle collector can free (it refers to itself)."""

    def __init__(self):
        self.me = self


@pytest.fixture
def collections(monkeypatch):
    calls = []
    real = gc.collect
    monkeypatch.setattr(long_lived.gc, "collect", lambda *args: calls.append(args) or real(*args))
    return calls


def modules_arrived(monkeypatch) -> None:
    """As if modules were imported since the last freeze (the first run of a page imports its own)."""
    monkeypatch.setattr(long_lived, "_modules_when_frozen", 0)


def test_new_modules_freeze_what_is_alive_after_collecting_what_is_not(monkeypatch, collections):
    modules_arrived(monkeypatch)
    kept = Cycle()
    garbage = Cycle()
    gone = weakref.ref(garbage)
    del garbage
    frozen_before = gc.get_freeze_count()

    long_lived.freeze_long_lived()

    assert len(collections) == 1
    assert gone() is None  # collected first, never frozen
    assert gc.get_freeze_count() > frozen_before
    assert kept.me is kept


def test_without_new_modules_nothing_more_is_done(monkeypatch, collections):
    modules_arrived(monkeypatch)
    long_lived.freeze_long_lived()
    frozen = gc.get_freeze_count()

    long_lived.freeze_long_lived()
    long_lived.freeze_long_lived()

    assert len(collections) == 1
    assert gc.get_freeze_count() == frozen


def test_garbage_made_after_a_freeze_is_still_collected(monkeypatch):
    modules_arrived(monkeypatch)
    long_lived.freeze_long_lived()
    garbage = Cycle()
    gone = weakref.ref(garbage)
    del garbage

    gc.collect(2)  # what Streamlit does after every run

    assert gone() is None


def test_every_page_run_passes_by_it(monkeypatch):
    from helpdesk.ui import engine

    calls = []
    monkeypatch.setattr(engine, "freeze_long_lived", lambda: calls.append(1))
    monkeypatch.setattr(engine, "get_engine", lambda: None)
    engine.db_session()
    assert calls == [1]
