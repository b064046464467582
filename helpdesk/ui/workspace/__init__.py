"""The parts of the agent's ticket page (pages/agent/ticket.py), one job each: the reply or
note box, the ticket's fields, the customer card. Each draws its part, reads its widgets and
calls the services; the page loads the ticket, keeps the optimistic lock and lays them out."""
