"""An install upgraded from before analytics: its tickets have no stored durations until
`rebuild-metrics` runs, and the analytics page says so instead of showing figures that leave them out."""
from __future__ import annotations

from alembic import command
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core.db import alembic_config, migrate, session_scope
from helpdesk.models import Ticket, report_cells
from helpdesk.tickets import staff
from helpdesk.tickets.metrics import rebuild_all
from tests.factories import Desk


def test_an_upgraded_install_is_told_to_rebuild_and_the_rebuild_fills_the_figures(sqlite_engine):
    desk = Desk.build(sqlite_engine)
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Done.")
    command.downgrade(alembic_config(sqlite_engine), "0003")  # as if the tickets came from the old version
    migrate(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        assert settings.metrics_pending(session) and settings.report_cells_pending(session)
        assert session.scalar(select(Ticket.staff_reply_count).where(Ticket.id == ticket_id)) == 0
        assert session.scalar(select(func.sum(report_cells.c.created))) is None  # in no cell yet
        rebuild_all(session=session)
    with session_scope(sqlite_engine) as session:
        assert not settings.metrics_pending(session) and not settings.report_cells_pending(session)
        assert session.scalar(select(Ticket.staff_reply_count).where(Ticket.id == ticket_id)) == 1
        assert session.scalar(select(func.sum(report_cells.c.created))) == 1
        assert len(session.scalar(select(report_cells.c.first_response_values))) == 8  # one float64


def test_a_fresh_install_has_nothing_to_rebuild(engine):
    with session_scope(engine) as session:
        assert not settings.metrics_pending(session) and not settings.report_cells_pending(session)


def test_the_rebuild_command_says_how_many_tickets_it_did(sqlite_engine, capsys):
    from helpdesk.cli import main

    desk = Desk.build(sqlite_engine)
    for n in range(3):
        desk.raise_ticket(subject=f"Ticket {n}")
    assert main(["--database-url", sqlite_engine.url.render_as_string(hide_password=False), "rebuild-metrics"]) == 0
    assert "Rebuilt the figures of 3 tickets." in capsys.readouterr().out
