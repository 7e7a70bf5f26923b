"""Reminders: follow-ups that pop up for an operator on time, snooze, done, and contacts' birthdays.

A reminder belongs to one operator; one for several operators is one row each (``create_reminders``).
It may be about a client or a ticket (a ticket's client is filled in). Times come from the unit's clock.
"""

from __future__ import annotations

import calendar as calendar_module
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import extract, or_
from sqlmodel import col, select

from hotline.core.changes import signal_change
from hotline.core.clock import as_utc, within_years, within_years_here
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, Operator, Reminder, Ticket
from hotline.core.models.enums import ReminderStatus, Role
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.text import MAX_REMINDER_TEXT, checked_text
from hotline.core.when import MORNING

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.sla.calendar import BusinessCalendar

MAX_TEXT_CHARS = MAX_REMINDER_TEXT
DEFAULT_MORNING = MORNING
WORKING_WEEKDAYS = range(5)  # Monday to Friday, when no business calendar is configured
MADE_REMINDERS_LOCK = 0x726D6E64  # "rmnd": the advisory lock of the runs that make reminders (PostgreSQL)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ReminderKind(StrEnum):
    """Where a reminder came from."""

    MANUAL = "manual"
    FOLLOW_UP = "follow_up"
    TICKET = "ticket"
    BIRTHDAY = "birthday"
    CONTRACT = "contract"


class Snooze(StrEnum):
    """How long a reminder can be put off: the three choices of the console."""

    TEN_MINUTES = "10m"
    ONE_HOUR = "1h"
    TOMORROW = "tomorrow"


@dataclass(frozen=True, slots=True)
class ReminderView:
    """A reminder as the faces show it, with its operator, client and ticket named."""

    id: int
    operator: str
    kind: str
    text: str
    due_at: datetime
    status: str
    client_id: int | None
    client_name: str | None
    ticket_number: int | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``--json``)."""
        return {
            "id": self.id,
            "operator": self.operator,
            "kind": self.kind,
            "text": self.text,
            "due_at": self.due_at.isoformat(),
            "status": self.status,
            "client": None if self.client_id is None else {"id": self.client_id, "name": self.client_name},
            "ticket": self.ticket_number,
        }


def _operator(uow: UnitOfWork, login: str | None) -> Operator:
    if login is None:
        if uow.actor is None:
            raise InvalidInput("say whose reminder it is (an operator login)", where="operator")
        return uow.actor
    found = uow.session.exec(select(Operator).where(Operator.login == login)).first()
    if found is None:
        raise NotFound(f"unknown operator {login!r}")
    if not found.active:  # her console refuses her: nobody would ever see it (a rule's action fails so)
        raise InvalidInput(
            f"operator {login!r} is deactivated: nobody would see the reminder", where="operator"
        )
    return found


def _clean_text(text: str) -> str:
    cleaned = " ".join(_CONTROL_RE.sub(" ", text).split())
    if not cleaned:
        raise InvalidInput("a reminder needs a text", where="text")
    # Cleaned, not refused: an event rule's reminder carries a mail's subject (a message cannot be refused).
    return checked_text(cleaned, what="a reminder's text", at_most=MAX_TEXT_CHARS, where="text")


def create_reminder(
    uow: UnitOfWork,
    *,
    text: str,
    due_at: datetime,
    operator_login: str | None = None,
    client_id: int | None = None,
    ticket_id: int | None = None,
    kind: ReminderKind = ReminderKind.MANUAL,
) -> Reminder:
    """A reminder for ``operator_login`` (default: the actor), optionally about a client or ticket."""
    return create_reminders(
        uow,
        text=text,
        due_at=due_at,
        operator_logins=[operator_login] if operator_login else [],
        client_id=client_id,
        ticket_id=ticket_id,
        kind=kind,
    )[0]


def create_reminders(
    uow: UnitOfWork,
    *,
    text: str,
    due_at: datetime,
    operator_logins: Sequence[str],
    client_id: int | None = None,
    ticket_id: int | None = None,
    kind: ReminderKind = ReminderKind.MANUAL,
) -> list[Reminder]:
    """The same reminder for each of ``operator_logins`` (none: the acting operator)."""
    # Who may, before what she typed: a deactivated operator's attempt is refused and audited, never
    # turned away as bad input first.
    uow.authorize("reminder.write", entity="reminder")
    if due_at.tzinfo is None:
        raise InvalidInput("a reminder's time needs a time zone", where="due_at")
    # Whoever computed the time (a face's "when", a rule's delay, a follow-up): a date stays a date.
    within_years(as_utc(due_at), text=due_at.isoformat(), where="due_at")
    cleaned = _clean_text(text)
    if ticket_id is not None:
        ticket = uow.session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket with id {ticket_id}")
        if client_id is not None and ticket.client_id is not None and client_id != ticket.client_id:
            # Saved as typed, the reminder showed on one client's card about another client's ticket.
            raise InvalidInput(
                f"ticket #{ticket.number} is about client {ticket.client_id}, not client {client_id}",
                where="client",
            )
        client_id = client_id if client_id is not None else ticket.client_id
    if client_id is not None and uow.session.get(Client, client_id) is None:
        raise NotFound(f"no client with id {client_id}")
    operators = [_operator(uow, login) for login in dict.fromkeys(operator_logins)] or [_operator(uow, None)]
    created: list[Reminder] = []
    for operator in operators:
        assert operator.id is not None
        reminder = Reminder(
            operator_id=operator.id,
            client_id=client_id,
            ticket_id=ticket_id,
            kind=kind.value,
            text=cleaned,
            due_at=as_utc(due_at),
            status=ReminderStatus.PENDING.value,
            created_at=uow.now(),
        )
        uow.session.add(reminder)
        uow.session.flush()
        record_audit(
            uow, action="reminder.create", entity="reminder", entity_id=reminder.id, after=snapshot(reminder)
        )
        created.append(reminder)
    signal_change(uow, "reminder")
    return created


def follow_up(uow: UnitOfWork, *, client_id: int, due_at: datetime, text: str | None = None) -> Reminder:
    """A follow-up on a client for the acting operator (the log-call screen's "call back")."""
    client = uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id}")
    return create_reminder(
        uow,
        text=text or f"Follow up: {client.name}",
        due_at=due_at,
        client_id=client_id,
        kind=ReminderKind.FOLLOW_UP,
    )


def _views(uow: UnitOfWork, reminders: Sequence[Reminder]) -> list[ReminderView]:
    operator_ids = {r.operator_id for r in reminders}
    client_ids = {r.client_id for r in reminders if r.client_id is not None}
    ticket_ids = {r.ticket_id for r in reminders if r.ticket_id is not None}
    logins = dict(
        uow.session.exec(select(Operator.id, Operator.login).where(col(Operator.id).in_(operator_ids))).all()
    )
    names = dict(uow.session.exec(select(Client.id, Client.name).where(col(Client.id).in_(client_ids))).all())
    numbers = dict(
        uow.session.exec(select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(ticket_ids))).all()
    )
    return [
        ReminderView(
            id=r.id or 0,
            operator=logins.get(r.operator_id, "?"),
            kind=r.kind,
            text=r.text,
            due_at=r.due_at,
            status=r.status,
            client_id=r.client_id,
            client_name=names.get(r.client_id) if r.client_id is not None else None,
            ticket_number=numbers.get(r.ticket_id) if r.ticket_id is not None else None,
        )
        for r in reminders
    ]


def due_reminders(
    uow: UnitOfWork, *, operator_login: str | None = None, limit: int | None = None
) -> list[ReminderView]:
    """Pending reminders whose time has come, earliest first; for one operator, or everyone's (cron).

    An operator sees only her own (another's are private): everyone's is for supervisors, admins and the
    system account; an operator naming another operator is refused (audited)."""
    statement = select(Reminder).where(
        Reminder.status == ReminderStatus.PENDING.value, Reminder.due_at <= uow.now()
    )
    actor = uow.actor
    if actor is not None and actor.role == Role.OPERATOR.value:
        if operator_login is not None and operator_login != actor.login:
            uow.refuse("read", f"the reminders of {operator_login!r} are hers", entity="reminder")
        operator_login = actor.login
    if operator_login is not None:
        statement = statement.where(Reminder.operator_id == _operator(uow, operator_login).id)
    statement = statement.order_by(col(Reminder.due_at), col(Reminder.id))
    if limit is not None:
        statement = statement.limit(limit)
    return _views(uow, list(uow.session.exec(statement)))


def pending_reminders(
    uow: UnitOfWork,
    *,
    operator_login: str | None = None,
    client_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ReminderView]:
    """Pending reminders, due or not, earliest first: an operator's (default the actor; the console's home
    list), or with ``client_id`` everyone's about that client (the client's card); a page of them."""
    statement = select(Reminder).where(Reminder.status == ReminderStatus.PENDING.value)
    if client_id is not None:
        statement = statement.where(Reminder.client_id == client_id)
    else:
        statement = statement.where(Reminder.operator_id == _operator(uow, operator_login).id)
    statement = statement.order_by(col(Reminder.due_at), col(Reminder.id)).limit(limit).offset(offset)
    return _views(uow, list(uow.session.exec(statement)))


def _own_reminder(uow: UnitOfWork, reminder_id: int) -> Reminder:
    """The reminder, if the actor may change it: its operator, a supervisor or admin, or the system."""
    # Asked first: marking done a reminder already done writes nothing, so a deactivated operator's console
    # (its list shown before someone else did it) went through unrefused and unaudited.
    uow.authorize("reminder.write", entity="reminder", entity_id=reminder_id)
    reminder = uow.session.get(Reminder, reminder_id)
    if reminder is None:
        raise NotFound(f"no reminder with id {reminder_id}")
    actor = uow.actor
    if actor is not None and actor.id != reminder.operator_id and actor.role == Role.OPERATOR.value:
        # A refused attempt is an audit entry like every other refusal (``refuse`` raises PermissionDenied).
        uow.refuse(
            "reminder.write",
            f"reminder {reminder_id} belongs to another operator",
            entity="reminder",
            entity_id=reminder_id,
            rule="owner",
        )
    return reminder


def snooze_reminder(
    uow: UnitOfWork,
    *,
    reminder_id: int,
    snooze: Snooze | str,
    zone: ZoneInfo,
    calendar: BusinessCalendar | None = None,
) -> Reminder:
    """Put a reminder off by 10 minutes, an hour, or to tomorrow morning (business hours)."""
    try:
        choice = Snooze(snooze)
    except ValueError:
        choices = ", ".join(item.value for item in Snooze)
        raise InvalidInput(f"snooze for one of {choices}, not {snooze!r}", where="snooze") from None
    reminder = _own_reminder(uow, reminder_id)
    before = snapshot(reminder)
    now = uow.now()
    if choice is Snooze.TEN_MINUTES:
        due_at = now + timedelta(minutes=10)
    elif choice is Snooze.ONE_HOUR:
        due_at = now + timedelta(hours=1)
    else:
        due_at = next_morning(now, zone=zone, calendar=calendar)
    # Past the last year a date may have (3000-01-01 from 31 December 2999) was saved all the same.
    within_years_here(due_at, zone, text=due_at.astimezone(zone).isoformat(), where="snooze")
    reminder.due_at = due_at
    reminder.status = ReminderStatus.PENDING.value
    reminder.done_at = None
    uow.session.add(reminder)
    record_audit(
        uow,
        action="reminder.snooze",
        entity="reminder",
        entity_id=reminder_id,
        before=before,
        after=snapshot(reminder),
    )
    signal_change(uow, "reminder")
    return reminder


def complete_reminder(uow: UnitOfWork, *, reminder_id: int) -> Reminder:
    """Mark a reminder done (doing it twice changes nothing)."""
    reminder = _own_reminder(uow, reminder_id)
    if reminder.status == ReminderStatus.DONE.value:
        return reminder
    before = snapshot(reminder)
    reminder.status = ReminderStatus.DONE.value
    reminder.done_at = uow.now()
    uow.session.add(reminder)
    record_audit(
        uow,
        action="reminder.done",
        entity="reminder",
        entity_id=reminder_id,
        before=before,
        after=snapshot(reminder),
    )
    signal_change(uow, "reminder")
    return reminder


def next_morning(now: datetime, *, zone: ZoneInfo, calendar: BusinessCalendar | None = None) -> datetime:
    """The start of business on the first working day after today (local), as UTC.

    With a business calendar: its first working interval after today. Without: 09:00, Monday to Friday,
    in ``zone``.
    """
    today = now.astimezone(calendar.zone if calendar else zone).date()
    if calendar is not None:
        from hotline.core.sla.calendar import MAX_EMPTY_DAYS, from_us

        for offset in range(1, MAX_EMPTY_DAYS + 1):
            intervals = calendar.intervals_on(today + timedelta(days=offset))
            if intervals:
                return from_us(intervals[0][0])
    day = today + timedelta(days=1)
    while day.weekday() not in WORKING_WEEKDAYS:
        day += timedelta(days=1)
    return as_utc(datetime.combine(day, DEFAULT_MORNING, tzinfo=zone))


def birthdays_on(day: date) -> list[tuple[int, int]]:
    """The (month, day) birthdays celebrated on ``day``: 29 February counts on 28 February in other years."""
    dates = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not calendar_module.isleap(day.year):
        dates.append((2, 29))
    return dates


def create_birthday_reminders(
    uow: UnitOfWork,
    *,
    zone: ZoneInfo,
    catch_up_days: int = 0,
    at: time = DEFAULT_MORNING,
) -> list[Reminder]:
    """Reminders for the owners of clients whose birthday is today (local date in ``zone``).

    ``catch_up_days`` also covers that many days before (a cron run that was missed). A person without an
    owner falls back to their organisation's owner; with neither, no reminder. A deactivated owner is no
    owner (nobody would see her reminder). Each birthday makes one reminder a year, however often this
    runs (``dedupe_key``).
    """
    today = uow.now().astimezone(zone).date()
    created: list[Reminder] = []
    for offset in range(catch_up_days, -1, -1):
        created.extend(_birthday_reminders_for(uow, day=today - timedelta(days=offset), zone=zone, at=at))
    return created


def one_maker_at_a_time(uow: UnitOfWork) -> None:
    """Wait for another run making birthday or contract reminders to commit (PostgreSQL: an advisory lock
    to the end of the transaction; SQLite's write lock from BEGIN already queues them). Two cron runs at
    once both found a reminder missing and the second failed on its ``dedupe_key``, exit 1. Taken only
    when one is missing: consoles refreshing their lists with nothing to make never wait on it."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MADE_REMINDERS_LOCK})


def _birthday_reminders_for(uow: UnitOfWork, *, day: date, zone: ZoneInfo, at: time) -> list[Reminder]:
    matches = [
        (extract("month", Client.birthday) == month) & (extract("day", Client.birthday) == day_of_month)
        for month, day_of_month in birthdays_on(day)
    ]
    clients = list(uow.session.exec(select(Client).where(col(Client.birthday).is_not(None), or_(*matches))))
    if not clients:
        return []
    keys = {client.id: f"birthday:{client.id}:{day.year}" for client in clients}

    def made() -> set[str | None]:
        return set(
            uow.session.exec(select(Reminder.dedupe_key).where(col(Reminder.dedupe_key).in_(keys.values())))
        )

    existing = made()
    if set(keys.values()) - existing:  # some to make: one maker at a time, then what the other made
        one_maker_at_a_time(uow)
        existing = made()
    organisation_ids = {
        c.organisation_id for c in clients if c.owner_id is None and c.organisation_id is not None
    }
    organisation_owners = dict(
        uow.session.exec(select(Client.id, Client.owner_id).where(col(Client.id).in_(organisation_ids))).all()
    )
    # A deactivated owner counts as no owner (her console refuses her, as ``add_reminder`` refuses a
    # reminder for her): the person falls back to the organisation's owner, if that one is active.
    owners = {client.owner_id for client in clients} | set(organisation_owners.values())
    active = set(
        uow.session.exec(
            select(Operator.id).where(col(Operator.id).in_(owners - {None}), col(Operator.active).is_(True))
        )
    )
    due_at = as_utc(datetime.combine(day, at, tzinfo=zone))
    created: list[Reminder] = []
    for client in clients:
        own = client.owner_id if client.owner_id in active else None
        of_organisation = organisation_owners.get(client.organisation_id)
        owner_id = own or (of_organisation if of_organisation in active else None)
        if owner_id is None or keys[client.id] in existing or client.id is None or client.birthday is None:
            continue
        age = day.year - client.birthday.year
        text = f"Birthday: {client.name}" + (
            f" ({age})" if 0 < age < 130 and client.birthday.year > 1900 else ""
        )
        reminder = Reminder(
            operator_id=owner_id,
            client_id=client.id,
            kind=ReminderKind.BIRTHDAY.value,
            text=text,
            due_at=due_at,
            status=ReminderStatus.PENDING.value,
            dedupe_key=keys[client.id],
            created_at=uow.now(),
        )
        uow.session.add(reminder)
        uow.session.flush()
        record_audit(
            uow, action="reminder.create", entity="reminder", entity_id=reminder.id, after=snapshot(reminder)
        )
        created.append(reminder)
    if created:
        signal_change(uow, "reminder")
    return created


def reminder_calendar(settings: Any) -> BusinessCalendar | None:
    """The calendar for "tomorrow morning": the configured ``office`` one, else the first, else none."""
    calendars = getattr(settings, "calendars", None) or {}
    if not calendars:
        return None
    from hotline.core.sla.calendar import BusinessCalendar

    name = "office" if "office" in calendars else next(iter(calendars))
    return BusinessCalendar(calendars[name], name=name)
