"""What every part of the agent's ticket page needs: the ticket as loaded, who is working it,
the version they are looking at, and how to report a save."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from helpdesk.models import Ticket, User
from helpdesk.tickets.customer import get_ticket
from helpdesk.ui.edit_lock import EditLock
from helpdesk.ui.notices import leave_notice

LOCK = "agent_ticket"  # the session_state prefix of the page's optimistic-lock state


@dataclass
class Workspace:
    ticket: Ticket
    user: User
    lock: EditLock

    @property
    def seen_version(self) -> int:
        return self.lock.seen_version

    def saved(self, session: Session, notice: str, where: str) -> None:
        """After our own save: remember the version we just wrote, so our next save is not a
        conflict. The notice shows where the agent clicked (`where`: "top", "reply" or "fields")."""
        self.lock.saved(get_ticket(session=session, actor=self.user, ticket_id=self.ticket.id).version)
        leave_notice(f"agent_notice_{where}", notice)
