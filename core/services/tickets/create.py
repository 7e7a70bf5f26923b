"""Opening a ticket: a number, the subject cleaned, the first event, the SLA clocks, one audit entry.

The subject rule (``clean_subject``: whitespace folded, at most ``MAX_SUBJECT`` characters, never blank)
lives here and is applied by a change of subject too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.core.enums import EventKind, Priority, TicketStatus
from hotline.core.errors import InvalidInput
from hotline.core.models import Queue, Ticket
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import ensure_queue, get_queue
from hotline.core.services.tickets._chronology import add_event
from hotline.core.services.tickets._numbering import next_number
from hotline.core.sla import tracking
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_SUBJECT = 500


def clean_subject(subject: str, *, where: str = "subject") -> str:
    """The subject as stored: runs of whitespace (newlines too) as one space, cut at ``MAX_SUBJECT``."""
    cleaned = " ".join(subject.split())
    if not cleaned:
        raise InvalidInput("a ticket needs a subject", where=where)
    return cleaned[:MAX_SUBJECT]


def create_ticket(
    uow: UnitOfWork,
    *,
    subject: str,
    queue: str,
    priority: Priority = Priority.NORMAL,
    client_id: int | None = None,
    requester: str | None = None,
    body: str = "",
    assignee_login: str | None = None,
    first_event: EventKind = EventKind.NOTE,
    message_id: str | None = None,
    author: str | None = None,
    sla: SlaSetup | None = None,
    queue_row: Queue | None = None,
    new_queue: bool = True,
) -> Ticket:
    """Open a ticket with its first event (the client's message, or the operator's note) and start its
    SLA clocks (first-response and resolution due times) when ``sla`` is given.

    ``queue_row``: the queue already looked up (or created) by a caller opening many tickets, such as
    the mail poller; its name must be ``queue``. ``new_queue=False``: an unknown queue is ``NotFound``
    (with the close matches) instead of being created."""
    if queue_row is None and not new_queue:
        queue_row = get_queue(uow, name=queue)
    subject = clean_subject(subject)
    now = uow.now()
    ticket = Ticket(
        number=next_number(uow),
        subject=subject,
        status=TicketStatus.NEW.value,
        priority=priority.value,
        queue_id=(queue_row if queue_row is not None else ensure_queue(uow, name=queue)).id,
        client_id=client_id,
        requester=requester,
        assignee_id=get_operator(uow, login=assignee_login).id if assignee_login else None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(ticket)
    uow.session.flush()
    clocks = None
    if sla is not None:
        clocks = tracking.start_clocks(uow, ticket=ticket, sla=sla, start=now, fresh=True)
    if body or message_id:
        add_event(
            uow, ticket=ticket, kind=first_event, body=body, message_id=message_id, author=author, sla=sla
        )
    uow.session.flush()
    record_audit(
        uow, action="ticket.create", entity="ticket", entity_id=ticket.number, after=snapshot(ticket)
    )
    # Kept referenced (the session's identity map is weak) so the next event's touch finds the row
    # without a query; only ever the newest ticket's, and only through session.get.
    uow.session.info["hotline.newest_clocks"] = clocks
    return ticket
