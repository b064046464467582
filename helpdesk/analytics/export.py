"""The analytics view as files: each chart's data as CSV, the whole view as one Excel workbook."""
from __future__ import annotations

import io

import pandas as pd

from helpdesk.analytics.definitions import DEFINITIONS
from helpdesk.analytics.kpis import HEADLINES, Kind
from helpdesk.analytics.report import Report

# (sheet name, DEFINITIONS key, attribute of the report)
TABLES = (
    ("Created and resolved", "volume", "volume"),
    ("Backlog by age", "backlog_by_age", "backlog_by_age"),
    ("Resolution by priority", "resolution_by_priority", "resolution_by_priority"),
    ("Resolution by category", "resolution_by_category", "resolution_by_category"),
    ("Per agent", "per_agent", "per_agent"),
    ("Arrivals", "arrivals", "arrivals"),
    ("Statuses", "statuses", "statuses"),
    ("Categories", "categories", "categories"),
    ("Satisfaction over time", "satisfaction_over_time", "satisfaction_over_time"),
    ("Satisfaction by response", "satisfaction_by_first_response", "satisfaction_by_first_response"),
)

def kpi_table(report: Report) -> pd.DataFrame:
    rows = []
    for headline in HEADLINES:
        now, before = getattr(report.current, headline.attribute), getattr(report.previous, headline.attribute)
        if headline.kind == Kind.SECONDS:
            now, before = (None if v is None else v / 3600 for v in (now, before))
        rows.append({"figure": headline.label, "this range": now, "previous range": before,
                     "change": None if now is None or before is None else now - before})
    return pd.DataFrame(rows)


# A cell starting with one of these is a formula to Excel and LibreOffice (=HYPERLINK(...) in an
# agent's name would run when the manager opens the file): such text gets a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that a spreadsheet would run as a formula made plain text."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_as_text)
    if safe.index.dtype == object or pd.api.types.is_string_dtype(safe.index):
        safe.index = safe.index.map(_as_text)
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    frame = spreadsheet_safe(frame)
    return frame.to_csv(index=frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex)) \
        .encode("utf-8")


def workbook_bytes(report: Report) -> bytes:
    """One sheet per table, the figures first, and a sheet saying what each one counts."""
    buffer = io.BytesIO()
    period = report.period
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        kpi_table(report).to_excel(writer, sheet_name="Figures", index=False)
        for sheet, _, attribute in TABLES:
            frame = spreadsheet_safe(getattr(report, attribute))
            frame.to_excel(writer, sheet_name=sheet[:31], index=attribute == "arrivals")
        pd.DataFrame([{"figure": d.title, "dates": d.dates_phrase, "counts": d.counts, "leaves out": d.excludes}
                      for d in DEFINITIONS.values()]).to_excel(writer, sheet_name="Definitions", index=False)
        pd.DataFrame([{"from": period.first.isoformat(), "to": period.last.isoformat(), "time zone": str(period.zone),
                       "business hours": report.filters.business_time}]).to_excel(
            writer, sheet_name="Range", index=False)
    return buffer.getvalue()
