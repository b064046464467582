"""Work run from cron or the CLI rather than from a page."""
