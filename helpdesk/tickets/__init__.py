"""Tickets: the workflow table, the lifecycle kernel every change goes through, and the
customer's and the staff's actions on top of it.

Every service: `verb(*, session, actor, ...)`; check the actor, validate, change rows,
record events, enqueue notifications, flush (never commit)."""

# The analytics rollup follows every flushed ticket change; importing the package registers it.
from helpdesk.tickets import report_cells as _report_cells  # noqa: E402,F401
