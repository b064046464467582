"""Business rules. Every function: `verb(*, session, actor, ...)`; check the actor,
validate, change rows, record events, enqueue notifications, flush (never commit)."""
