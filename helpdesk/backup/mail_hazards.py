"""What a restore does to mail, told to the operator (no mail is touched here): notifications the
backup still holds as queued go out (again, if they were sent since) once the notify worker runs,
and replies fetch-mail read after the backup are marked read in the mailbox but not in the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from helpdesk.enums import OutboxStatus
from helpdesk.models import InboundMail, OutboxMessage

# What the notify worker will pick up (helpdesk.notifications.sender: due, or claimed and lapsed).
QUEUED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class MailHazards:
    queued: int
    newest_read: datetime | None  # received_at of the newest mail the backup says was read

    def lines(self) -> list[str]:
        if not self.queued and self.newest_read is None:
            return ["mail: no notifications queued, no mail read from the mailbox in this backup"]
        lines = []
        if self.queued:
            lines.append(
                f"WARNING, mail: {self.queued} notifications were still queued when the backup was taken; those "
                "sent since then go out again once the notify worker runs. Before starting the notify worker, "
                "compare them with your mail server's log and mark the ones already sent: UPDATE "
                "notification_outbox SET status = 'sent' WHERE id IN (...) AND status IN ('pending', 'sending').")
        if self.newest_read is not None:
            lines.append(
                f"WARNING, mail: the newest mail fetch-mail had read in this backup was received "
                f"{self.newest_read.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC; replies it read after that are marked "
                "read (or moved) in the mailbox but are not in the database. Before starting fetch-mail, mark the "
                "mails received after that as unread in the mailbox it reads (and move back any it moved), so it "
                "reads them again.")
        return lines


def read_mail_hazards(connection: Connection) -> MailHazards:
    queued = connection.scalar(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.status.in_(QUEUED)))
    newest = connection.scalar(select(func.max(InboundMail.received_at)))
    return MailHazards(queued=int(queued or 0), newest_read=newest)
