"""What the console's queue and ticket screens show: pure reads, a few set-based queries each.

``queue_tickets`` lists a queue's tickets (or every queue's) under one of the views (all, mine, unassigned,
breaching SLA) and a status filter, next SLA deadline first; ``queue_counts`` gives those counts per queue
in one grouped query; ``ticket_detail`` is one ticket with its whole chronology and attachment metadata
(never the attachment bytes). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlmodel import col, select

from hotline.core.errors import NotFound
from hotline.core.models import Attachment, Client, Operator, Queue, Ticket, TicketEvent
from hotline.core.models.enums import OPEN_STATUSES, Priority, TicketStatus
from hotline.core.models.sla import TicketSla

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

DEFAULT_LIMIT = 500


class QueueView(StrEnum):
    """Which of a queue's tickets to show."""

    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"


@dataclass(frozen=True)
class TicketRow:
    """One line of a queue listing; ``version`` is what a change from this line must expect."""

    number: int
    subject: str
    status: str
    priority: str
    queue: str
    assignee_login: str | None
    client_name: str | None
    requester: str | None
    due_at: datetime | None
    """The next SLA deadline: first response until there is one, then resolution; None when done."""
    clock_started_at: datetime
    """When the running SLA clock started (for "how much of the target is left")."""
    paused: bool
    version: int


@dataclass(frozen=True)
class QueueCount:
    """Open tickets of one queue under each view."""

    queue: str
    open: int
    mine: int
    unassigned: int
    breaching: int


@dataclass(frozen=True)
class QueueListing:
    """A page of a queue listing and how many tickets matched in all."""

    rows: list[TicketRow]
    total: int


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class EventLine:
    """One line of a ticket's chronology."""

    id: int
    kind: str
    author: str
    body: str
    created_at: datetime
    attachments: list[AttachmentInfo] = field(default_factory=list)


@dataclass(frozen=True)
class TicketDetail:
    """A ticket as the ticket screen shows it, with its chronology oldest first."""

    row: TicketRow
    assignee_name: str | None
    client_id: int | None
    created_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    events: list[EventLine]

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def version(self) -> int:
        return self.row.version


def _due_expression() -> ColumnElement[Any]:
    done = col(Ticket.status).in_([TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value])
    return case(
        (done, None),
        (
            col(Ticket.first_response_at).is_(None),
            func.coalesce(Ticket.first_response_due_at, Ticket.resolution_due_at),
        ),
        else_=Ticket.resolution_due_at,
    )


def _open_condition() -> ColumnElement[bool]:
    return col(Ticket.status).in_([status.value for status in OPEN_STATUSES])


def _breaching_condition(due: ColumnElement[Any], now: datetime) -> ColumnElement[bool]:
    return and_(due.is_not(None), due <= literal(now, Ticket.__table__.c.resolution_due_at.type))


def _operator_id(uow: UnitOfWork, login: str) -> int:
    operator_id = uow.session.exec(select(Operator.id).where(Operator.login == login)).first()
    return int(operator_id) if operator_id is not None else -1


def queue_tickets(
    uow: UnitOfWork,
    *,
    operator_login: str,
    now: datetime,
    queue: str | None = None,
    view: QueueView = QueueView.ALL,
    status: TicketStatus | None = None,
    limit: int = DEFAULT_LIMIT,
) -> QueueListing:
    """Tickets of ``queue`` (None: every queue) under ``view``, open ones unless ``status`` is given,
    next deadline first (none last), then the higher priority, then the older ticket."""
    due = _due_expression().label("due")
    conditions: list[ColumnElement[bool]] = []
    if queue is not None:
        queue_id = uow.session.exec(select(Queue.id).where(Queue.name == queue)).first()
        if queue_id is None:
            raise NotFound(f"no queue named {queue!r}")
        conditions.append(col(Ticket.queue_id) == queue_id)
    conditions.append(col(Ticket.status) == status.value if status is not None else _open_condition())
    if view is QueueView.MINE:
        conditions.append(col(Ticket.assignee_id) == _operator_id(uow, operator_login))
    elif view is QueueView.UNASSIGNED:
        conditions.append(col(Ticket.assignee_id).is_(None))
    elif view is QueueView.BREACHING:
        conditions.append(_breaching_condition(_due_expression(), now))
    total = uow.session.exec(select(func.count()).select_from(Ticket).where(*conditions)).one()
    rank = case(*((col(Ticket.priority) == p.value, p.rank) for p in Priority), else_=0)
    query = (
        select(
            Ticket,
            Queue.name,
            Operator.login,
            Client.name,
            TicketSla.clock_started_at,
            TicketSla.paused_at,
            due,
        )
        .join(Queue, col(Queue.id) == Ticket.queue_id)
        .outerjoin(Operator, col(Operator.id) == Ticket.assignee_id)
        .outerjoin(Client, col(Client.id) == Ticket.client_id)
        .outerjoin(TicketSla, col(TicketSla.ticket_id) == Ticket.id)
        .where(*conditions)
        .order_by(due.is_(None), due, rank.desc(), col(Ticket.number))
        .limit(limit)
    )
    rows = [
        _row(ticket, queue_name, login, client_name, started, paused_at, due_at)
        for ticket, queue_name, login, client_name, started, paused_at, due_at in uow.session.exec(query)
    ]
    return QueueListing(rows=rows, total=int(total))


def _row(
    ticket: Ticket,
    queue_name: str,
    login: str | None,
    client_name: str | None,
    started: datetime | None,
    paused_at: datetime | None,
    due_at: Any,
) -> TicketRow:
    if isinstance(due_at, str):  # SQLite hands a CASE over datetimes back as text
        due_at = datetime.fromisoformat(due_at)
    if isinstance(due_at, datetime) and due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=UTC)
    first_response_pending = ticket.first_response_at is None and ticket.first_response_due_at is not None
    clock_start = ticket.created_at if first_response_pending or started is None else started
    return TicketRow(
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        queue=queue_name,
        assignee_login=login,
        client_name=client_name,
        requester=ticket.requester,
        due_at=due_at,
        clock_started_at=clock_start,
        paused=paused_at is not None and ticket.status == TicketStatus.PENDING.value,
        version=ticket.version,
    )


def queue_counts(uow: UnitOfWork, *, operator_login: str, now: datetime) -> list[QueueCount]:
    """Every queue (empty ones too, by name) with its open tickets counted under each view."""
    me = _operator_id(uow, operator_login)
    due = _due_expression()

    def count_where(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Queue.name,
            func.count(col(Ticket.id)),
            count_where(col(Ticket.assignee_id) == me),
            count_where(and_(col(Ticket.id).is_not(None), col(Ticket.assignee_id).is_(None))),
            count_where(_breaching_condition(due, now)),
        )
        .select_from(Queue)
        .outerjoin(Ticket, and_(col(Ticket.queue_id) == Queue.id, _open_condition()))
        .group_by(col(Queue.id), col(Queue.name))
        .order_by(col(Queue.name))
    )
    return [
        QueueCount(queue=name, open=int(n), mine=int(m), unassigned=int(u), breaching=int(b))
        for name, n, m, u, b in uow.session.exec(query)
    ]


def ticket_detail(uow: UnitOfWork, *, number: int) -> TicketDetail:
    """One ticket with its names resolved and its whole chronology (oldest first, attachments listed)."""
    due = _due_expression().label("due")
    found = uow.session.exec(
        select(
            Ticket,
            Queue.name,
            Operator.login,
            Operator.display_name,
            Client.name,
            TicketSla.clock_started_at,
            TicketSla.paused_at,
            due,
        )
        .join(Queue, col(Queue.id) == Ticket.queue_id)
        .outerjoin(Operator, col(Operator.id) == Ticket.assignee_id)
        .outerjoin(Client, col(Client.id) == Ticket.client_id)
        .outerjoin(TicketSla, col(TicketSla.ticket_id) == Ticket.id)
        .where(Ticket.number == number)
    ).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    ticket, queue_name, login, display_name, client_name, started, paused_at, due_at = found
    return TicketDetail(
        row=_row(ticket, queue_name, login, client_name, started, paused_at, due_at),
        assignee_name=display_name,
        client_id=ticket.client_id,
        created_at=ticket.created_at,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        events=_events(uow, int(ticket.id or 0)),
    )


def _events(uow: UnitOfWork, ticket_id: int) -> list[EventLine]:
    events = list(
        uow.session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.created_at), col(TicketEvent.id))
        )
    )
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


def operator_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Active operators as (login, display name), by display name: whom a ticket can be assigned to."""
    return [
        (login, name)
        for login, name in uow.session.exec(
            select(Operator.login, Operator.display_name)
            .where(col(Operator.active).is_(True))
            .order_by(col(Operator.display_name), col(Operator.login))
        )
    ]


def queue_names(uow: UnitOfWork) -> list[str]:
    return list(uow.session.exec(select(Queue.name).order_by(col(Queue.name))))


__all__ = [
    "AttachmentInfo",
    "EventLine",
    "QueueCount",
    "QueueListing",
    "QueueView",
    "TicketDetail",
    "TicketRow",
    "operator_choices",
    "queue_counts",
    "queue_names",
    "queue_tickets",
    "ticket_detail",
]
