"""What the console's queue screen lists: a queue's tickets under a view, and the counts per queue.

``queue_tickets`` lists a queue's tickets (or every queue's) under one of the views (all, mine,
unassigned, breaching SLA) and a status filter, next SLA deadline first; ``queue_counts`` gives those
counts for every queue in one grouped query. Both sort and filter on the one deadline rule
(``hotline.core.sla.deadline``) in SQL. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import col, select

from hotline.core.enums import OPEN_STATUSES, Priority, TicketStatus
from hotline.core.errors import NotFound
from hotline.core.models import Operator, Queue, Ticket
from hotline.core.services.tickets.read_model import TicketSummary
from hotline.core.services.tickets.reads import summaries, summary_query
from hotline.core.sla.deadline import next_deadline_sql

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

    rows: list[TicketSummary]
    total: int


def _open_condition() -> ColumnElement[bool]:
    return col(Ticket.status).in_([status.value for status in OPEN_STATUSES])


def _breaching_condition(now: datetime) -> ColumnElement[bool]:
    due = next_deadline_sql()
    return and_(due.is_not(None), due <= now)


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
        conditions.append(_breaching_condition(now))
    total = uow.session.exec(select(func.count()).select_from(Ticket).where(*conditions)).one()
    due = next_deadline_sql()
    rank = case(*((col(Ticket.priority) == p.value, p.rank) for p in Priority), else_=0)
    query = (
        summary_query(*conditions).order_by(due.is_(None), due, rank.desc(), col(Ticket.number)).limit(limit)
    )
    return QueueListing(rows=summaries(uow, query), total=int(total))


def queue_counts(uow: UnitOfWork, *, operator_login: str, now: datetime) -> list[QueueCount]:
    """Every queue (empty ones too, by name) with its open tickets counted under each view."""
    me = _operator_id(uow, operator_login)

    def count_where(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Queue.name,
            func.count(col(Ticket.id)),
            count_where(col(Ticket.assignee_id) == me),
            count_where(and_(col(Ticket.id).is_not(None), col(Ticket.assignee_id).is_(None))),
            count_where(_breaching_condition(now)),
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
