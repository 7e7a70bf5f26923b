"""A fetched group taken in together (``take_in_together``) leaves the database exactly as taking its
messages in one by one does: every row of every table, ids included, and the same audit entries —
new clients, known clients with contracts (their SLA deadlines), replies threading onto old tickets
(open, pending, resolved) and onto tickets the group itself opens, duplicates, machines, a refused
subject, a bounce, the acknowledgement cap. Also when a run's write fails half-way and its messages
are taken in one by one. On SQLite and PostgreSQL, each path on a fresh database.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import ProcessedMessage, Ticket, TicketEvent
from hotline.core.models.enums import Priority, TicketStatus
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import add_contract
from hotline.core.services.mail.incoming import BounceOf, IncomingMail, MailboxRef, MailFile
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import change_status, create_ticket
from hotline.mailbox.group_intake import GroupIntake
from tests.conftest import _truncate_all
from tests.core.escalation.world import setup_from_toml

MAILBOX = MailboxRef(
    name="support",
    queue="Support",
    from_address="support@example.com",
    acknowledge=True,
    acknowledgements_per_day=3,
    default_region="RU",
)
SETUP = setup_from_toml()
OLD_TICKETS = 3  # opened by the seed: the group's first new ticket is number 4


def mail(message_id: str | None, sender: str, subject: str = "Question", **fields: Any) -> IncomingMail:
    digest = f"digest of {message_id} {fields.pop('content', '')}"
    return IncomingMail(
        message_id=message_id,
        subject=subject,
        from_address=sender,
        from_name=fields.pop("name", ""),
        new_text=fields.pop("body", f"text of {message_id}"),
        content_digest=digest,
        **fields,
    )


FILE = MailFile(filename="счёт.pdf", content_type="application/pdf", size=5, content=b"%PDF-")
GROUPS: list[list[IncomingMail]] = [
    [
        mail("<g1@c>", "anna@example.com", "Printer", name="Анна", attachments=(FILE,)),
        mail("<g2@c>", "known@example.com", "Gold question"),
        mail("<g3@c>", "known@example.com", "Re: old", thread_ids=("<old-open@c>",)),
        mail("<g4@c>", "known@example.com", f"Re: [#{2}] waiting", ticket_number=2),  # its client
        mail("<g5@c>", "someone@example.com", "Re: done", thread_ids=("<x@y>", "<old-resolved@c>")),
        mail("<g6@c>", "anna@example.com", "Second"),
        mail("<g7@c>", "boris@example.com", "Re: Printer", thread_ids=("<g1@c>",), name="Boris"),
        # boris wrote on #4 (g7): his tag alone threads
        mail("<g10@c>", "boris@example.com", f"Re: [#{OLD_TICKETS + 1}] more", ticket_number=OLD_TICKETS + 1),
        mail("<seen@c>", "known@example.com", "Seen before"),  # recorded by the seed: a duplicate
        mail("<g2@c>", "known@example.com", "Gold question"),  # #2 again under another UID
        mail("<g11@c>", "away@example.com", "Out of office", automated_kind="auto-reply"),
        mail("<g12@c>", "list@lists.example.com", "Digest", automated_kind="list"),
        mail("<g13@c>", "carl@example.com", " \t "),  # a subject that is refused: failed alone
        mail(
            "<g14@c>", "mailer-daemon@example.com", "Undelivered", bounce=BounceOf(original_ids=("<no@x>",))
        ),
        mail("<g15@c>", "anna@example.com", "Third"),
        mail("<g16@c>", "anna@example.com", "Fourth: over the daily cap"),
        mail(None, "nobody@example.com", "No Message-ID", content="x"),
    ],
    [
        mail("<h1@c>", "boris@example.com", "Re: Second", thread_ids=("<g6@c>",)),
        mail("<h2@c>", "new@example.com", "Fresh", body="Привет"),
        # a stranger to #6: a new ticket, not an event on #6
        mail("<h3@c>", "new@example.com", f"Re: [#{OLD_TICKETS + 3}]", ticket_number=OLD_TICKETS + 3),
        mail("<g2@c>", "known@example.com", "Gold question", content="other text"),  # same id, new text
        mail("<h5@c>", "known@example.com", "Re: Fresh", thread_ids=("<h2@c>",)),
    ],
]


@pytest.fixture
def fresh_engines(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Engine]]:
    """Make an engine on a fresh database at head; on PostgreSQL the test database emptied (so one
    at a time: the engine made before is disposed of)."""
    made: list[Engine] = []

    def fresh() -> Engine:
        for engine in made:
            engine.dispose()
        if backend == "sqlite":
            path = tmp_path / f"fresh{len(made)}.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            url = request.getfixturevalue("pg_database_url")
            cleaner = make_engine(url)
            _truncate_all(cleaner)
            cleaner.dispose()
        made.append(make_engine(url))
        return made[-1]

    yield fresh
    for engine in made:
        engine.dispose()


def seed(engine: Engine, clock: Any) -> None:
    """Known clients (one with a gold contract, one lapsed), three old tickets (open, pending,
    resolved) with the Message-IDs replies name, and a message recorded as taken in before."""
    with UnitOfWork(engine, clock=clock) as uow:
        ensure_queue(uow, name="Support")
        known = create_client(
            uow, draft=ClientDraft(name="Known", emails=["known@example.com"]), default_region="RU"
        )
        lapsed = create_client(
            uow, draft=ClientDraft(name="Lapsed", emails=["lapsed@example.com"]), default_region="RU"
        )
        add_contract(
            uow, client_id=known.id, level="gold", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        )
        add_contract(
            uow, client_id=lapsed.id, level="gold", starts_on=date(2025, 1, 1), ends_on=date(2026, 1, 1)
        )
        tickets = [
            create_ticket(
                uow,
                subject=subject,
                queue="Support",
                client_id=known.id,
                priority=Priority.HIGH,
                body="first",
                message_id=message_id,
                sla=SETUP,
            )
            for subject, message_id in (
                ("old", "<old-open@c>"),
                ("waiting", None),
                ("done", "<old-resolved@c>"),
            )
        ]
        change_status(
            uow, number=tickets[0].number, expected_version=None, status=TicketStatus.OPEN, sla=SETUP
        )
        change_status(
            uow, number=tickets[1].number, expected_version=None, status=TicketStatus.PENDING, sla=SETUP
        )
        change_status(
            uow, number=tickets[2].number, expected_version=None, status=TicketStatus.RESOLVED, sla=SETUP
        )
        uow.session.add(
            ProcessedMessage(
                account="support",
                uidvalidity=1,
                uid=999,
                message_id="<seen@c>",
                content_digest="digest of <seen@c> ",
                ticket_id=tickets[0].id,
                processed_at=clock.now(),
            )
        )


def take_in_groups(engine: Engine, clock: Any, *, together: bool) -> list[Any]:
    intake = GroupIntake(engine=engine, clock=clock, sla=SETUP, mailbox=MAILBOX, together=together)
    outcomes: list[Any] = []
    uid = 0
    for group in GROUPS:
        converted = []
        for message in group:
            uid += 1
            converted.append((uid, f"raw {uid}".encode(), message))
        outcomes += intake.take_in(1, converted)
        clock.advance(minutes=5)
    return outcomes


def picture(engine: Engine) -> dict[str, Any]:
    """Every row of every table (the audit trail as a multiset without its ids); not the change
    counters, which count the transactions that signalled (fewer when a group is taken together)."""
    tables: dict[str, Any] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "change_signal":
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            if table.name == "audit_entry":
                tables[table.name] = Counter(repr(tuple(row[1:])) for row in rows)
            else:
                tables[table.name] = [tuple(row) for row in rows]
    return tables


def both_ways(fresh_engines: Callable[[], Engine], clock_at: Callable[[], Any]) -> tuple[Any, Any]:
    results = []
    for together in (True, False):
        engine, clock = fresh_engines(), clock_at()
        seed(engine, clock)
        outcomes = take_in_groups(engine, clock, together=together)
        results.append((outcomes, picture(engine)))
    return results[0], results[1]


def taken_alone(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The UIDs the group intake takes in one by one (``take_in``), collected as it goes."""
    import hotline.mailbox.group_intake as intake_module

    real, uids = intake_module.take_in, []

    def counted(uow: Any, **arguments: Any) -> Any:
        uids.append(arguments["uid"])
        return real(uow, **arguments)

    monkeypatch.setattr(intake_module, "take_in", counted)
    return uids


def test_a_group_taken_in_together_leaves_what_one_by_one_leaves(fresh_engines, clock, monkeypatch) -> None:
    alone = taken_alone(monkeypatch)
    (outcomes, tables), (single_outcomes, single_tables) = both_ways(fresh_engines, clock_from(clock))
    assert alone[:2] == [13, 14]  # runs took every message but the refused subject and the bounce
    assert len(alone) == 2 + len(outcomes)  # (and the one-by-one pass took every message alone)
    assert outcomes == single_outcomes
    for name in tables:
        assert tables[name] == single_tables[name], name
    kinds = Counter(outcome.outcome.value for outcome in outcomes)
    assert kinds == {"created": 12, "threaded": 7, "duplicate": 2, "failed": 1}
    assert sum(outcome.acknowledged for outcome in outcomes) == 9  # anna 3 of 4, known 2, new 2, 2 more


def test_the_group_threads_tags_and_deadlines_as_one_by_one(fresh_engines, clock) -> None:
    """What the comparison stands on: the threading, the reopenings and the gold deadline hold."""
    engine = fresh_engines()
    seed(engine, clock)
    take_in_groups(engine, clock, together=True)
    with engine.connect() as connection:
        subject_of = dict(
            connection.execute(
                select(TicketEvent.message_id, Ticket.subject).join(
                    Ticket, Ticket.id == TicketEvent.ticket_id
                )
            ).all()
        )
        statuses = dict(connection.execute(select(Ticket.subject, Ticket.status)).all())
        dues = dict(connection.execute(select(Ticket.subject, Ticket.first_response_due_at)).all())
        clients = connection.execute(text("SELECT count(*) FROM client")).scalar_one()
    assert subject_of["<g7@c>"] == subject_of["<g10@c>"] == "Printer"  # onto the group's own ticket
    assert (
        subject_of["<g3@c>"] == "old" and subject_of["<g4@c>"] == "waiting" and subject_of["<g5@c>"] == "done"
    )
    assert subject_of["<h3@c>"] == f"Re: [#{OLD_TICKETS + 3}]" and subject_of["<h5@c>"] == "Fresh"
    assert statuses["waiting"] == statuses["done"] == "open"
    assert dues["Gold question"] < dues["Printer"]  # the gold contract's 30 minutes
    assert clients == 2 + 7  # anna, boris, someone, away (an auto-reply is a person), the
    # mailer-daemon (no machine by its headers here), nobody, new; not the list nor carl (refused)


def fail_once(monkeypatch: pytest.MonkeyPatch, name: str, *, after_writing: bool) -> list[int]:
    """Make ``intake_together.<name>`` raise an IntegrityError the first time (after doing its writes,
    or before them), as a slot a parallel poller took makes the acknowledgements' INSERT fail."""
    import hotline.core.services.mail.intake_together as together_module

    real = getattr(together_module, name)
    failures: list[int] = []

    def failing_once(uow: Any, rows: Any) -> Any:
        if failures:
            return real(uow, rows)
        failures.append(len(rows))
        if after_writing:
            real(uow, rows)
        raise IntegrityError("INSERT", {}, Exception("a parallel run took it"))

    monkeypatch.setattr(together_module, name, failing_once)
    return failures


def clock_from(clock: Any) -> Callable[[], Any]:
    from hotline.core.clock import FixedClock

    start = clock.now()
    return lambda: FixedClock(start)


def test_a_run_that_fails_to_write_is_taken_in_one_by_one(fresh_engines, clock, monkeypatch) -> None:
    """Nothing of the failed run stays and its messages one by one give what they give without runs
    (the failure before the run's first write: PostgreSQL does not give sequence values back)."""
    failures = fail_once(monkeypatch, "new_clients_for", after_writing=False)
    (outcomes, tables), (single_outcomes, single_tables) = both_ways(fresh_engines, clock_from(clock))
    assert failures == [3]  # anna, someone and boris: the first run (it ends before #2 comes again)
    assert outcomes == single_outcomes
    for name in tables:
        assert tables[name] == single_tables[name], name


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_run_that_fails_half_way_leaves_nothing_of_it(fresh_engines, clock, monkeypatch) -> None:
    """The run's clients, tickets, events and records were written when its acknowledgements failed:
    the savepoint takes them all back (on SQLite the ids come back too, so every row compares)."""
    failures = fail_once(monkeypatch, "enqueue_mails", after_writing=True)
    (outcomes, tables), (single_outcomes, single_tables) = both_ways(fresh_engines, clock_from(clock))
    assert failures and failures[0] > 0
    assert outcomes == single_outcomes
    for name in tables:
        assert tables[name] == single_tables[name], name
