"""Which ticket a message answers: by the Message-IDs it names, else by the ``[#N]`` tag in its subject.

A Message-ID names a ticket when one of its events carries it (a message that came in) or when an
outbox row about the ticket does (our reply or acknowledgement). A message that answers nothing we
know opens a new ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from hotline.core.errors import NotFound
from hotline.core.models import OutboxMessage, Ticket, TicketEvent
from hotline.core.services.tickets import get_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail

MAX_THREAD_IDS = 50  # In-Reply-To and the newest References: enough for any real thread


def ticket_answered(uow: UnitOfWork, mail: IncomingMail) -> Ticket | None:
    """The ticket this message answers, or None for a new matter."""
    ids = [message_id for message_id in mail.thread_ids if message_id][:MAX_THREAD_IDS]
    ticket_id = _ticket_naming(uow, ids) if ids else None
    if ticket_id is not None:
        return uow.session.get(Ticket, ticket_id)
    if mail.ticket_number is not None:
        try:
            return get_ticket(uow, number=mail.ticket_number)
        except NotFound:
            return None
    return None


def _ticket_naming(uow: UnitOfWork, message_ids: list[str]) -> int | None:
    """The ticket whose latest event, or else whose outbox mail, carries one of these Message-IDs."""
    found = uow.session.exec(
        select(TicketEvent.ticket_id)
        .where(col(TicketEvent.message_id).in_(message_ids))
        .order_by(col(TicketEvent.created_at).desc(), col(TicketEvent.id).desc())
        .limit(1)
    ).first()
    if found is None:
        found = uow.session.exec(
            select(OutboxMessage.ticket_id)
            .where(col(OutboxMessage.message_id).in_(message_ids), col(OutboxMessage.ticket_id).is_not(None))
            .limit(1)
        ).first()
    return found
