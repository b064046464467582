"""One module per CLI command; see helpdesk/cli.py."""
