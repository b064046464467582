"""Text search used by the domains (ticket subjects today): FTS5 on SQLite, pg_trgm on PostgreSQL."""
