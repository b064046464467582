"""Backups that restore: `python -m helpdesk backup` and `python -m helpdesk restore`.

One file holds everything (attachments live in the database): on SQLite an online copy of the
database file, on PostgreSQL a pg_dump custom-format archive. A backup file is checked before
anything in the target is touched, and a restore ends every sign-in session."""
