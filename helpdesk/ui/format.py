"""How times and statuses read on the pages."""
from __future__ import annotations

from datetime import datetime

from helpdesk.enums import TicketStatus


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def status_text(status: TicketStatus) -> str:
    return status.label
