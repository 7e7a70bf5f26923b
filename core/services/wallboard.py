"""The wallboard's figures, read in one short unit of work: per queue the tickets waiting, the oldest,
today's SLA compliance and what breaches within the hour; per operator what they are doing; calls per
hour today.

What an operator is doing comes from the calls and screen pops: a pop after their last logged call
means on a call since the pop; otherwise idle since their last call ended, or no call today. Who is on
shift comes from the shift roster (weekly patterns and their exceptions): those on shift are listed
first, with today's hours; an operator off shift is listed only while on a call (with no roster at
all, everyone is listed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, not_, or_, select

from hotline.core.enums import TicketStatus
from hotline.core.models import Interaction, Operator, Queue, ScreenPop, Shift, Ticket
from hotline.core.reports.sla import breached_sql
from hotline.core.services.shifts import roster

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from hotline.core.db import UnitOfWork

WAITING = (TicketStatus.NEW.value, TicketStatus.OPEN.value)
BREACH_HORIZON = timedelta(hours=1)


@dataclass(frozen=True)
class QueueFigures:
    name: str
    waiting: int
    """New and open tickets (pending ones wait for the client, not for us)."""
    oldest_waiting_since: datetime | None
    sla_today: float | None
    """Per cent of today's tickets with a target that breached neither (None: none had one)."""
    breaching_within_hour: int
    """Waiting or pending tickets with a target not met yet that falls due within the hour."""


@dataclass(frozen=True)
class OperatorActivity:
    login: str
    name: str
    state: str
    """``on a call``, ``idle`` or ``no calls today``."""
    since: datetime | None
    on_shift: bool = False
    shift: str = ""
    """Today's hours from the roster (``09:00-18:00``), an exception (``vacation until …``) or empty."""


@dataclass
class Wallboard:
    now: datetime
    queues: list[QueueFigures] = field(default_factory=list)
    operators: list[OperatorActivity] = field(default_factory=list)
    calls_per_hour: list[int] = field(default_factory=list)
    """Calls started in each local hour of today, from midnight to the current hour."""


def read_wallboard(uow: UnitOfWork, *, zone: ZoneInfo) -> Wallboard:
    """Everything the wallboard shows, as of the unit of work's clock; supervisors and admins only."""
    uow.authorize("wallboard.read", entity="wallboard")
    now = uow.now()
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    board = Wallboard(now=now)
    board.queues = _queues(uow, now=now, midnight=midnight)
    board.operators = _operators(uow, now=now, midnight=midnight)
    board.calls_per_hour = _calls_per_hour(uow, now=now, midnight=midnight, zone=zone)
    return board


def _queues(uow: UnitOfWork, *, now: datetime, midnight: datetime) -> list[QueueFigures]:
    """Two grouped queries, each answered from an index alone on SQLite (migration 0012): the open
    tickets (waiting, the oldest, due within the hour); today's targets kept.

    Today's are grouped by ``queue_id + 0``: by the bare column SQLite would walk the whole table in
    ix_ticket_queue_id order to skip a sort, instead of reading today's rows by the covering index.
    """
    ticket, queue = Ticket.__table__, Queue.__table__
    connection = uow.session.connection()
    names = dict(connection.execute(select(queue.c.id, queue.c.name)).all())
    queue_of = (ticket.c.queue_id + 0).label("queue_of")
    horizon = now + BREACH_HORIZON
    first_due, resolution_due = ticket.c.first_response_due_at, ticket.c.resolution_due_at
    due_soon = or_(
        and_(ticket.c.first_response_at.is_(None), first_due >= now, first_due < horizon),
        and_(resolution_due >= now, resolution_due < horizon),
    )
    waiting: dict[int, tuple[int, datetime | None]] = {}
    soon: dict[int, int] = {}
    # One pass over the open tickets, grouped by status and queue: the index's own order (no sort), and
    # the status sorted out here rather than by an expression per row.
    for status, queue_id, count, oldest, due in connection.execute(
        select(
            ticket.c.status,
            ticket.c.queue_id,
            func.count(),
            func.min(ticket.c.created_at),
            func.sum(case((due_soon, 1), else_=0)),
        )
        .where(ticket.c.status.in_([*WAITING, TicketStatus.PENDING.value]))
        .group_by(ticket.c.status, ticket.c.queue_id)
    ):
        soon[queue_id] = soon.get(queue_id, 0) + int(due or 0)
        if status in WAITING:
            total, earliest = waiting.get(queue_id, (0, None))
            earliest = oldest if earliest is None or (oldest is not None and oldest < earliest) else earliest
            waiting[queue_id] = (total + count, earliest)
    with_target = or_(first_due.is_not(None), resolution_due.is_not(None))
    kept = and_(
        with_target,
        not_(breached_sql(first_due, ticket.c.first_response_at, now)),
        not_(breached_sql(resolution_due, ticket.c.resolved_at, now)),
    )
    today = {
        queue_id: (int(targets or 0), int(met or 0))
        for queue_id, targets, met in connection.execute(
            select(
                queue_of,
                func.sum(case((with_target, 1), else_=0)),
                func.sum(case((kept, 1), else_=0)),
            )
            .where(ticket.c.created_at >= midnight)
            .group_by(queue_of)
        )
    }
    figures = []
    for queue_id, name in sorted(names.items(), key=lambda item: item[1]):
        count, oldest = waiting.get(queue_id, (0, None))
        targets, met = today.get(queue_id, (0, 0))
        compliance = round(100.0 * met / targets, 1) if targets else None
        figures.append(QueueFigures(name, count, oldest, compliance, int(soon.get(queue_id, 0))))
    return figures


def _calls_per_hour(uow: UnitOfWork, *, now: datetime, midnight: datetime, zone: ZoneInfo) -> list[int]:
    """Calls started in each local hour of today up to now, counted by the database in one pass over
    today's calls (the hours' bounds are computed here, so a zone's offset changes need no SQL)."""
    call = Interaction.__table__
    local = now.astimezone(zone)
    bounds = [datetime.combine(local.date(), time(hour), zone) for hour in range(local.hour + 1)]
    bounds[0] = midnight
    started = call.c.started_at
    buckets = [and_(started >= low, started < high) for low, high in pairwise(bounds)]
    buckets.append(started >= bounds[-1])  # the current hour, up to now
    counted = select(*[func.sum(case((bucket, 1), else_=0)) for bucket in buckets]).where(
        started >= midnight, started <= now, call.c.kind == "call"
    )
    return [int(count or 0) for count in uow.session.connection().execute(counted).one()]


def _last_calls(uow: UnitOfWork, *, midnight: datetime) -> dict[int, datetime]:
    """When each operator's latest call of today ended: the call they started last (one person's calls do
    not overlap). Two short queries by the time index: the latest start per operator, then those calls'
    lengths (a row-value IN of the two makes SQLite rescan today's calls per row)."""
    call = Interaction.__table__
    connection = uow.session.connection()
    todays = and_(call.c.started_at >= midnight, call.c.kind == "call", call.c.operator_id.is_not(None))
    operator_of = (call.c.operator_id + 0).label("operator_of")  # by the time index, as in _queues
    latest = dict(
        connection.execute(
            select(operator_of, func.max(call.c.started_at)).where(todays).group_by(operator_of)
        ).all()
    )
    if not latest:
        return {}
    ended: dict[int, datetime] = {}
    for operator_id, started_at, seconds in connection.execute(
        select(call.c.operator_id, call.c.started_at, call.c.duration_seconds).where(
            call.c.kind == "call",
            call.c.started_at.in_(set(latest.values())),
            (call.c.operator_id + 0).in_(latest),
        )
    ):
        if latest[operator_id] != started_at:
            continue  # another operator's latest start, at this operator's earlier call
        end = started_at + timedelta(seconds=seconds or 0)
        ended[operator_id] = max(end, ended.get(operator_id, end))
    return ended


def _operators(uow: UnitOfWork, *, now: datetime, midnight: datetime) -> list[OperatorActivity]:
    operator, pop = Operator.__table__, ScreenPop.__table__
    connection = uow.session.connection()
    people = connection.execute(
        select(operator.c.id, operator.c.login, operator.c.display_name)
        .where(operator.c.active.is_(True))
        .order_by(operator.c.login)
    ).all()
    last_call_end = _last_calls(uow, midnight=midnight)
    last_pop = dict(
        connection.execute(
            select(pop.c.operator_login, func.max(pop.c.requested_at))
            .where(pop.c.requested_at >= midnight)
            .group_by(pop.c.operator_login)
        ).all()
    )
    rostered = connection.execute(select(func.count()).select_from(Shift.__table__)).scalar_one() > 0
    shifts = {line.login: line for line in roster(uow, at=now)} if rostered else {}
    activities = []
    for person in people:
        ended, popped = last_call_end.get(person.id), last_pop.get(person.login)
        if popped is not None and popped <= now and (ended is None or popped > ended):
            state, since = "on a call", popped
        elif ended is not None:
            state, since = "idle", min(ended, now)
        else:
            state, since = "no calls today", None
        line = shifts.get(person.login)
        on_shift = bool(line and line.on_shift)
        if rostered and not on_shift and state != "on a call":
            continue  # off shift and not on a call: not part of the floor now
        hours = (line.exception or ", ".join(line.today)) if line else ""
        activities.append(
            OperatorActivity(person.login, person.display_name or "", state, since, on_shift, hours)
        )
    activities.sort(key=lambda activity: (not activity.on_shift, activity.login))
    return activities
