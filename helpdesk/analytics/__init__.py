"""Manager analytics: every figure an aggregation in the database over the stored per-ticket
durations (helpdesk.tickets.metrics), returned as small DataFrames; nothing loads all tickets.

period.py says which moments a report covers; sql.py which tickets (TicketFilter); kpis.py and
charts.py compute; definitions.py says in words what each number counts; report.py puts the view
together for the people allowed to see it."""
