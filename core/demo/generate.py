"""Generating the demo rows: clients with contacts, their calls and tickets, as plain tuples.

Everything comes from one ``random.Random(seed)`` and the clock's ``now``, so a seed always gives the same
data. Rows are produced per chunk of clients (bounded memory) in the column order of ``COLUMNS``; times are
"seconds before now" until ``Stamp`` turns them into what the backend's driver stores.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from hotline.core.demo import content, names
from hotline.core.demo.names import EN_SURNAMES, RU_FEMALE, RU_MALE, RU_SURNAMES, latin
from hotline.core.demo.phones import PhoneMaker

T = TypeVar("T")
DAY = 86_400
HOUR = 3_600
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

COLUMNS: dict[str, tuple[str, ...]] = {
    "client": (
        "id", "kind", "name", "first_name", "middle_name", "last_name", "organisation_id", "group_id",
        "owner_id", "birthday", "notes", "tags", "created_at", "updated_at", "last_interaction_at",
    ),
    "client_phone": ("id", "client_id", "raw", "e164", "digits", "label"),
    "client_email": ("id", "client_id", "address"),
    "ticket": (
        "id", "number", "subject", "status", "priority", "queue_id", "client_id", "requester", "assignee_id",
        "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "first_response_due_at",
        "resolution_due_at", "version",
    ),
    "ticket_event": (
        "id", "ticket_id", "kind", "author_id", "author", "body", "data", "message_id", "created_at",
    ),
    "interaction": (
        "id", "client_id", "kind", "direction", "started_at", "duration_seconds", "outcome", "subject",
        "notes", "operator_id", "ticket_id", "created_at",
    ),
    "reminder": (
        "id", "operator_id", "client_id", "ticket_id", "kind", "text", "due_at", "status", "done_at",
        "dedupe_key", "created_at",
    ),
}  # fmt: skip
"""Tables in the order they are written (parents first)."""

STATUS_WEIGHTS = (("new", 10), ("open", 25), ("pending", 10), ("resolved", 20), ("closed", 35))
PRIORITY_WEIGHTS = (("low", 20), ("normal", 55), ("high", 18), ("urgent", 7))
FIRST_RESPONSE_TARGET = {"urgent": HOUR, "high": 2 * HOUR, "normal": 8 * HOUR, "low": 24 * HOUR}
RESOLUTION_TARGET = {"urgent": 4 * HOUR, "high": DAY, "normal": 3 * DAY, "low": 5 * DAY}
LATE_OPEN_SHARE = 0.12
"""Share of open tickets past their SLA deadline: a few, not every queue red."""
ORGANISATION_UNIT_SHARE = 0.143
"""Share of "units" that are an organisation with 2-4 contacts: about 10 % of clients are organisations."""
EN_MIDDLE_INITIAL_SHARE = 0.6
EN_INITIALS = tuple(f"{letter}." for letter in "ABCDEFGHJKLMNPRSTW")
"""English persons often go by a middle initial (``James R. Wilson``), which makes namesakes rarer."""
SWITCHBOARD_SHARE = 0.25
"""Share of contact persons whose only phone is their organisation's office number (shared on purpose)."""


def _pool(weighted: tuple[tuple[object, int], ...]) -> tuple[object, ...]:
    return tuple(value for value, weight in weighted for _ in range(weight))


class Stamp:
    """Turns "seconds before now" into the stored form: SQLite text (SQLAlchemy's) or aware datetimes."""

    def __init__(self, now: datetime, *, sqlite: bool) -> None:
        self.sqlite = sqlite
        base = now.astimezone(UTC).replace(microsecond=0)
        self.base = base.replace(tzinfo=None) if sqlite else base
        self.today = base.date()
        self._epoch = int(base.timestamp())
        self._days: dict[int, str] = {}
        self._clock_times: list[str] = []
        if sqlite:
            self.at = self._at_text  # type: ignore[method-assign]
            self._clock_times = [
                f" {h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)
            ]

    def at(self, seconds_ago: int) -> object:
        return self.base - timedelta(seconds=seconds_ago)

    def _at_text(self, seconds_ago: int) -> object:
        """SQLite's text, from cached day strings and the 86,400 times of day (the hot path of the load)."""
        day, second = divmod(self._epoch - seconds_ago, DAY)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = date.fromordinal(EPOCH_ORDINAL + day).isoformat()
        return text + self._clock_times[second]

    def day(self, value: date) -> object:
        return value.isoformat() if self.sqlite else value


@dataclass
class Reference:
    """Ids of the fixed rows the generated ones point at, and where the new ids and ticket numbers start."""

    operator_ids: dict[str, int]
    operator_roles: dict[str, str]
    queue_ids: dict[str, int]
    group_ids: dict[str, int]
    first_ids: dict[str, int]
    first_ticket_number: int


@dataclass
class Chunk:
    """The rows of one chunk of clients, by table."""

    rows: dict[str, list[tuple]] = field(default_factory=lambda: {table: [] for table in COLUMNS})


class DemoGenerator:
    """Yields chunks of rows for ``count`` clients; ``last_ticket_number`` says which numbers were used."""

    def __init__(
        self, *, count: int, seed: int, now: datetime, sqlite: bool, default_region: str, reference: Reference
    ) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.tags_json: dict[tuple[str, ...], str] = {(): "[]"}
        self.stamp = Stamp(now, sqlite=sqlite)
        self.phones = PhoneMaker(self.rng, default_region)
        self.ref = reference
        self.next_ids = dict(reference.first_ids)
        self.next_number = reference.first_ticket_number
        inactive = {login for login, *_, active in content.OPERATORS if not active}
        active = [login for login in reference.operator_ids if login not in inactive]
        self.agents = [login for login in active if reference.operator_roles[login] == "operator"] or active
        self.supervisors = [
            login for login in active if reference.operator_roles[login] != "operator"
        ] or active
        groups = [
            (reference.group_ids[name], weight)
            for (name, _, _), weight in zip(content.GROUPS, content.GROUP_WEIGHTS, strict=True)
        ]
        no_group = round(
            sum(weight for _, weight in groups) * content.NO_GROUP_SHARE / (1 - content.NO_GROUP_SHARE)
        )
        self.group_pool = _pool((*groups, (None, no_group)))
        self.owned_groups = {reference.group_ids["VIP"], reference.group_ids["Partner"]}
        self.status_pool = _pool(STATUS_WEIGHTS)
        self.priority_pool = _pool(PRIORITY_WEIGHTS)
        self.outcome_pool = _pool(tuple((o, share) for o, share, _ in content.CALL_OUTCOMES))
        self.durations = {o: span for o, _, span in content.CALL_OUTCOMES}
        self.brands: dict[str, int] = {}

    @property
    def last_ticket_number(self) -> int:
        return self.next_number - 1

    def _pick(self, options: Sequence[T]) -> T:
        """``random.choice`` at a third of the cost (the load makes millions of picks)."""
        return options[int(self.rnd() * len(options))]

    def _one_or_two(self, options: Sequence[T], two: bool) -> list[T]:
        """One option, or two different ones (``random.sample`` without its checks and set handling)."""
        rnd, count = self.rnd, len(options)
        first = int(rnd() * count)
        if not two:
            return [options[first]]
        second = int(rnd() * (count - 1))
        return [options[first], options[second + (second >= first)]]

    def _between(self, low: int, high: int) -> int:
        """A whole number in ``[low, high]``."""
        return low + int(self.rnd() * (high - low + 1))

    def _open_ticket_age(self, target: int) -> int:
        """How long ago an open ticket was opened: most within the SLA target that applies to it, as in a
        working call centre; ``LATE_OPEN_SHARE`` of them past it, by up to two weeks."""
        if self.rnd() < LATE_OPEN_SHARE:
            return self._below_range(target + 60, target + 14 * DAY)
        return self._below_range(min(HOUR // 2, target // 4), target - 60)

    def _below_range(self, low: int, high: int) -> int:
        """A whole number in ``[low, high)``."""
        return low + int(self.rnd() * (high - low))

    def _id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def chunks(self, size: int) -> Iterator[tuple[Chunk, int]]:
        """Chunks of about ``size`` clients each, with the number of clients made so far."""
        made = 0
        chunk = Chunk()
        while made < self.count:
            made += self._unit(chunk, self.count - made)
            if len(chunk.rows["client"]) >= size or made >= self.count:
                yield chunk, made
                chunk = Chunk()

    def _unit(self, chunk: Chunk, room: int) -> int:
        """One person, or one organisation with its contact persons; returns how many clients it made."""
        rng = self.rng
        russian = rng.random() < 0.5
        if room >= 3 and rng.random() < ORGANISATION_UNIT_SHARE:
            contacts = min(self._between(2, 4), room - 1)
            organisation = self._organisation(chunk, russian)
            for _ in range(contacts):
                self._person(chunk, russian, organisation=organisation)
            return 1 + contacts
        self._person(chunk, russian, organisation=None)
        return 1

    def _organisation(self, chunk: Chunk, russian: bool) -> tuple[int, str, tuple[str, str, str]]:
        rng = self.rng
        client_id = self._id("client")
        if russian:
            (head, head_lat), (tail, tail_lat) = (
                self._pick(names.RU_COMPANY_HEADS),
                self._pick(names.RU_COMPANY_TAILS),
            )
            brand = f"{head}-{tail}" if rng.random() < 0.5 else f"{head}{tail.lower()}"
            name = f"{self._pick(names.RU_COMPANY_FORMS)} «{brand}»"
            domain = self._domain(f"{head_lat}-{tail_lat}", "ru")
            city = self._pick(names.RU_CITIES)
            note = f"Головной офис: {city}."
            mailboxes = ("info", "office", "buh", "zakaz")
        else:
            head, tail = self._pick(names.EN_COMPANY_HEADS), self._pick(names.EN_COMPANY_TAILS)
            name = f"{head} {tail} {self._pick(names.EN_COMPANY_FORMS)}"
            domain = self._domain(
                f"{head.lower().replace(' ', '')}-{tail.lower()}", self._pick(("com", "co.uk", "io"))
            )
            note = f"Head office: {self._pick(names.EN_CITIES)}."
            mailboxes = ("info", "accounts", "sales", "support")
        created = self._below_range(60 * DAY, 2000 * DAY)
        group_id = self.group_pool[int(rng.random() * len(self.group_pool))]
        tags = self._tags(russian)
        switchboard = None
        for _ in range(1 + (rng.random() < 0.4)):
            phone = self._phone(chunk, client_id, russian, label="office")
            switchboard = switchboard or phone
        for mailbox in self._one_or_two(mailboxes, rng.random() < 0.5):
            chunk.rows["client_email"].append((self._id("client_email"), client_id, f"{mailbox}@{domain}"))
        last = self._activity(chunk, client_id, russian, created, email=f"{mailboxes[0]}@{domain}")
        chunk.rows["client"].append(
            self._client_row(
                client_id,
                "organisation",
                name,
                None,
                None,
                None,
                None,
                group_id,
                None,
                note,
                tags,
                created,
                last,
            )
        )
        assert switchboard is not None
        return client_id, domain, switchboard

    def _domain(self, brand: str, zone: str) -> str:
        """The organisation's own mail domain: a brand used before gets a number (``alfa-stroy2.ru``)."""
        seen = self.brands.get(brand, 0)
        self.brands[brand] = seen + 1
        return f"{brand}{seen + 1 if seen else ''}.{zone}"

    def _person(
        self, chunk: Chunk, russian: bool, organisation: tuple[int, str, tuple[str, str, str]] | None
    ) -> None:
        rnd = self.rnd
        client_id = self._id("client")
        female = rnd() < 0.5
        middle: str | None
        if russian:
            _father, son, daughter = RU_MALE[int(rnd() * len(RU_MALE))]
            first = (
                RU_FEMALE[int(rnd() * len(RU_FEMALE))] if female else RU_MALE[int(rnd() * len(RU_MALE))][0]
            )
            middle = daughter if female else son
            last = names.ru_surname(RU_SURNAMES[int(rnd() * len(RU_SURNAMES))], female)
            name = f"{last} {first} {middle}"
        else:
            pool = names.EN_FEMALE if female else names.EN_MALE
            first = pool[int(rnd() * len(pool))]
            last = EN_SURNAMES[int(rnd() * len(EN_SURNAMES))]
            if rnd() < EN_MIDDLE_INITIAL_SHARE:
                middle = EN_INITIALS[int(rnd() * len(EN_INITIALS))]
                name = f"{first} {middle} {last}"
            else:
                middle = None
                name = f"{first} {last}"
        first_lat, last_lat = latin(first), latin(last)
        if organisation is not None:
            org_id, domain, switchboard = organisation
            addresses = [f"{first_lat[0]}.{last_lat}@{domain}"]
            phones = 1
            if rnd() < SWITCHBOARD_SHARE:  # reached through the organisation's office number
                phones = 0
                chunk.rows["client_phone"].append((self._id("client_phone"), client_id, *switchboard, "work"))
        else:
            org_id = None
            addresses = self._private_emails(first_lat, last_lat, client_id, russian)
            roll = rnd()
            phones = 1 if roll < 0.7 else 2 if roll < 0.95 else 3
        for index in range(phones):
            self._phone(chunk, client_id, russian, label=("mobile", "work", "home")[index])
        for address in addresses:
            chunk.rows["client_email"].append((self._id("client_email"), client_id, address))
        group_id = None if org_id else self.group_pool[int(rnd() * len(self.group_pool))]
        notes = self._pick(content.NOTES_RU if russian else content.NOTES_EN) if rnd() < 0.15 else ""
        created = DAY + int(rnd() * 1999 * DAY)
        last_seen = self._activity(
            chunk, client_id, russian, created, email=addresses[0] if addresses else None
        )
        chunk.rows["client"].append(
            self._client_row(
                client_id, "person", name, first, middle, last, org_id, group_id, self._birthday(), notes,
                self._tags(russian), created, last_seen,
            )
        )  # fmt: skip

    def _client_row(
        self, client_id: int, kind: str, name: str, first: str | None, middle: str | None, last: str | None,
        org_id: int | None, group_id: int | None, birthday: date | None, notes: str, tags: list[str],
        created: int, last_seen: int | None,
    ) -> tuple:  # fmt: skip
        stamp = self.stamp
        owner = self.ref.operator_ids[self._pick(self.agents)] if group_id in self.owned_groups else None
        updated = min(created, last_seen) if last_seen is not None else created
        key = tuple(tags)
        tags_json = self.tags_json.get(key)
        if tags_json is None:
            tags_json = self.tags_json[key] = json.dumps(tags, ensure_ascii=False)
        return (
            client_id, kind, name, first, middle, last, org_id, group_id, owner,
            None if birthday is None else stamp.day(birthday), notes, tags_json,
            stamp.at(created), stamp.at(updated), None if last_seen is None else stamp.at(last_seen),
        )  # fmt: skip

    def _phone(self, chunk: Chunk, client_id: int, russian: bool, label: str) -> tuple[str, str, str]:
        roll = self.rnd()
        if russian:
            country = "RU" if roll < 0.95 else "DE" if roll < 0.97 else "GB"
        else:
            country = "GB" if roll < 0.45 else "US" if roll < 0.9 else "DE" if roll < 0.97 else "RU"
        phone = self.phones.make(country)
        chunk.rows["client_phone"].append((self._id("client_phone"), client_id, *phone, label))
        return phone

    def _private_emails(self, first: str, last: str, client_id: int, russian: bool) -> list[str]:
        rnd = self.rnd
        roll = rnd()
        if roll < 0.25:
            return []
        domains = content.RU_FREE_MAIL if russian else content.EN_FREE_MAIL
        domain = domains[int(rnd() * len(domains))]
        style = int(rnd() * 4)
        suffix = client_id % 9973
        local = (
            f"{first}.{last}{suffix}",
            f"{first[0]}{last}{suffix}",
            f"{last}.{first}{suffix}",
            f"{first}{suffix}",
        )[style]
        out = [f"{local.replace(chr(39), '')}@{domain}"]
        if roll > 0.93:
            out.append(f"{last.replace(chr(39), '')}.{first[0]}{suffix}@{self._pick(content.EN_FREE_MAIL)}")
        return out

    def _birthday(self) -> date | None:
        roll = self.rnd()
        if roll < 0.25:
            return None
        year = 1950 + int(self.rnd() * 55)
        if roll < 0.253:
            return date(year - year % 4, 2, 29)  # a leap year: (1950..2004) rounded down to a multiple of 4
        if roll < 0.27:
            near = self.stamp.today + timedelta(days=self._between(-3, 7))
            try:
                return near.replace(year=year)
            except ValueError:
                return date(year, 2, 28)
        return date.fromordinal(date(year, 1, 1).toordinal() + int(self.rnd() * 365))

    def _tags(self, russian: bool) -> list[str]:
        roll = self.rnd()
        if roll >= 0.3:
            return []
        pool = content.TAGS_RU if russian else content.TAGS_EN
        return sorted(self._one_or_two(pool, roll < 0.08))

    def _activity(
        self, chunk: Chunk, client_id: int, russian: bool, created: int, email: str | None
    ) -> int | None:
        """Calls and tickets of a client; returns when the latest interaction was (seconds ago) or None."""
        rnd = self.rnd
        last: int | None = None
        roll = rnd()
        if roll < 0.22:
            for _ in range(1 + (roll < 0.06) + (roll < 0.02)):
                started = self._interaction(chunk, client_id, russian, created)
                last = started if last is None else min(last, started)
        if rnd() < 0.1:
            started = self._ticket(chunk, client_id, russian, created, email)
            if started is not None:
                last = started if last is None else min(last, started)
        return last

    def _interaction(
        self, chunk: Chunk, client_id: int, russian: bool, created: int, *, ticket_id: int | None = None,
        at: int | None = None, operator: str | None = None, notes: str | None = None,
    ) -> int:  # fmt: skip
        rng = self.rng
        started = at if at is not None else self._below_range(0, min(created, 400 * DAY))
        roll = rng.random() if ticket_id is None else 0.0
        login = operator or self._pick(self.agents)
        if roll < 0.8:
            kind = "call"
            outcome = (
                self.outcome_pool[int(rng.random() * len(self.outcome_pool))]
                if ticket_id is None
                else "transferred"
            )
            low, high = self.durations[outcome]
            duration, subject = self._between(low, high), None
            direction = "in" if rng.random() < 0.7 else "out"
            text = notes or self._pick(content.CALL_NOTES)
        elif roll < 0.9:
            kind, outcome, duration, direction = "email", None, None, "out"
            subject, text = self._pick(content.EMAIL_SUBJECTS), ""
        elif roll < 0.97:
            kind, outcome, duration, direction, subject = "note", None, None, None, None
            text = self._pick(content.NOTES_RU if russian else content.NOTES_EN)
        else:
            kind, outcome, direction, subject, text = (
                "meeting",
                None,
                None,
                self._pick(content.MEETING_SUBJECTS),
                "",
            )
            duration = self._pick((1800, 3600, 5400))
        stamp = self.stamp
        chunk.rows["interaction"].append(
            (
                self._id("interaction"), client_id, kind, direction, stamp.at(started), duration, outcome,
                subject, text, self.ref.operator_ids[login], ticket_id,
                stamp.at(max(started - (duration or 0), 0)),
            )
        )  # fmt: skip
        return started

    def _ticket(
        self, chunk: Chunk, client_id: int, russian: bool, created: int, email: str | None
    ) -> int | None:
        """A ticket with its history; returns when it was opened if that was a call (an interaction)."""
        rnd, stamp, ops = self.rnd, self.stamp, self.ref.operator_ids
        status = self.status_pool[int(rnd() * len(self.status_pool))]
        priority = self.priority_pool[int(rnd() * len(self.priority_pool))]
        queue, subject, first_message = self._pick(content.TICKETS_RU if russian else content.TICKETS_EN)
        by_phone = email is None or rnd() < 0.35
        if by_phone and status == "new":
            status = "open"  # the operator who took the call has answered already
        if status in ("new", "open", "pending"):
            # A mail ticket still new waits for its first response; the others for their resolution.
            target = FIRST_RESPONSE_TARGET[priority] if status == "new" else RESOLUTION_TARGET[priority]
            opened = self._open_ticket_age(target)
        else:
            opened = self._below_range(2 * DAY, min(max(created, 3 * DAY), 365 * DAY))
        ticket_id, number = self._id("ticket"), self.next_number
        self.next_number += 1
        history = _History(self, number=number, at=opened, agent=self._pick(self.agents))
        if by_phone:
            history.opened_by_call(first_message)
            self._interaction(
                chunk, client_id, russian, created, ticket_id=ticket_id, at=opened, operator=history.agent,
                notes=subject,
            )  # fmt: skip
        else:
            history.opened_by_mail(email or "", first_message)
        history.work(status, russian=russian, requester=None if by_phone else email)
        if status == "pending" and rnd() < 0.5 and history.assignee is not None:
            text = f"Перезвонить по тикету #{number}" if russian else f"Call back about ticket #{number}"
            chunk.rows["reminder"].append(
                (self._id("reminder"), ops[history.assignee], client_id, ticket_id, "manual", text,
                 stamp.at(self._below_range(-2 * DAY, DAY)), "pending", None, None, stamp.at(history.at))
            )  # fmt: skip
        for kind, login, author, body, data, message_id, at in history.events:
            chunk.rows["ticket_event"].append(
                (self._id("ticket_event"), ticket_id, kind, ops[login] if login else None, author, body,
                 _json(data), message_id, stamp.at(at))
            )  # fmt: skip
        optional = (history.first_response_at, history.resolved_at, history.closed_at)
        chunk.rows["ticket"].append(
            (
                ticket_id, number, subject, status, priority, self.ref.queue_ids[queue], client_id,
                None if by_phone else email, ops[history.assignee] if history.assignee else None,
                stamp.at(opened), stamp.at(history.at),
                *(None if at is None else stamp.at(at) for at in optional),
                stamp.at(opened - FIRST_RESPONSE_TARGET[priority]),
                stamp.at(opened - RESOLUTION_TARGET[priority]),
                history.version,
            )
        )  # fmt: skip
        return opened if by_phone else None


_JSON_CACHE: dict[tuple[tuple[str, object], ...], str] = {}


def _json(data: dict[str, object]) -> str:
    """The event's data as JSON; the few distinct shapes (status moves, assignments) are encoded once."""
    if not data:
        return "{}"
    key = tuple(data.items())
    text = _JSON_CACHE.get(key)
    if text is None:
        text = _JSON_CACHE[key] = json.dumps(data, ensure_ascii=False)
    return text


class _History:
    """A ticket's chronology as it is made up: events (kind, login, author, body, data, message id, at)."""

    def __init__(self, generator: DemoGenerator, *, number: int, at: int, agent: str) -> None:
        self.generator = generator
        self.number = number
        self.at = at
        self.agent = agent
        self.assignee: str | None = None
        self.first_response_at: int | None = None
        self.resolved_at: int | None = None
        self.closed_at: int | None = None
        self.version = 1
        self.events: list[tuple[str, str | None, str, str, dict[str, object], str | None, int]] = []

    def _later(self, low: int, high: int) -> None:
        self.at = max(0, self.at - self.generator._between(low, high))

    def _add(
        self, kind: str, login: str | None, author: str, body: str, data: dict[str, object] | None = None,
        message_id: str | None = None,
    ) -> None:  # fmt: skip
        self.events.append((kind, login, author, body, data or {}, message_id, self.at))

    def opened_by_call(self, text: str) -> None:
        self._add("call", self.agent, self.agent, text, {"direction": "in"})
        self.first_response_at = self.at

    def opened_by_mail(self, sender: str, text: str) -> None:
        self._add("message_in", None, sender, text, None, f"<demo-{self.number}-1@mail.example>")

    def work(self, status: str, *, russian: bool, requester: str | None) -> None:
        """Assignment, answers, notes and status changes leading to ``status``."""
        pick, rnd = self.generator._pick, self.generator.rnd
        replies = content.REPLIES_RU if russian else content.REPLIES_EN
        if status != "new" or rnd() < 0.3:
            supervisor = pick(self.generator.supervisors)
            self.assignee = self.agent
            self._later(60, 1800)
            self._add("assignment", supervisor, supervisor, f"→ {self.agent}", {"to": self.agent})
            self.version += 1
        if status == "new":
            return
        self._later(300, 4 * HOUR)
        self._add(
            "message_out",
            self.agent,
            self.agent,
            pick(replies),
            None,
            f"<demo-{self.number}-2@hotline.example.com>",
        )
        if self.first_response_at is None:
            self.first_response_at = self.at
        self._status("new", "open")
        if rnd() < 0.3:
            self._later(120, 4 * HOUR)
            self._add("note", self.agent, self.agent, pick(content.INTERNAL_NOTES))
        if requester is not None and rnd() < 0.4:
            self._later(HOUR, DAY)
            follow_up = pick(content.FOLLOW_UPS_RU if russian else content.FOLLOW_UPS_EN)
            self._add("message_in", None, requester, follow_up, None, f"<demo-{self.number}-3@mail.example>")
            self._later(600, 6 * HOUR)
            self._add(
                "message_out",
                self.agent,
                self.agent,
                pick(replies),
                None,
                f"<demo-{self.number}-4@hotline.example.com>",
            )
        steps = {"pending": ("pending",), "resolved": ("resolved",), "closed": ("resolved", "closed")}
        previous = "open"
        for step in steps.get(status, ()):
            self._later(*((DAY, 7 * DAY) if step == "closed" else (HOUR, 3 * DAY)))
            self._status(previous, step)
            previous = step
            if step == "resolved":
                self.resolved_at = self.at
            elif step == "closed":
                self.closed_at = self.at

    def _status(self, old: str, new: str) -> None:
        self._add("status", self.agent, self.agent, f"{old} → {new}", {"from": old, "to": new})
        self.version += 1
