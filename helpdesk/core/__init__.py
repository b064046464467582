"""The ground floor: errors, the clock, configuration and the database session.

Imports nothing else of helpdesk, so everything may import it."""
