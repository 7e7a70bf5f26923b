"""Reading tickets: the row itself for the services, the read model (``TicketSummary``/``TicketDetail``)
for the faces, a few set-based queries each. Nothing here writes.

Every summary comes from one select (``summary_query``: the ticket, its queue, assignee, client and SLA
clock in one row), so a listing of 500 tickets is one query, and a detail adds two (events,
attachments).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from hotline.core.enums import DONE_STATUSES, TicketStatus
from hotline.core.errors import NotFound
from hotline.core.models import Attachment, Client, Operator, Queue, Ticket, TicketEvent
from hotline.core.models.sla import TicketSla
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import get_queue
from hotline.core.services.tickets.read_model import AttachmentInfo, EventLine, TicketDetail, TicketSummary
from hotline.core.sla.deadline import next_deadline, next_deadline_sql, running_clock_start

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def get_ticket(uow: UnitOfWork, *, number: int, for_update: bool = False) -> Ticket:
    """The ticket row itself (for core services; faces read ``ticket_summary``/``ticket_detail``)."""
    query = select(Ticket).where(Ticket.number == number)
    if for_update:
        query = query.with_for_update()
    ticket = uow.session.exec(query).first()
    if ticket is None:
        raise NotFound(f"no ticket #{number}")
    return ticket


def ticket_events(uow: UnitOfWork, *, ticket_id: int) -> list[TicketEvent]:
    """The whole chronology as rows, oldest first."""
    return list(
        uow.session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.created_at), col(TicketEvent.id))
        )
    )


def summary_query(*conditions: ColumnElement[bool]) -> Any:
    """The select every summary is read with (add ``order_by``/``limit``), rows for ``summaries``."""
    return (
        select(
            Ticket,
            Queue.name,
            Operator.login,
            Operator.display_name,
            Client.name,
            TicketSla.clock_started_at,
            TicketSla.paused_at,
        )
        .join(Queue, col(Queue.id) == Ticket.queue_id)
        .outerjoin(Operator, col(Operator.id) == Ticket.assignee_id)
        .outerjoin(Client, col(Client.id) == Ticket.client_id)
        .outerjoin(TicketSla, col(TicketSla.ticket_id) == Ticket.id)
        .where(*conditions)
    )


def summaries(uow: UnitOfWork, query: Any) -> list[TicketSummary]:
    """Run a ``summary_query`` and describe its rows."""
    return [_summary(*row) for row in uow.session.exec(query)]


def _summary(
    ticket: Ticket,
    queue_name: str,
    login: str | None,
    display_name: str | None,
    client_name: str | None,
    clock_started_at: datetime | None,
    paused_at: datetime | None,
) -> TicketSummary:
    return TicketSummary(
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        queue=queue_name,
        client_id=ticket.client_id,
        client_name=client_name,
        requester=ticket.requester,
        assignee_login=login,
        assignee_name=display_name,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        due_at=next_deadline(ticket),
        clock_started_at=running_clock_start(
            ticket, created_at=ticket.created_at, sla_clock_started_at=clock_started_at
        ),
        paused=paused_at is not None and ticket.status == TicketStatus.PENDING.value,
        version=ticket.version,
    )


def ticket_summary(uow: UnitOfWork, *, number: int) -> TicketSummary:
    """Ticket ``number`` as the faces describe it (``NotFound`` when there is none)."""
    found = summaries(uow, summary_query(col(Ticket.number) == number))
    if not found:
        raise NotFound(f"no ticket #{number}")
    return found[0]


def ticket_detail(uow: UnitOfWork, *, number: int) -> TicketDetail:
    """Ticket ``number`` with its whole chronology (oldest first, attachments listed, never their bytes)."""
    found = uow.session.exec(summary_query(col(Ticket.number) == number)).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    return TicketDetail(ticket=_summary(*found), events=_event_lines(uow, int(found[0].id or 0)))


def tickets_by_number(uow: UnitOfWork, numbers: Sequence[int]) -> list[TicketSummary]:
    """The tickets of ``numbers`` that exist, in the order given (one query)."""
    if not numbers:
        return []
    found = {s.number: s for s in summaries(uow, summary_query(col(Ticket.number).in_(list(numbers))))}
    return [found[number] for number in numbers if number in found]


def list_tickets(
    uow: UnitOfWork,
    *,
    queue: str | None = None,
    status: TicketStatus | None = None,
    assignee_login: str | None = None,
    limit: int | None = None,
) -> list[TicketSummary]:
    """Tickets: open ones first, the next SLA deadline first (none last), then the newest first."""
    conditions: list[ColumnElement[bool]] = []
    if queue is not None:
        conditions.append(col(Ticket.queue_id) == get_queue(uow, name=queue).id)
    if status is not None:
        conditions.append(col(Ticket.status) == status.value)
    if assignee_login is not None:
        conditions.append(col(Ticket.assignee_id) == get_operator(uow, login=assignee_login).id)
    done = col(Ticket.status).in_([s.value for s in DONE_STATUSES])
    due = next_deadline_sql()
    query = summary_query(*conditions).order_by(done, due.is_(None), due, col(Ticket.number).desc())
    if limit is not None:
        query = query.limit(limit)
    return summaries(uow, query)


def _event_lines(uow: UnitOfWork, ticket_id: int) -> list[EventLine]:
    events = ticket_events(uow, ticket_id=ticket_id)
    attachments: dict[int, list[AttachmentInfo]] = {}
    if events:
        rows = uow.session.exec(
            select(Attachment.event_id, Attachment.filename, Attachment.content_type, Attachment.size)
            .join(TicketEvent, col(TicketEvent.id) == Attachment.event_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(Attachment.id))
        )
        for event_id, filename, content_type, size in rows:
            attachments.setdefault(event_id, []).append(AttachmentInfo(filename, content_type, int(size)))
    return [
        EventLine(
            id=int(event.id or 0),
            kind=event.kind,
            author=event.author,
            body=event.body,
            created_at=event.created_at,
            attachments=attachments.get(int(event.id or 0), []),
        )
        for event in events
    ]
