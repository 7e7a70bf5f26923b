"""Client lists for supervisors: clients filtered by group, tag, owner, source, campaign, birthday this
week or no contact for N days; sorted, paged; the page exported exactly as listed (audited).

One query per page (the group's colour and the owner come with it); paging by limit and offset, with
one row more read to say whether there is more.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import cast, exists, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB

from hotline.core.attribution import check_filter
from hotline.core.clock import EARLIEST_YEAR
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, ClientGroup, Operator
from hotline.core.services.audit import record_audit
from hotline.core.services.groups import as_stored, find_group

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

SORTS = {
    "name": ("name", False), "-name": ("name", True), "created": ("created_at", False),
    "-created": ("created_at", True), "last-contact": ("last_interaction_at", False),
    "-last-contact": ("last_interaction_at", True), "id": ("id", False), "-id": ("id", True),
}  # fmt: skip
COLUMNS = ["id", "name", "kind", "group", "owner", "source", "campaign", "birthday", "tags", "last_contact"]
MAX_PAGE = 1000
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ClientListFilter:
    """What the list keeps; every field optional. ``birthday_this_week``: the local week of today
    (Monday to Sunday); ``no_contact_days``: no interaction for that many days (or never)."""

    group: str | None = None
    tag: str | None = None
    owner: str | None = None
    source: str | None = None
    campaign: str | None = None
    birthday_this_week: bool = False
    no_contact_days: int | None = None
    known_sources: tuple[str, ...] = ()
    """The configured sources and campaign codes: one of them that no client has lists nobody; any other
    that no client has is a mistake (``NotFound``)."""
    known_campaigns: tuple[str, ...] = ()

    def given(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in self.__dict__.items()
            if value not in (None, False) and not key.startswith("known_")
        }


@dataclass(frozen=True)
class ClientLine:
    id: int
    name: str
    kind: str
    group: str | None
    group_colour: str | None
    owner: str | None
    source: str | None
    campaign: str | None
    birthday: date | None
    tags: list[str]
    last_contact: datetime | None

    def cells(self) -> list[Any]:
        """The line under ``COLUMNS``, as plain values."""
        return [
            self.id, self.name, self.kind, self.group, self.owner, self.source, self.campaign,
            self.birthday.isoformat() if self.birthday else None, ", ".join(self.tags),
            self.last_contact.isoformat() if self.last_contact else None,
        ]  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return dict(zip(COLUMNS, self.cells(), strict=True)) | {
            "group_colour": self.group_colour,
            "tags": self.tags,
        }


@dataclass
class ClientPage:
    lines: list[ClientLine]
    offset: int
    limit: int
    has_more: bool
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "name"

    def as_json(self) -> dict[str, Any]:
        return {
            "clients": [line.as_json() for line in self.lines],
            "offset": self.offset,
            "limit": self.limit,
            "has_more": self.has_more,
            "next_offset": self.offset + len(self.lines) if self.has_more else None,
            "filters": self.filters,
            "sort": self.sort,
        }


def list_clients(
    uow: UnitOfWork,
    *,
    filters: ClientListFilter,
    today: date,
    sort: str = "name",
    limit: int = 50,
    offset: int = 0,
) -> ClientPage:
    """One page of the clients ``filters`` keeps, in ``sort`` order (ties by id)."""
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})", where="--sort")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"the page size must be 1 to {MAX_PAGE}", where="--limit")
    if offset < 0:
        raise InvalidInput("the offset cannot be negative", where="--offset")
    client, group, owner = Client.__table__, ClientGroup.__table__, Operator.__table__
    column, descending = SORTS[sort]
    key = client.c[column]
    order = [key.desc().nulls_last() if descending else key.asc().nulls_last(), client.c.id]
    joined = client.outerjoin(group, group.c.id == client.c.group_id).outerjoin(
        owner, owner.c.id == client.c.owner_id
    )
    query = (
        select(
            client.c.id, client.c.name, client.c.kind, group.c.name.label("group"), group.c.colour,
            owner.c.login.label("owner"), client.c.source, client.c.campaign, client.c.birthday,
            client.c.tags, client.c.last_interaction_at,
        )
        .select_from(joined)
        .where(*_conditions(uow, filters, today=today))
        .order_by(*order)
        .limit(limit + 1)
        .offset(offset)
    )  # fmt: skip
    rows = uow.session.connection().execute(query).all()
    lines = [
        ClientLine(row.id, row.name, row.kind, row.group, row.colour, row.owner, row.source, row.campaign,
                   row.birthday, [str(tag) for tag in row.tags or []], _aware(row.last_interaction_at))
        for row in rows[:limit]
    ]  # fmt: skip
    return ClientPage(lines, offset, limit, len(rows) > limit, filters.given(), sort)


def _conditions(uow: UnitOfWork, filters: ClientListFilter, *, today: date) -> list[Any]:
    client = Client.__table__
    conditions: list[Any] = []
    if filters.group is not None:
        found = find_group(uow, name=filters.group)  # as typed: spaces collapsed, any case
        if found is None:
            raise NotFound(f"no group named {as_stored(filters.group)!r}", where="--group")
        conditions.append(client.c.group_id == found.id)
    if filters.owner is not None:
        operator = Operator.__table__
        owner_id = uow.session.execute(
            select(operator.c.id).where(operator.c.login == filters.owner)
        ).scalar()
        if owner_id is None:
            raise NotFound(f"no operator {filters.owner!r}", where="--owner")
        conditions.append(client.c.owner_id == owner_id)
    if filters.source is not None:
        check_filter(uow, name="source", value=filters.source, configured=filters.known_sources)
        conditions.append(client.c.source == filters.source)
    if filters.campaign is not None:
        check_filter(uow, name="campaign", value=filters.campaign, configured=filters.known_campaigns)
        conditions.append(client.c.campaign == filters.campaign)
    if filters.tag is not None:
        conditions.append(_has_tag_any_case(uow, filters.tag.strip()))  # stored without spaces around
    if filters.birthday_this_week:
        conditions.append(_month_day(uow, client.c.birthday).in_(_week_days(today)))
    if filters.no_contact_days is not None:
        if filters.no_contact_days < 1:
            raise InvalidInput("--no-contact-days must be 1 or more", where="--no-contact-days")
        since = _days_before(uow.now(), filters.no_contact_days)
        conditions.append(client.c.last_interaction_at.is_(None) | (client.c.last_interaction_at < since))
    return conditions


def _week_days(today: date) -> list[str]:
    """The ``MM-DD`` of this week's days (Monday to Sunday); in a common year 28 February also stands for
    29 February, so that a leap-day birthday has a week every year."""
    monday = today - timedelta(days=today.weekday())
    week = [monday + timedelta(days=offset) for offset in range(7)]
    days = [day.strftime("%m-%d") for day in week]
    if any(day.month == 2 and day.day == 28 and not isleap(day.year) for day in week):
        days.append("02-29")
    return days


def _days_before(now: datetime, days: int) -> datetime:
    """``days`` before ``now``; no contact is dated before 1970, so any span reaching past it is 1970
    (``--no-contact-days 99999999`` failed as "date value out of range", naming no option)."""
    earliest = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
    return earliest if days >= (now - earliest).days else now - timedelta(days=days)


def _has_tag_any_case(uow: UnitOfWork, tag: str) -> Any:
    """The client holds ``tag`` in any case, as ``--group`` finds a group: ``vip`` finds "VIP". The
    spellings stored are few; they are compared here (in every alphabet: SQLite's ``lower`` folds only
    ASCII), then each looked up as stored."""
    folded = tag.casefold()
    client = Client.__table__
    if uow.session.get_bind().dialect.name == "postgresql":
        element = func.jsonb_array_elements_text(cast(client.c.tags, JSONB))
        stored = select(element.distinct()).where(client.c.tags.is_not(None))
    else:
        values = func.json_each(client.c.tags).table_valued("value")
        stored = select(values.c.value.distinct()).select_from(client).join(values, true())
    spellings = [
        str(value) for value in uow.session.execute(stored).scalars() if str(value).casefold() == folded
    ]
    if not spellings:
        return false()
    return or_(*(_has_tag(uow, spelling) for spelling in spellings))


def _has_tag(uow: UnitOfWork, tag: str) -> Any:
    """The client's tags (a JSON array) hold ``tag``: ``json_each`` on SQLite, ``@>`` on PostgreSQL."""
    client = Client.__table__
    if uow.session.get_bind().dialect.name == "postgresql":
        return cast(client.c.tags, JSONB).contains(cast(literal(f'["{_json_text(tag)}"]'), JSONB))
    values = func.json_each(client.c.tags).table_valued("value")
    return exists(select(literal(1)).select_from(values).where(values.c.value == tag))


def _json_text(text: str) -> str:
    import json

    return json.dumps(text)[1:-1]


def _month_day(uow: UnitOfWork, column: Any) -> Any:
    if uow.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "MM-DD")
    return func.strftime("%m-%d", column)


def _aware(moment: Any) -> datetime | None:
    from hotline.core.clock import as_utc

    if moment is None:
        return None
    return as_utc(moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment)))


def export_client_page(uow: UnitOfWork, *, page: ClientPage, fmt: str) -> bytes:
    """The listed page as a CSV or XLSX file, exactly its lines and columns; supervisors and admins,
    recorded in the audit log with the filters that made it."""
    uow.authorize("client.list_export", entity="client")
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (one of: {', '.join(EXPORT_FORMATS)})", where="--export")
    from hotline.core.exporting import XLSX_MAX_CELL_CHARS
    from hotline.core.reports.base import Report
    from hotline.core.reports.render import report_bytes

    for line in page.lines if fmt == "xlsx" else ():  # a longer cell was cut there without a word
        for column, cell in zip(COLUMNS, line.cells(), strict=True):
            if isinstance(cell, str) and len(cell) > XLSX_MAX_CELL_CHARS:
                raise InvalidInput(
                    f"client #{line.id}: {column} of {len(cell):,} characters, more than an XLSX cell holds"
                    f" ({XLSX_MAX_CELL_CHARS:,}): export it as csv",
                    where="--export",
                )
    sheet = Report(
        name="clients", title="Clients", columns=COLUMNS, rows=[line.cells() for line in page.lines]
    )
    data = report_bytes(sheet, fmt)
    record_audit(
        uow, action="client.list_export", entity="client", entity_id=None,
        after={"format": fmt, "count": len(page.lines), "filters": page.filters, "sort": page.sort,
               "offset": page.offset},
    )  # fmt: skip
    return data
