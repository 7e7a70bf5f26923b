"""The demo data set on both backends: shape, realism, determinism, and no duplicates on a second load."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from hotline.core.demo import load as load_module
from hotline.core.demo import load_demo
from hotline.core.demo.generate import COLUMNS
from hotline.core.demo.names import RU_FEMALE, RU_MALE
from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.phones import normalize_phone
from hotline.core.services.clients import ClientDraft, create_client
from tests.conftest import TEST_NOW, UowFactory

CLIENTS = 2000
DUMPED_TABLES = {
    "client": "id, kind, name, first_name, middle_name, last_name, organisation_id, group_id, owner_id, birthday,"
    " notes, tags, created_at, updated_at, last_interaction_at",
    "client_phone": "id, client_id, raw, e164, digits, label",
    "client_email": "id, client_id, address",
    "ticket": "id, number, subject, status, priority, queue_id, client_id, requester, assignee_id, created_at,"
    " updated_at, first_response_at, resolved_at, closed_at, first_response_due_at, resolution_due_at, version",
    "ticket_event": "id, ticket_id, kind, author_id, author, body, data, message_id, created_at",
    "interaction": "id, client_id, kind, direction, started_at, duration_seconds, outcome, subject, notes,"
    " operator_id, ticket_id, created_at",
    "reminder": "id, operator_id, client_id, ticket_id, kind, text, due_at, status",
}


def _load(uow_factory: UowFactory, *, clients: int = CLIENTS, seed: int = 1, replace: bool = False):
    with uow_factory() as uow:
        return load_demo(uow, clients=clients, seed=seed, replace=replace, default_region="RU")


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _digest(engine: Engine) -> dict[str, str]:
    """A fingerprint of every generated table, in id order."""
    out = {}
    for table, columns in DUMPED_TABLES.items():
        rows = _rows(engine, f'SELECT {columns} FROM "{table}" ORDER BY id')
        out[table] = hashlib.sha256(repr(rows).encode()).hexdigest() + f":{len(rows)}"
    return out


@pytest.fixture
def loaded(engine: Engine, uow_factory: UowFactory) -> Engine:
    _load(uow_factory)
    return engine


def test_counts_kinds_and_languages(loaded: Engine) -> None:
    kinds = Counter(kind for (kind,) in _rows(loaded, "SELECT kind FROM client"))
    assert sum(kinds.values()) == CLIENTS
    assert 0.05 * CLIENTS <= kinds["organisation"] <= 0.15 * CLIENTS
    persons = _rows(loaded, "SELECT name FROM client WHERE kind = 'person'")
    cyrillic = sum(1 for (name,) in persons if any("а" <= ch.lower() <= "я" for ch in name))
    assert 0.4 <= cyrillic / len(persons) <= 0.6


def test_organisations_have_several_contact_persons(loaded: Engine) -> None:
    contacts = dict(
        _rows(
            loaded,
            "SELECT o.id, count(p.id) FROM client o LEFT JOIN client p ON p.organisation_id = o.id"
            " WHERE o.kind = 'organisation' GROUP BY o.id",
        )
    )
    assert contacts and min(contacts.values()) >= 1
    assert sum(1 for count in contacts.values() if count >= 2) >= 0.9 * len(contacts)
    kinds = {
        kind
        for (kind,) in _rows(loaded, "SELECT DISTINCT kind FROM client WHERE organisation_id IS NOT NULL")
    }
    assert kinds == {"person"}


def test_russian_names_take_the_gender_forms(loaded: Engine) -> None:
    female_first = set(RU_FEMALE)
    male_first = {first for first, _, _ in RU_MALE}
    rows = [
        row
        for row in _rows(
            loaded,
            "SELECT first_name, middle_name, last_name, name FROM client WHERE middle_name IS NOT NULL",
        )
        if not row[0].isascii()
    ]
    assert rows
    initials = _rows(
        loaded, "SELECT first_name, middle_name, last_name, name FROM client WHERE middle_name IS NOT NULL"
    )
    for first, middle, last, name in initials:
        if first.isascii():
            assert len(middle) == 2 and middle.endswith(".") and name == f"{first} {middle} {last}"
    for first, middle, last, name in rows:
        assert name == f"{last} {first} {middle}"
        if first in female_first:
            assert middle.endswith("на"), (first, middle)
            assert not last.endswith(("ов", "ев", "ин", "ский")), (first, last)
        else:
            assert first in male_first and middle.endswith("ич"), (first, middle)


def test_every_phone_normalises_to_what_is_stored(loaded: Engine) -> None:
    phones = _rows(loaded, "SELECT raw, e164, digits FROM client_phone")
    assert len(phones) >= CLIENTS
    for raw, e164, digits in phones:
        normalised = normalize_phone(raw, default_region="RU")
        assert (normalised.raw, normalised.e164, normalised.digits) == (raw, e164, digits)
    starts = {raw[:2] for raw, _, _ in phones}
    assert {"+7", "8 ", "89", "8-", "(9", "+4", "+1"} <= starts
    via_organisation = _rows(
        loaded,
        "SELECT count(*) FROM client_phone p JOIN client c ON c.id = p.client_id"
        " JOIN client_phone o ON o.client_id = c.organisation_id AND o.e164 = p.e164",
    )[0][0]
    assert len({e164 for _, e164, _ in phones}) == len(phones) - via_organisation


def test_emails_are_normalised_and_organisations_use_their_domain(loaded: Engine) -> None:
    for (address,) in _rows(loaded, "SELECT address FROM client_email"):
        assert normalize_email(address) == address
    pairs = _rows(
        loaded,
        "SELECT pe.address, oe.address FROM client p JOIN client_email pe ON pe.client_id = p.id"
        " JOIN client_email oe ON oe.client_id = p.organisation_id",
    )
    assert pairs and all(person.split("@")[1] == org.split("@")[1] for person, org in pairs)


def test_groups_birthdays_tags_and_operators(loaded: Engine) -> None:
    groups = dict(_rows(loaded, "SELECT name, colour FROM client_group"))
    assert {"VIP", "Partner", "Regular", "Blocked"} <= set(groups)
    assert all(colour.startswith("#") for colour in groups.values())
    birthdays = [
        value for (value,) in _rows(loaded, "SELECT birthday FROM client WHERE birthday IS NOT NULL")
    ]
    birthdays = [value if isinstance(value, date) else date.fromisoformat(value) for value in birthdays]
    assert any((b.month, b.day) == (2, 29) for b in birthdays)
    today = TEST_NOW.date()
    assert any(
        abs((b.replace(year=today.year) - today).days) <= 3 for b in birthdays if (b.month, b.day) != (2, 29)
    )
    assert _rows(loaded, "SELECT count(*) FROM client WHERE CAST(tags AS TEXT) <> '[]'")[0][0] > 0
    roles = Counter(role for (role,) in _rows(loaded, "SELECT role FROM operator"))
    assert roles["admin"] >= 1 and roles["supervisor"] >= 2 and roles["operator"] >= 5
    assert not _rows(loaded, "SELECT login FROM operator WHERE email IS NULL")
    assert {name for (name,) in _rows(loaded, "SELECT name FROM queue")} >= {
        "Support",
        "Billing",
        "Sales",
        "Technical",
    }


def test_tickets_have_histories_and_numbers_from_the_counter(loaded: Engine) -> None:
    tickets = _rows(loaded, "SELECT id, number, status, priority, first_response_at FROM ticket")
    numbers = [number for _, number, *_ in tickets]
    assert len(tickets) >= CLIENTS // 20
    assert len(set(numbers)) == len(numbers)
    assert _rows(loaded, "SELECT value FROM counter WHERE name = 'ticket'") == [(max(numbers),)]
    assert {status for _, _, status, *_ in tickets} == {"new", "open", "pending", "resolved", "closed"}
    assert {priority for *_, priority, _ in tickets} == {"low", "normal", "high", "urgent"}
    events = Counter(ticket_id for (ticket_id,) in _rows(loaded, "SELECT ticket_id FROM ticket_event"))
    assert all(events[ticket_id] >= 1 for ticket_id, *_ in tickets)
    kinds = {kind for (kind,) in _rows(loaded, "SELECT DISTINCT kind FROM ticket_event")}
    assert {"message_in", "message_out", "note", "status", "assignment", "call"} <= kinds
    answered = [row for row in tickets if row[2] != "new"]
    assert all(row[4] is not None for row in answered)


def test_calls_articles_reminders_and_the_lookup_index(loaded: Engine) -> None:
    calls = _rows(loaded, "SELECT duration_seconds, outcome FROM interaction WHERE kind = 'call'")
    assert len({outcome for _, outcome in calls}) >= 5
    assert all(duration is not None and duration >= 0 for duration, _ in calls)
    titles = [title for (title,) in _rows(loaded, "SELECT title FROM kb_article")]
    assert len(titles) >= 30
    assert any("а" <= ch <= "я" for title in titles for ch in title.lower())
    assert any(title.isascii() for title in titles)
    assert _rows(loaded, "SELECT count(*) FROM reminder")[0][0] > 0
    phones = _rows(loaded, "SELECT count(*) FROM client_phone")[0][0]
    assert _rows(loaded, "SELECT count(DISTINCT phone_id) FROM search_phone")[0][0] == phones
    assert _rows(loaded, "SELECT count(DISTINCT client_id) FROM search_word")[0][0] == CLIENTS
    audit = _rows(loaded, "SELECT action FROM audit_entry WHERE action LIKE 'demo.%'")
    assert audit == [("demo.load",)]


def test_everything_is_relative_to_the_clock(loaded: Engine) -> None:
    now = TEST_NOW.replace(tzinfo=None).isoformat(" ")
    for table, column in (
        ("ticket", "created_at"),
        ("ticket_event", "created_at"),
        ("interaction", "started_at"),
    ):
        latest = _rows(loaded, f"SELECT max({column}) FROM {table}")[0][0]
        latest = (
            latest
            if isinstance(latest, str)
            else latest.astimezone(TEST_NOW.tzinfo).replace(tzinfo=None).isoformat(" ")
        )
        assert latest[:19] <= now[:19], (table, latest)


def test_the_same_seed_gives_the_same_data_and_a_reload_does_not_duplicate(
    engine: Engine, uow_factory: UowFactory
) -> None:
    _load(uow_factory, clients=500, seed=7)
    first = _digest(engine)
    with pytest.raises(InvalidInput, match="already has 500 clients"):
        _load(uow_factory, clients=500, seed=7)
    _load(uow_factory, clients=500, seed=7, replace=True)
    assert _digest(engine) == first
    assert _rows(engine, "SELECT count(*) FROM operator WHERE login = 'm.orlova'") == [(1,)]
    assert _rows(engine, "SELECT count(*) FROM kb_article")[0][0] == len(
        {slug for (slug,) in _rows(engine, "SELECT slug FROM kb_article")}
    )
    _load(uow_factory, clients=500, seed=8, replace=True)
    other = _digest(engine)
    assert other["client"] != first["client"] and other["client"].endswith(":500")


def test_services_keep_working_after_the_bulk_load(loaded: Engine, uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        client = create_client(
            uow,
            draft=ClientDraft(first_name="Новый", last_name="Клиент", phones=["+7 495 111-22-33"]),
            default_region="RU",
        )
    assert client.id == CLIENTS + 1


def _schema(engine: Engine) -> set[str]:
    """Every index and key of the database, as its definition (and whether PostgreSQL checked it)."""
    if engine.dialect.name == "sqlite":
        return {
            f"{name}: {sql}"
            for name, sql in _rows(engine, "SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        } | {
            f"{table}: {row}"
            for (table,) in _rows(engine, "SELECT name FROM sqlite_master WHERE type = 'table'")
            for row in _rows(engine, f"PRAGMA foreign_key_list('{table}')")
        }
    return (
        {
            f"{table}: {definition}"
            for table, definition in _rows(
                engine, "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )
        }
        | {
            f"{table} {name}: {definition} validated={valid}"
            for table, name, definition, valid in _rows(
                engine,
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace",
            )
        }
        | {
            f"{table} trigger {name}: enabled={enabled}"  # set aside for the load (0020's), on again after it
            for table, name, enabled in _rows(
                engine,
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal",
            )
        }
    )


def test_the_schema_keeps_its_indexes_and_keys(engine: Engine, uow_factory: UowFactory) -> None:
    before = _schema(engine)
    _load(uow_factory, clients=300)
    assert _schema(engine) == before
    assert any("ix_client_phone_e164" in entry for entry in before)
    if engine.dialect.name == "postgresql":
        assert "ticket_event trigger ticket_event_author_is_the_writer: enabled=O" in before
    assert [
        entry
        for entry in before
        if entry.startswith("client_phone") and ("REFERENCES" in entry or "'client'" in entry)
    ]


def test_a_load_that_fails_halfway_leaves_the_database_as_it_was(
    engine: Engine, uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(uow_factory, clients=200, seed=3)
    before, data = _schema(engine), _digest(engine)
    real_chunks = load_module.DemoGenerator.chunks

    def failing(self, size):
        for number, item in enumerate(real_chunks(self, size)):
            if number == 2:
                raise RuntimeError("the generator broke")
            yield item

    monkeypatch.setattr(load_module, "CHUNK_CLIENTS", 100)
    monkeypatch.setattr(load_module.DemoGenerator, "chunks", failing)
    with pytest.raises(RuntimeError, match="the generator broke"):
        _load(uow_factory, clients=1000, seed=4, replace=True)
    assert _schema(engine) == before
    assert _digest(engine) == data


def test_the_set_aside_keys_are_checked_when_they_come_back(
    engine: Engine, uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone of a client that does not exist is refused: the foreign keys still guard a bulk load."""
    real_chunks = load_module.DemoGenerator.chunks

    def orphaned(self, size):
        for chunk, made in real_chunks(self, size):
            row = list(chunk.rows["client_phone"][0])
            row[COLUMNS["client_phone"].index("client_id")] = 10_000_000
            chunk.rows["client_phone"][0] = tuple(row)
            yield chunk, made

    monkeypatch.setattr(load_module.DemoGenerator, "chunks", orphaned)
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)):  # SQLite's, straight from executemany
        _load(uow_factory, clients=100)
    assert _rows(engine, "SELECT count(*) FROM client") == [(0,)]


@pytest.mark.parametrize("backend", ["sqlite"])  # no database: the generator thread alone
def test_chunks_generated_ahead_hand_over_errors_and_stop_with_the_writer(backend: str) -> None:
    def chunks():
        yield from range(3)
        raise ValueError("broken at 3")

    got: list[int] = []
    with pytest.raises(ValueError, match="broken at 3"):
        got.extend(load_module._generated_ahead(chunks()))
    assert got == [0, 1, 2]

    made = []

    def endless():
        number = 0
        while True:
            made.append(number)
            yield number
            number += 1

    ahead = load_module._generated_ahead(endless(), ahead=2)
    assert [next(ahead) for _ in range(5)] == [0, 1, 2, 3, 4]
    ahead.close()  # the writer stops (an error while writing): the thread stops too
    assert not [thread for thread in threading.enumerate() if thread.name == "demo-generator"]
    assert len(made) <= 5 + 2 + 1


UNIQUE_CLIENTS = 20_000


@pytest.mark.parametrize("backend", ["sqlite"])  # the generator does not depend on the backend
def test_phones_are_unique_per_client_and_names_rarely_repeat(
    engine: Engine, uow_factory: UowFactory
) -> None:
    """20k clients: no two unrelated clients share a number (only an organisation and its contacts may);
    every number normalises to what is stored; a full name seldom belongs to more than one person."""
    _load(uow_factory, clients=UNIQUE_CLIENTS, seed=11)
    families = dict(_rows(engine, "SELECT id, coalesce(organisation_id, id) FROM client"))
    owners: dict[str, set[int]] = {}
    for client_id, raw, e164, digits in _rows(
        engine, "SELECT client_id, raw, e164, digits FROM client_phone"
    ):
        normalised = normalize_phone(raw, default_region="RU")
        assert (normalised.e164, normalised.digits) == (e164, digits), raw
        owners.setdefault(e164, set()).add(families[client_id])
    shared = {e164: family for e164, family in owners.items() if len(family) > 1}
    assert not shared, list(shared.items())[:5]
    assert len(owners) >= UNIQUE_CLIENTS
    # Contact persons of an organisation do share its office number sometimes (on purpose).
    assert (
        _rows(
            engine,
            "SELECT count(*) FROM client_phone p JOIN client c ON c.id = p.client_id"
            " JOIN client_phone o ON o.client_id = c.organisation_id AND o.e164 = p.e164",
        )[0][0]
        > 0
    )
    names = Counter(name for (name,) in _rows(engine, "SELECT name FROM client WHERE kind = 'person'"))
    persons = sum(names.values())
    namesakes = sum(count for count in names.values() if count > 1)
    assert namesakes <= 0.05 * persons, names.most_common(5)
    assert max(names.values()) <= 4, names.most_common(5)
    domains = Counter(
        address.split("@")[1]
        for (address,) in _rows(
            engine,
            "SELECT e.address FROM client_email e JOIN client c ON c.id = e.client_id"
            " WHERE c.kind = 'organisation'",
        )
    )
    organisations = _rows(engine, "SELECT count(*) FROM client WHERE kind = 'organisation'")[0][0]
    assert len(domains) == organisations  # each organisation has its own mail domain


def test_most_open_tickets_are_within_their_sla_as_in_a_working_call_centre(loaded: Engine) -> None:
    from sqlmodel import Session, select

    from hotline.core.models import Ticket
    from hotline.core.models.enums import OPEN_STATUSES
    from hotline.core.sla.deadline import next_deadline

    with Session(loaded) as session:
        open_tickets = session.exec(
            select(Ticket).where(Ticket.status.in_([status.value for status in OPEN_STATUSES]))
        ).all()
    deadlines = [next_deadline(ticket) for ticket in open_tickets]
    late = sum(1 for due in deadlines if due is not None and due <= TEST_NOW)
    assert len(open_tickets) >= 50
    assert all(due is not None for due in deadlines)
    assert 0 < late <= 0.2 * len(open_tickets), f"{late} of {len(open_tickets)} open tickets are late"
