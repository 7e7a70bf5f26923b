"""Where a ticket's outgoing mail is: each reply's outbox row read as queued, sent or failed, and a
cheap fingerprint of it all that a screen polls to know when to show the chronology again.

The outbox's own statuses are ``pending`` (waiting, or retrying after a temporary failure), ``sent``
and ``failed``; an operator reads ``pending`` as "queued".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from hotline.core.enums import OutboxStatus
from hotline.core.errors import NotFound
from hotline.core.models import OutboxMessage, Ticket
from hotline.core.services.tickets.read_model import DeliveryInfo

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

_SHOWN = {
    OutboxStatus.PENDING.value: "queued",
    OutboxStatus.SENT.value: "sent",
    OutboxStatus.FAILED.value: "failed",
}


def event_deliveries(uow: UnitOfWork, *, ticket_id: int) -> dict[int, DeliveryInfo]:
    """The delivery of each chronology line that sent mail, by event id (the newest row per line)."""
    rows = uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id, col(OutboxMessage.event_id).is_not(None))
        .order_by(col(OutboxMessage.id))
    ).all()
    return {
        int(row.event_id or 0): DeliveryInfo(
            status=_SHOWN.get(row.status, row.status),
            queued_at=row.created_at,
            sent_at=row.sent_at,
            failed_at=row.failed_at,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == OutboxStatus.PENDING.value else None,
            error=row.last_error,
            to=[str(address) for address in row.to_addrs],
        )
        for row in rows
    }


def delivery_fingerprint(uow: UnitOfWork, *, number: int) -> tuple[int, int, int, int]:
    """A value that changes whenever the ticket's outbox rows do (a row added, sent, failed, retried):
    how many there are, how many sent, how many failed, and their attempts in all. One small query."""
    ticket_id = uow.session.exec(select(Ticket.id).where(Ticket.number == number)).first()
    if ticket_id is None:
        raise NotFound(f"no ticket #{number}")
    status = col(OutboxMessage.status)
    found = uow.session.exec(
        select(
            func.count(),
            func.count().filter(status == OutboxStatus.SENT.value),
            func.count().filter(status == OutboxStatus.FAILED.value),
            func.coalesce(func.sum(OutboxMessage.attempts), 0),
        ).where(OutboxMessage.ticket_id == ticket_id)
    ).one()
    return (int(found[0]), int(found[1]), int(found[2]), int(found[3]))
