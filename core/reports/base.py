"""What every report is: a title, named columns, rows of plain values; the period it covers and the
filters (queue, operator, group, source) it was asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hotline.core.attribution import check_filter
from hotline.core.clock import within_years
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, ClientGroup, Operator, Queue, Ticket
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.attribution import Attributions
    from hotline.core.db import UnitOfWork

FILTER_NAMES = ("queue", "operator", "group", "source")


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (both included; either may be open) in ``zone``."""

    first: date | None
    last: date | None
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise InvalidInput(f"--from {self.first} is after --to {self.last}", where="--from")

    @property
    def start(self) -> datetime | None:
        """The first instant inside the period (local midnight of ``first``), or None when open."""
        return datetime.combine(self.first, time(0), self.zone) if self.first else None

    @property
    def end(self) -> datetime | None:
        """The first instant after the period (local midnight after ``last``), or None when open."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone) if self.last else None

    def where(self, column: Any) -> list[Any]:
        """SQL conditions keeping ``column`` (an instant) inside the period."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions

    def previous(self) -> Period | None:
        """The period of the same length just before this one (None when either end is open)."""
        if self.first is None or self.last is None:
            return None
        length = self.last - self.first + timedelta(days=1)
        return Period(self.first - length, self.first - timedelta(days=1), self.zone)

    def as_json(self) -> dict[str, str | None]:
        return {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "timezone": self.zone.key,
        }


def parse_day(text: str | None, *, where: str) -> date | None:
    """A ``YYYY-MM-DD`` option value; anything else is bad usage naming the option."""
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {printable(text)!r}", where=where) from None
    return within_years(day, text=text, where=where)


@dataclass
class Report:
    """A finished report: ``rows`` line up with ``columns``; values are str, int, float or None."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    period: Period | None = None
    generated_at: datetime | None = None
    filters: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "period": self.period.as_json() if self.period else None,
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "filters": self.filters,
            "columns": self.columns,
            "rows": self.records(),
        }


@dataclass(frozen=True)
class Filters:
    """What a report is narrowed to: a queue, an operator (login), a client group, a source (names)."""

    queue: str | None = None
    operator: str | None = None
    group: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.group is not None and self.group.strip():  # as stored: spaces collapsed (a blank: refused)
            object.__setattr__(self, "group", " ".join(self.group.split()))

    def given(self) -> dict[str, str]:
        return {name: value for name in FILTER_NAMES if (value := getattr(self, name)) is not None}

    def check(self, uow: UnitOfWork, *, sources: tuple[str, ...] = ()) -> None:
        """A filter naming a queue, login or group that does not exist is bad usage, not an empty report;
        so is a source that no client has and that is not one of the configured ``sources`` (tickets and
        calls take theirs from the configuration)."""
        if self.source is not None:
            check_filter(uow, name="source", value=self.source, configured=sources)
        if self.group is not None:  # in any case, as every other command finds a group ("vip" is VIP)
            from hotline.core.services.groups import find_group

            found = find_group(uow, name=self.group)
            if found is None:
                raise NotFound(f"no group named {self.group!r}", where="--group")
            object.__setattr__(self, "group", found.name)
        for name, column in (
            ("queue", Queue.__table__.c.name),
            ("operator", Operator.__table__.c.login),
        ):
            value = getattr(self, name)
            if (
                value is not None
                and uow.session.execute(select(column).where(column == value)).first() is None
            ):
                raise NotFound(f"no {name} named {value!r}", where=f"--{name}")

    # Each filter as SQL on the table a report reads; the subqueries keep the reports' own joins simple.

    def tickets(self, ticket: Any) -> list[Any]:
        """Conditions on ``ticket``: its queue, its assignee, its client's group, its source."""
        conditions = []
        if self.queue is not None:
            conditions.append(ticket.c.queue_id.in_(_queue_ids(self.queue)))
        if self.operator is not None:
            conditions.append(ticket.c.assignee_id.in_(operator_ids(self.operator)))
        if self.group is not None:
            conditions.append(ticket.c.client_id.in_(_group_client_ids(self.group)))
        if self.source is not None:
            conditions.append(ticket.c.source == self.source)
        return conditions

    def interactions(self, interaction: Any) -> list[Any]:
        """Conditions on ``interaction`` (calls, notes): the queue of its ticket, who logged it, its
        client's group, its source."""
        conditions = []
        if self.queue is not None:
            tickets = Ticket.__table__
            conditions.append(
                interaction.c.ticket_id.in_(
                    select(tickets.c.id).where(tickets.c.queue_id.in_(_queue_ids(self.queue)))
                )
            )
        if self.operator is not None:
            conditions.append(interaction.c.operator_id.in_(operator_ids(self.operator)))
        if self.group is not None:
            conditions.append(interaction.c.client_id.in_(_group_client_ids(self.group)))
        if self.source is not None:
            conditions.append(interaction.c.source == self.source)
        return conditions

    def clients(self, client: Any, *, report: str) -> list[Any]:
        """Conditions on ``client``: its owner, its group, its source (clients belong to no queue)."""
        if self.queue is not None:
            raise InvalidInput(
                f"the {report} report counts clients, which belong to no queue", where="--queue"
            )
        conditions = []
        if self.operator is not None:
            conditions.append(client.c.owner_id.in_(operator_ids(self.operator)))
        if self.group is not None:
            conditions.append(client.c.group_id.in_(_group_ids(self.group)))
        if self.source is not None:
            conditions.append(client.c.source == self.source)
        return conditions


@dataclass(frozen=True)
class ReportRequest:
    """Everything a report is built from besides the database: period, filters, configured campaigns."""

    period: Period
    filters: Filters = field(default_factory=Filters)
    attributions: Attributions | None = None


def _queue_ids(name: str) -> Any:
    queue = Queue.__table__
    return select(queue.c.id).where(queue.c.name == name)


def operator_ids(login: str) -> Any:
    operator = Operator.__table__
    return select(operator.c.id).where(operator.c.login == login)


def _group_ids(name: str) -> Any:
    group = ClientGroup.__table__
    return select(group.c.id).where(group.c.name == name)


def _group_client_ids(name: str) -> Any:
    client = Client.__table__
    return select(client.c.id).where(client.c.group_id.in_(_group_ids(name)))


def local_time_text(uow: UnitOfWork, column: Any, period: Period, fmt: str) -> Any | None:
    """``column`` (an instant) as local-time text in SQL, so that reports group by local day or hour in
    the database: ``fmt`` is ``"day hour"`` (``YYYY-MM-DD HH``) or ``"hour"`` (``HH``).

    PostgreSQL converts with the zone's rules. SQLite knows no zones: it adds the zone's offset, which
    is only right when the offset is the same over all the instants concerned (the period, or the data
    when the period is open); None otherwise, and the caller groups in Python.
    """
    pattern = {"day hour": ("YYYY-MM-DD HH24", "%Y-%m-%d %H"), "hour": ("HH24", "%H")}[fmt]
    if uow.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(period.zone.key, column), pattern[0])
    offset = _fixed_offset(uow, column, period)
    if offset is None:
        return None
    return func.strftime(pattern[1], column, f"{offset:+d} minutes")


def _fixed_offset(uow: UnitOfWork, column: Any, period: Period) -> int | None:
    """The zone's UTC offset in minutes if it is one and the same from the first to the last instant."""
    first, last = period.start, period.end
    if first is None or last is None:
        low, high = uow.session.execute(select(func.min(column), func.max(column))).one()
        if low is None:
            return 0
        first, last = first or _aware(low), last or _aware(high)
    offsets = set()
    moment = first
    while moment <= last + timedelta(days=1):
        offsets.add(moment.astimezone(period.zone).utcoffset())
        moment += timedelta(hours=12)
    if len(offsets) != 1:
        return None
    only = offsets.pop()
    return int(only.total_seconds() // 60) if only is not None else None


def _aware(moment: Any) -> datetime:
    from hotline.core.clock import as_utc

    return as_utc(moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment)))
