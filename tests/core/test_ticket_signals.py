"""Every ticket write signals the ``ticket`` channel at commit: PostgreSQL names the tickets (their
numbers), SQLite only counts; a rolled-back write wakes no one; a signal naming too many names none."""

from __future__ import annotations

import time

import pytest

from hotline.core.changes import MAX_PAYLOAD_IDS, ChangeWatcher, signal_change
from hotline.core.models.enums import EventKind, TicketStatus
from hotline.core.services.tickets import (
    EventDraft,
    add_events,
    add_note,
    change_status,
    create_ticket,
    get_ticket,
)

WAIT_SECONDS = 10


def changes(watcher: ChangeWatcher) -> tuple[set[str], frozenset[int] | None]:
    """The channels of the next change (within ``WAIT_SECONDS``) and the tickets it names."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        changed = watcher.wait(0.5)
        if changed:
            return changed, watcher.ids("ticket")
    return set(), None


def named(backend: str, numbers: set[int]) -> frozenset[int] | None:
    """What the watcher says of these tickets on ``backend`` (SQLite never knows which)."""
    return frozenset(numbers) if backend == "postgresql" else None


@pytest.fixture
def watcher(engine):
    made = ChangeWatcher(engine)
    yield made
    made.close()


def test_create_note_status_and_intake_lines_each_signal_their_tickets(
    uow_factory, staff, watcher, backend
) -> None:
    with uow_factory() as uow:
        first = create_ticket(uow, subject="No body at all", queue="Support").number
        second = create_ticket(uow, subject="With a body", queue="Support", body="hello").number
    assert changes(watcher) == ({"ticket"}, named(backend, {first, second}))

    with uow_factory(actor_login="olga") as uow:
        add_note(uow, number=first, expected_version=None, body="a note", sla=None)
    assert changes(watcher) == ({"ticket"}, named(backend, {first}))

    with uow_factory(actor_login="olga") as uow:
        change_status(uow, number=second, expected_version=None, status=TicketStatus.PENDING, sla=None)
    assert changes(watcher) == ({"ticket"}, named(backend, {second}))

    with uow_factory() as uow:  # what the mail intake does: lines for several tickets at once
        tickets = [get_ticket(uow, number=number) for number in (first, second)]
        add_events(uow, [EventDraft(ticket=t, kind=EventKind.MESSAGE_IN, body="re") for t in tickets])
    assert changes(watcher) == ({"ticket"}, named(backend, {first, second}))


def create_and_crash(uow_factory) -> None:
    with uow_factory() as uow:
        create_ticket(uow, subject="Never stored", queue="Support")
        raise RuntimeError("the poller crashed")


def test_a_rolled_back_ticket_write_wakes_no_one(uow_factory, staff, watcher) -> None:
    with pytest.raises(RuntimeError, match="crashed"):
        create_and_crash(uow_factory)
    assert watcher.wait(0.3) == set()


def test_a_signal_naming_too_many_tickets_names_none(uow_factory, staff, watcher, backend) -> None:
    with uow_factory() as uow:
        signal_change(uow, "ticket", range(1, MAX_PAYLOAD_IDS + 2))
    assert changes(watcher) == ({"ticket"}, None)
    with uow_factory() as uow:
        signal_change(uow, "ticket", [7])
        signal_change(uow, "ticket", [8, 9])
    assert changes(watcher) == ({"ticket"}, named(backend, {7, 8, 9}))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "payload",
    ["²", "٣", "1" * 5000, "7,,8", "-1", " 7", "7\n"],
    ids=["sup2", "arabic", "huge", "empty", "neg", "sp", "nl"],
)
def test_a_malformed_payload_is_ignored_and_the_watcher_stays(
    uow_factory, staff, watcher, payload, caplog
) -> None:
    """Any role may NOTIFY: '²' passed the digit check, int() then raised, and every console's watcher
    dropped its connection and reconnected (everything reported changed). Now that notification is
    ignored, logged once, and the genuine one sent with it names its ticket."""
    from sqlalchemy import text

    connection = watcher._connection
    for _ in range(2):
        with uow_factory() as uow:
            uow.session.execute(text("SELECT pg_notify('hotline_ticket', :p)"), {"p": payload})
            signal_change(uow, "ticket", [7])
        assert changes(watcher) == ({"ticket"}, frozenset({7}))
    assert watcher._connection is connection
    assert [r.message for r in caplog.records if "malformed" in r.message] == [
        "ignored a malformed notification on hotline_ticket"
    ]


def test_the_relay_line_of_a_malformed_payload_is_refused() -> None:
    """The console's side of the relay read its numbers with the same check ('²' raised there too)."""
    from hotline.core.relay import decode_change

    assert decode_change(b"ticket \xc2\xb2\n") is None
    assert decode_change("ticket ²\n".encode()) is None
    assert decode_change(b"ticket " + b"1" * 5000 + b"\n") is None
    assert decode_change(b"ticket 7,8\n") == ("ticket", frozenset({7, 8}))
    assert decode_change(b"ticket\n") == ("ticket", None)
