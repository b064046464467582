"""How times and statuses read on the pages."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from helpdesk.enums import TicketStatus


def viewer_zone():
    """The time zone the person's browser reports (st.context.timezone), or UTC when it says none."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(moment: datetime) -> datetime:
    """A stored (UTC) time in the viewer's own time zone."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(viewer_zone())


def when(moment: datetime | None) -> str:
    """A stored (UTC) time as the person reads it: in their own time zone, named."""
    if moment is None:
        return "—"
    local = local_time(moment)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def status_text(status: TicketStatus) -> str:
    return status.label
