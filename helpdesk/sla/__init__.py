"""Service levels: due dates and clocks, the admins' targets per priority, and the alerts."""
