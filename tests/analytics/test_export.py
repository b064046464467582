"""The analytics view as files: the Excel workbook holds a sheet per table with the same numbers
the page shows, and each chart's CSV is its table."""
from __future__ import annotations

import io
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd

from helpdesk import settings
from helpdesk.analytics.export import TABLES, csv_bytes, workbook_bytes
from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.report import build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.db import session_scope
from helpdesk.enums import TicketStatus
from helpdesk.models import User
from helpdesk.tickets import staff


def small_report(desk, clock):
    clock.now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    # Reports count the business-hours zone's days and hours.
    desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
        start=time(0), end=time(23, 59), timezone="Europe/Amsterdam"))
    ids = [desk.raise_ticket(subject=f"Ticket {n}") for n in range(3)]
    clock.advance(hours=2)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ids[0], body="Done.", new_status=TicketStatus.RESOLVED)
    clock.advance(hours=1)
    period = make_period(preset=RangePreset.LAST_7, now=clock.now, zone=ZoneInfo("Europe/Amsterdam"))
    with session_scope(desk.engine) as session:
        return build_report(session=session, actor=session.get(User, desk.admin.id), period=period,
                            filters=TicketFilter(), now=clock.now)


def test_the_workbook_has_a_sheet_per_table_and_the_page_numbers(desk, clock):
    report = small_report(desk, clock)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)), read_only=True)
    assert book.sheetnames == ["Figures", *[sheet[:31] for sheet, _, _ in TABLES], "Definitions", "Range"]
    figures = {row[0]: row[1] for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["Tickets created"] == 3 and figures["Tickets resolved"] == 1 and figures["Open backlog"] == 2
    assert figures["First response, median (h)"] == 2.0
    volume = list(book["Created and resolved"].iter_rows(values_only=True))
    assert volume[0] == ("start", "created", "resolved", "backlog")
    assert sum(row[1] for row in volume[1:]) == 3
    definitions = [row[0] for row in book["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert "First-response SLA met" in definitions


def test_a_charts_csv_is_its_table(desk, clock):
    report = small_report(desk, clock)
    frame = pd.read_csv(io.BytesIO(csv_bytes(report.statuses)))
    assert dict(zip(frame["status"], frame["tickets"])) == {"New": 2, "Open": 0, "In progress": 0,
                                                             "Waiting on customer": 0, "Resolved": 1, "Closed": 0}
    heatmap = pd.read_csv(io.BytesIO(csv_bytes(report.arrivals)), index_col=0)
    assert heatmap.loc["Mon"].sum() == 3  # raised on Monday 30 November, 10:00 in Amsterdam
    assert heatmap.loc["Mon", "10"] == 3


def test_a_name_that_looks_like_a_formula_stays_text_in_both_files(desk, clock):
    from helpdesk.models import User as UserRow
    from helpdesk.tickets import assignment
    with session_scope(desk.engine) as session:
        session.get(UserRow, desk.agent.id).name = '=HYPERLINK("http://evil.example","Click")'
    clock.now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    ticket_id = desk.raise_ticket()
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent.id)
    clock.advance(hours=1)
    period = make_period(preset=RangePreset.LAST_7, now=clock.now, zone=ZoneInfo("UTC"))  # the report zone (no business hours)
    with session_scope(desk.engine) as session:
        report = build_report(session=session, actor=session.get(User, desk.admin.id), period=period,
                              filters=TicketFilter(), now=clock.now)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)))
    cell = book["Per agent"]["B2"]
    assert cell.data_type == "s" and cell.value == "'" + '=HYPERLINK("http://evil.example","Click")'
    frame = pd.read_csv(io.BytesIO(csv_bytes(report.per_agent)))
    assert frame.loc[0, "agent"] == "'" + '=HYPERLINK("http://evil.example","Click")'  # text, not a formula
