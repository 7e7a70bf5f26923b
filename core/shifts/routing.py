"""Choosing an assignee among a queue's members on shift now: round-robin or least-loaded.

Round-robin keeps its place per queue (``routing_cursor``, taken under lock, so two processes routing
at once hand out turns in one order); least-loaded takes the member with the fewest open tickets, ties
going round-robin. Nobody on shift: None, and the ticket stays as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from hotline.core.models import Operator, RoutingCursor, Ticket
from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.services.shifts import on_shift_members

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MODES = ("round-robin", "least-loaded")


def _cursor(uow: UnitOfWork, queue_id: int) -> RoutingCursor:
    cursor = uow.session.exec(
        select(RoutingCursor).where(RoutingCursor.queue_id == queue_id).with_for_update()
    ).first()
    if cursor is None:
        cursor = RoutingCursor(queue_id=queue_id)
        uow.session.add(cursor)
    return cursor


def _after_cursor(candidates: list[Operator], last_id: int | None) -> list[Operator]:
    """The candidates in turn order: those after the last one served, then from the start."""
    if last_id is None:
        return candidates
    later = [c for c in candidates if (c.id or 0) > last_id]
    return later + [c for c in candidates if (c.id or 0) <= last_id]


def open_loads(uow: UnitOfWork, operator_ids: list[int]) -> dict[int, int]:
    """Open tickets assigned to each of the operators."""
    rows = uow.session.exec(
        select(Ticket.assignee_id, func.count())
        .where(
            col(Ticket.assignee_id).in_(operator_ids),
            col(Ticket.status).in_([status.value for status in OPEN_STATUSES]),
        )
        .group_by(col(Ticket.assignee_id))
    )
    loads = dict.fromkeys(operator_ids, 0)
    loads.update({operator_id: count for operator_id, count in rows if operator_id is not None})
    return loads


def pick_assignee(uow: UnitOfWork, *, queue_id: int, mode: str, at: datetime) -> Operator | None:
    """The next member of the queue on shift at ``at`` by ``mode`` (round-robin, least-loaded)."""
    if mode not in MODES:
        raise ValueError(f"unknown routing {mode!r} (one of: {', '.join(MODES)})")
    cursor = _cursor(uow, queue_id)
    candidates = on_shift_members(uow, queue_id=queue_id, at=at)
    if not candidates:
        return None
    ordered = _after_cursor(candidates, cursor.last_operator_id)
    if mode == "least-loaded":
        loads = open_loads(uow, [c.id for c in ordered if c.id is not None])
        chosen = min(ordered, key=lambda c: loads[c.id or 0])  # min keeps the first of equals
    else:
        chosen = ordered[0]
    cursor.last_operator_id = chosen.id
    uow.session.add(cursor)
    uow.session.flush()
    return chosen
