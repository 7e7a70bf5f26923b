"""Rosters: queue members, weekly shifts, exceptions — set by supervisors, read by routing and the roster.

Every change is a service operation (supervisors and admins, or the system) with an audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from hotline.core.errors import InvalidInput, NotFound
from hotline.core.limits import fits_id
from hotline.core.models import Operator, Queue, QueueMember, Shift, ShiftException
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import get_queue
from hotline.core.shifts.schedule import (
    EXCEPTION_KINDS,
    on_shift_at,
    parse_shift_span,
    parse_weekdays,
    pattern_on,
    span_text,
)
from hotline.core.sla.config import WEEKDAYS
from hotline.core.text import checked_text
from hotline.core.zones import known_zone

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

SHIFTS_LOCK = 0x73686674  # "shft": the advisory-lock namespace of an operator's week (PostgreSQL)


def _supervisor(uow: UnitOfWork) -> None:
    uow.authorize("roster.manage", entity="roster")


def join_queue(uow: UnitOfWork, *, login: str, queue: str) -> bool:
    """Make the operator a member of the queue; False when it already was."""
    _supervisor(uow)
    operator, queue_row = get_operator(uow, login=login), get_queue(uow, name=queue)
    _one_change_at_a_time(uow, operator)  # a second join at once failed on the membership's key, exit 1
    if uow.session.get(QueueMember, (queue_row.id, operator.id)) is not None:
        return False
    uow.session.add(QueueMember(queue_id=queue_row.id, operator_id=operator.id))  # type: ignore[arg-type]
    record_audit(uow, action="queue.join", entity="queue", entity_id=queue_row.id, after={"login": login})
    return True


def leave_queue(uow: UnitOfWork, *, login: str, queue: str) -> bool:
    """Take the operator out of the queue; False when it was not a member."""
    _supervisor(uow)
    operator, queue_row = get_operator(uow, login=login), get_queue(uow, name=queue)
    _one_change_at_a_time(uow, operator)
    member = uow.session.get(QueueMember, (queue_row.id, operator.id))
    if member is None:
        return False
    uow.session.delete(member)
    record_audit(uow, action="queue.leave", entity="queue", entity_id=queue_row.id, before={"login": login})
    return True


def set_shifts(
    uow: UnitOfWork,
    *,
    login: str,
    days: str,
    hours: str,
    timezone: str | None,
    default_timezone: str | None = None,
) -> list[Shift]:
    """Replace the operator's shifts on ``days`` (``mon-fri``) by ``hours`` (``22:00-06:00`` runs past
    midnight); ``InvalidInput`` names a bad value. One operator's week is in one zone: ``timezone``
    None is the zone of her other shifts, else ``default_timezone``; another zone than theirs is refused
    (``shifts show`` named the first shift's zone for every day, and the roster read today by it)."""
    _supervisor(uow)
    try:
        weekdays = parse_weekdays(days)
    except ValueError as error:
        raise InvalidInput(str(error), where="--days") from None
    try:
        start, end = parse_shift_span(hours)
    except ValueError as error:
        raise InvalidInput(str(error), where="--hours") from None
    operator = _one_change_at_a_time(uow, get_operator(uow, login=login))
    kept = uow.session.exec(
        select(Shift.timezone).where(Shift.operator_id == operator.id, col(Shift.weekday).notin_(weekdays))
    ).first()
    if timezone is not None and not timezone.strip():
        raise InvalidInput("a blank time zone", where="--timezone")
    timezone = timezone or kept or default_timezone
    if not timezone:
        raise InvalidInput("say in which time zone the hours are", where="--timezone")
    try:
        known_zone(timezone)
    except ValueError as error:
        raise InvalidInput(str(error), where="--timezone") from None
    if kept is not None and kept != timezone:
        raise InvalidInput(
            f"{login}'s other shifts are in {kept}: one operator's week is in one zone"
            f" (give --timezone {kept}, or set every day with --days all)",
            where="--timezone",
        )
    _delete_shifts(uow, operator, weekdays)
    made = [
        Shift(operator_id=operator.id, weekday=day, start_minute=start, end_minute=end, timezone=timezone)  # type: ignore[arg-type]
        for day in weekdays
    ]
    uow.session.add_all(made)
    uow.session.flush()
    after = {
        "days": [WEEKDAYS[day] for day in weekdays],
        "hours": span_text(start, end),
        "timezone": timezone,
    }
    record_audit(uow, action="shift.set", entity="operator", entity_id=login, after=after)
    return made


def clear_shifts(uow: UnitOfWork, *, login: str, days: str = "all") -> int:
    """Remove the operator's shifts on ``days``; returns how many were removed."""
    _supervisor(uow)
    try:
        weekdays = parse_weekdays(days)
    except ValueError as error:
        raise InvalidInput(str(error), where="--days") from None
    operator = _one_change_at_a_time(uow, get_operator(uow, login=login))
    removed = _delete_shifts(uow, operator, weekdays)
    after = {"days": [WEEKDAYS[day] for day in weekdays], "removed": removed}
    record_audit(uow, action="shift.clear", entity="operator", entity_id=login, after=after)
    return removed


def _one_change_at_a_time(uow: UnitOfWork, operator: Operator) -> Operator:
    """Wait for another change of this operator's week to commit (PostgreSQL: an advisory lock to the end
    of the transaction, as supervisors may not lock operator rows; SQLite's BEGIN IMMEDIATE already
    queues writers). Two ``shifts set`` of one day at once each deleted the day and added its own shift:
    the day had two."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        uow.session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :operator)"),
            {"namespace": SHIFTS_LOCK, "operator": operator.id},
        )
    return operator


def _delete_shifts(uow: UnitOfWork, operator: Operator, weekdays: Sequence[int]) -> int:
    rows = uow.session.exec(
        select(Shift).where(Shift.operator_id == operator.id, col(Shift.weekday).in_(weekdays))
    ).all()
    for row in rows:
        uow.session.delete(row)
    uow.session.flush()
    return len(rows)


def add_exception(
    uow: UnitOfWork,
    *,
    login: str,
    kind: str,
    starts_on: date,
    ends_on: date | None = None,
    other_login: str | None = None,
    note: str = "",
) -> ShiftException:
    """Vacation or sick days (``starts_on``..``ends_on``), or a swap of one day's shifts with a colleague."""
    _supervisor(uow)
    if kind not in EXCEPTION_KINDS:
        raise InvalidInput(f"unknown exception {kind!r} (one of: {', '.join(EXCEPTION_KINDS)})", where="kind")
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise InvalidInput("the last day comes before the first", where="--to")
    if (kind == "swap") != (other_login is not None):
        raise InvalidInput("a swap names the colleague (--with), and only a swap does", where="--with")
    operator = get_operator(uow, login=login)
    other = get_operator(uow, login=other_login) if other_login else None
    if other is not None and other.id == operator.id:
        raise InvalidInput("an operator cannot swap with themselves", where="--with")
    for who in sorted((operator, other) if other is not None else (operator,), key=lambda o: o.id or 0):
        _one_change_at_a_time(uow, who)  # in one order: two swaps of the same pair wait, never deadlock
    if other is not None:
        for who in (operator, other):
            if not who.active:
                raise InvalidInput(
                    f"operator {who.login!r} is deactivated: nobody would work", where="--with"
                )
        _neither_away(uow, (operator, other), starts_on, ends_on)
    else:
        _not_away_already(uow, operator, starts_on, ends_on)
    _no_swap_then(uow, (operator, other) if other is not None else (operator,), starts_on, ends_on)
    row = ShiftException(
        operator_id=operator.id,  # type: ignore[arg-type]
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        other_operator_id=other.id if other else None,
        note=checked_text(" ".join(note.split()), what="a note", at_most=500, where="--note"),
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, action="shift.exception", entity="operator", entity_id=login, after=snapshot(row))
    return row


def _neither_away(uow: UnitOfWork, operators: tuple[Operator, Operator], first: date, last: date) -> None:
    """A swap on a day one of the two is on vacation or sick leaves a shift with nobody: the one away
    works neither shift (it was accepted, and the roster showed the swap)."""
    away = uow.session.exec(
        select(ShiftException).where(
            col(ShiftException.operator_id).in_([operator.id for operator in operators]),
            col(ShiftException.kind).in_(("vacation", "sick")),
            col(ShiftException.starts_on) <= last,
            col(ShiftException.ends_on) >= first,
        )
    ).first()
    if away is not None:
        who = next(operator.login for operator in operators if operator.id == away.operator_id)
        raise InvalidInput(
            f"{who} is {'on vacation' if away.kind == 'vacation' else 'off sick'} from"
            f" {away.starts_on.isoformat()} to {away.ends_on.isoformat()}:"
            " a swap would leave a shift uncovered",
            where="--date",
        )


def _not_away_already(uow: UnitOfWork, operator: Operator, first: date, last: date) -> None:
    """Days off over days she already has off are refused: the same vacation typed twice was two rows
    (two lines in ``shifts show``, one to call off twice), and the roster showed only the first."""
    away = uow.session.exec(
        select(ShiftException)
        .where(
            ShiftException.operator_id == operator.id,
            col(ShiftException.kind).in_(("vacation", "sick")),
            col(ShiftException.starts_on) <= last,
            col(ShiftException.ends_on) >= first,
        )
        .order_by(col(ShiftException.starts_on))
    ).first()
    if away is not None:
        raise InvalidInput(
            f"{operator.login} is {'on vacation' if away.kind == 'vacation' else 'off sick'} from"
            f" {away.starts_on.isoformat()} to {away.ends_on.isoformat()} (exception {away.id}):"
            f" call that off first (hotline shifts unexcept {away.id})",
            where="--from",
        )


def _no_swap_then(uow: UnitOfWork, operators: tuple[Operator, ...], first: date, last: date) -> None:
    """A day one of them already swaps takes no second swap (three shifts changing hands leave one
    doubled and one with nobody) and no vacation or sick day (the colleague would work a shift that is
    off, and nobody the colleague's): both were accepted, and the roster showed the first swap only."""
    ids = [operator.id for operator in operators]
    swap = uow.session.exec(
        select(ShiftException).where(
            ShiftException.kind == "swap",
            col(ShiftException.operator_id).in_(ids) | col(ShiftException.other_operator_id).in_(ids),
            col(ShiftException.starts_on) <= last,
            col(ShiftException.ends_on) >= first,
        )
    ).first()
    if swap is None:
        return
    logins = dict(
        uow.session.exec(
            select(Operator.id, Operator.login).where(
                col(Operator.id).in_([swap.operator_id, swap.other_operator_id])
            )
        ).all()
    )
    raise InvalidInput(
        f"{logins.get(swap.operator_id)} and {logins.get(swap.other_operator_id)} swap"
        f" {swap.starts_on.isoformat()} (exception {swap.id}): call that off first"
        f" (hotline shifts unexcept {swap.id})",
        where="--date" if len(operators) == 2 else "--from",
    )


def remove_exception(uow: UnitOfWork, *, exception_id: int) -> None:
    _supervisor(uow)
    row = uow.session.get(ShiftException, exception_id) if fits_id(exception_id) else None
    if row is None:
        raise NotFound(f"no shift exception {exception_id}")
    before = snapshot(row)
    uow.session.delete(row)
    record_audit(
        uow, action="shift.exception.remove", entity="shift_exception", entity_id=exception_id, before=before
    )


@dataclass
class _Week:
    """Shifts and exceptions loaded once for a set of operators around one instant."""

    shifts: dict[int, list[Shift]] = field(default_factory=lambda: defaultdict(list))
    exceptions: list[ShiftException] = field(default_factory=list)

    def shifts_of(self, operator_id: int) -> list[Shift]:
        return self.shifts.get(operator_id, [])

    def on_shift(self, operator_id: int, at: datetime) -> bool:
        return on_shift_at(operator_id, at, self.shifts_of, self._about(operator_id))

    def _about(self, operator_id: int) -> list[ShiftException]:
        return [e for e in self.exceptions if operator_id in (e.operator_id, e.other_operator_id)]


def _load_week(uow: UnitOfWork, at: datetime, operator_ids: Sequence[int] | None = None) -> _Week:
    week = _Week()
    around = at.date()
    exceptions = select(ShiftException).where(
        col(ShiftException.starts_on) <= around + timedelta(days=2),
        col(ShiftException.ends_on) >= around - timedelta(days=2),
    )
    week.exceptions = list(uow.session.exec(exceptions))
    wanted = set(operator_ids) if operator_ids is not None else None
    if wanted is not None:
        for exception in week.exceptions:
            if exception.operator_id in wanted or exception.other_operator_id in wanted:
                wanted |= {exception.operator_id, exception.other_operator_id or exception.operator_id}
    query = select(Shift)
    if wanted is not None:
        query = query.where(col(Shift.operator_id).in_(wanted))
    for shift in uow.session.exec(query):
        week.shifts[shift.operator_id].append(shift)
    return week


def on_shift_members(uow: UnitOfWork, *, queue_id: int, at: datetime) -> list[Operator]:
    """The active members of the queue on shift at ``at``, in the order operators were added."""
    members = list(
        uow.session.exec(
            select(Operator)
            .join(QueueMember, col(QueueMember.operator_id) == col(Operator.id))
            .where(QueueMember.queue_id == queue_id, col(Operator.active).is_(True))
            .order_by(col(Operator.id))
        )
    )
    if not members:
        return []
    week = _load_week(uow, at, [member.id for member in members if member.id is not None])
    return [member for member in members if week.on_shift(member.id, at)]  # type: ignore[arg-type]


def is_on_shift(uow: UnitOfWork, *, login: str, at: datetime) -> bool:
    operator = get_operator(uow, login=login)
    return _load_week(uow, at, [operator.id]).on_shift(operator.id, at)  # type: ignore[list-item,arg-type]


@dataclass(frozen=True)
class RosterLine:
    """One operator in the roster: queues, today's shifts, an exception, whether on shift now."""

    login: str
    name: str
    role: str
    queues: list[str]
    today: list[str]
    exception: str
    on_shift: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "name": self.name,
            "role": self.role,
            "queues": self.queues,
            "today": self.today,
            "exception": self.exception,
            "on_shift": self.on_shift,
        }


def roster(uow: UnitOfWork, *, at: datetime, queue: str | None = None) -> list[RosterLine]:
    """Every active operator (of ``queue``, when given) with their day and whether on shift at ``at``."""
    queue_names: dict[int, list[str]] = defaultdict(list)
    rows = uow.session.exec(
        select(QueueMember.operator_id, Queue.name)
        .join(Queue, col(Queue.id) == col(QueueMember.queue_id))
        .order_by(col(Queue.name))
    )
    for operator_id, name in rows:
        queue_names[operator_id].append(name)
    if queue is not None:
        get_queue(uow, name=queue)
    operators = [
        operator
        for operator in uow.session.exec(
            select(Operator).where(col(Operator.active).is_(True)).order_by(col(Operator.login))
        )
        if queue is None or queue in queue_names.get(operator.id or 0, [])
    ]
    week = _load_week(uow, at)
    lines = []
    for operator in operators:
        assert operator.id is not None
        mine = week._about(operator.id)
        shifts = week.shifts_of(operator.id)
        local_day = at.astimezone(ZoneInfo(shifts[0].timezone)).date() if shifts else at.date()
        today = pattern_on(operator.id, local_day, week.shifts_of, mine)
        lines.append(
            RosterLine(
                login=operator.login,
                name=operator.display_name,
                role=operator.role,
                queues=queue_names.get(operator.id, []),
                today=[span_text(s.start_minute, s.end_minute) for s in today],
                exception=_exception_text(uow, mine, local_day, operator.id),
                on_shift=week.on_shift(operator.id, at),
            )
        )
    return lines


def _exception_text(uow: UnitOfWork, exceptions: list[ShiftException], day: date, operator_id: int) -> str:
    for exception in exceptions:
        if not exception.starts_on <= day <= exception.ends_on:
            continue
        if exception.kind != "swap":
            return f"{exception.kind} until {exception.ends_on.isoformat()}"
        other_id = (
            exception.other_operator_id if exception.operator_id == operator_id else exception.operator_id
        )
        other = uow.session.get(Operator, other_id)
        return f"swap with {other.login if other else '?'}"
    return ""


@dataclass(frozen=True)
class ScheduleView:
    """An operator's weekly pattern and exceptions, as ``shifts show`` prints them."""

    login: str
    week: dict[str, list[str]]
    timezone: str | None
    exceptions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "week": self.week,
            "timezone": self.timezone,
            "exceptions": self.exceptions,
        }


def schedule_of(uow: UnitOfWork, *, login: str) -> ScheduleView:
    operator = get_operator(uow, login=login)
    shifts = list(
        uow.session.exec(
            select(Shift)
            .where(Shift.operator_id == operator.id)
            .order_by(col(Shift.weekday), col(Shift.start_minute))
        )
    )
    week = {day: [] for day in WEEKDAYS}  # type: dict[str, list[str]]
    for shift in shifts:
        week[WEEKDAYS[shift.weekday]].append(span_text(shift.start_minute, shift.end_minute))
    rows = uow.session.exec(
        select(ShiftException)
        .where(
            (ShiftException.operator_id == operator.id) | (ShiftException.other_operator_id == operator.id)
        )
        .order_by(col(ShiftException.starts_on))
    )
    exceptions = []
    for row in rows:
        other_id = row.other_operator_id if row.operator_id == operator.id else row.operator_id
        other = uow.session.get(Operator, other_id) if other_id and row.kind == "swap" else None
        exceptions.append(
            {
                "id": row.id,
                "kind": row.kind,
                "from": row.starts_on.isoformat(),
                "to": row.ends_on.isoformat(),
                "with": other.login if other else None,
                "note": row.note,
            }
        )
    return ScheduleView(
        login=login, week=week, timezone=shifts[0].timezone if shifts else None, exceptions=exceptions
    )
