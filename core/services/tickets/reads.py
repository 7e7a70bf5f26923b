"""Reading tickets: the row itself for the services, the read model (``TicketSummary``/``TicketDetail``)
for the faces, a few set-based queries each. Nothing here writes.

Every summary comes from one select (``summary_query``: the ticket's columns, its queue, assignee, client
and SLA clock in one row), so a listing of 500 tickets is one query, and a detail adds two (events,
attachments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from hotline.core.enums import DONE_STATUSES, TicketStatus
from hotline.core.errors import NotFound
from hotline.core.filenames import unique_names
from hotline.core.models import Attachment, Client, Operator, Queue, Ticket, TicketEvent
from hotline.core.models.sla import TicketSla
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import get_queue
from hotline.core.services.tickets.delivery_state import event_deliveries
from hotline.core.services.tickets.read_model import (
    AttachmentInfo,
    DeliveryInfo,
    EventLine,
    TicketDetail,
    TicketSummary,
)
from hotline.core.sla.deadline import next_deadline_and_clock, next_deadline_sql

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


_SUMMARY_COLUMNS = (
    col(Ticket.id),
    col(Ticket.number),
    col(Ticket.subject),
    col(Ticket.status),
    col(Ticket.priority),
    col(Ticket.client_id),
    col(Ticket.requester),
    col(Ticket.created_at),
    col(Ticket.updated_at),
    col(Ticket.first_response_at),
    col(Ticket.resolved_at),
    col(Ticket.first_response_due_at),
    col(Ticket.resolution_due_at),
    col(Ticket.version),
    col(Queue.name).label("queue_name"),
    col(Operator.login).label("assignee_login"),
    col(Operator.display_name).label("assignee_name"),
    col(Client.name).label("client_name"),
    col(TicketSla.clock_started_at).label("sla_clock_started_at"),
    col(TicketSla.paused_at).label("sla_paused_at"),
)
"""Columns, not entities: a listing of 500 builds no ORM objects it would throw away."""


def summary_query(*conditions: ColumnElement[bool]) -> Any:
    """The select every summary is read with (add ``order_by``/``limit``), rows for ``summaries``."""
    return (
        select(*_SUMMARY_COLUMNS)
        .select_from(Ticket)
        .join(Queue, col(Queue.id) == Ticket.queue_id)
        .outerjoin(Operator, col(Operator.id) == Ticket.assignee_id)
        .outerjoin(Client, col(Client.id) == Ticket.client_id)
        .outerjoin(TicketSla, col(TicketSla.ticket_id) == Ticket.id)
        .where(*conditions)
    )


def summaries(uow: UnitOfWork, query: Any) -> list[TicketSummary]:
    """Run a ``summary_query`` and describe its rows."""
    return [_summary(row) for row in uow.session.execute(query)]


def _summary(row: Any) -> TicketSummary:
    (  # the order of _SUMMARY_COLUMNS; unpacking a row is much cheaper than reading it by name
        _,
        number,
        subject,
        status,
        priority,
        client_id,
        requester,
        created_at,
        updated_at,
        first_response_at,
        resolved_at,
        first_response_due_at,
        resolution_due_at,
        version,
        queue,
        assignee_login,
        assignee_name,
        client_name,
        sla_clock_started_at,
        sla_paused_at,
    ) = row
    due_at, clock_started_at = next_deadline_and_clock(
        row, created_at=created_at, sla_clock_started_at=sla_clock_started_at
    )
    return TicketSummary(
        number=number,
        subject=subject,
        status=status,
        priority=priority,
        queue=queue,
        client_id=client_id,
        client_name=client_name,
        requester=requester,
        assignee_login=assignee_login,
        assignee_name=assignee_name,
        created_at=created_at,
        updated_at=updated_at,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        first_response_due_at=first_response_due_at,
        resolution_due_at=resolution_due_at,
        due_at=due_at,
        clock_started_at=clock_started_at,
        paused=sla_paused_at is not None and status == TicketStatus.PENDING.value,
        version=version,
    )


def ticket_summary(uow: UnitOfWork, *, number: int) -> TicketSummary:
    """Ticket ``number`` as the faces describe it (``NotFound`` when there is none)."""
    found = summaries(uow, summary_query(col(Ticket.number) == number))
    if not found:
        raise NotFound(f"no ticket #{number}")
    return found[0]


def ticket_detail(uow: UnitOfWork, *, number: int) -> TicketDetail:
    """Ticket ``number`` with its whole chronology (oldest first, attachments listed, never their bytes)."""
    found = uow.session.execute(summary_query(col(Ticket.number) == number)).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    return TicketDetail(ticket=_summary(found), events=_event_lines(uow, found.id))


def ticket_stamp(uow: UnitOfWork, *, number: int) -> tuple[Any, ...]:
    """A value that changes whenever ticket ``number`` does (its version, its last touch, its newest
    chronology line): how a screen learns cheaply whether to read it again. ``NotFound`` when gone."""
    newest_line = select(func.max(TicketEvent.id)).where(TicketEvent.ticket_id == Ticket.id).scalar_subquery()
    found = uow.session.exec(
        select(Ticket.version, Ticket.updated_at, newest_line).where(Ticket.number == number)
    ).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    return tuple(found)


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
    offset: int = 0,
) -> list[TicketSummary]:
    """Tickets: open ones first, the next SLA deadline first (none last), then the newest first; a page
    of them with ``limit`` and ``offset``."""
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
    if offset:
        query = query.offset(offset)
    return summaries(uow, query)


def _event_lines(uow: UnitOfWork, ticket_id: int) -> list[EventLine]:
    events = ticket_events(uow, ticket_id=ticket_id)
    attachments: dict[int, list[AttachmentInfo]] = {}
    deliveries: dict[int, DeliveryInfo] = {}
    if events:
        rows = uow.session.exec(
            select(Attachment.event_id, Attachment.filename, Attachment.content_type, Attachment.size)
            .join(TicketEvent, col(TicketEvent.id) == Attachment.event_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(Attachment.id))
        ).all()
        names = unique_names(row[1] for row in rows)  # in the attachments' order, as ticket_files names them
        for (event_id, filename, content_type, size), name in zip(rows, names, strict=True):
            info = AttachmentInfo(filename, content_type, int(size), name)
            attachments.setdefault(event_id, []).append(info)
        deliveries = event_deliveries(uow, ticket_id=ticket_id)
    return [
        EventLine(
            id=int(event.id or 0),
            kind=event.kind,
            author=event.author,
            body=event.body,
            created_at=event.created_at,
            attachments=attachments.get(int(event.id or 0), []),
            delivery=deliveries.get(int(event.id or 0)),
            charset_guessed=[str(note) for note in (event.data or {}).get("charset_guessed", [])],
        )
        for event in events
    ]
