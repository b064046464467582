"""Demo data for `python -m helpdesk seed-demo`."""
