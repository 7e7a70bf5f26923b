"""Screen pops on SQLite and PostgreSQL: live only while young, shown by every console of the operator,
taken by the first, missed when none showed them; the change signal wakes a watcher."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from hotline.core.changes import CHANNELS, ChangeWatcher, signal_change
from hotline.core.clock import FixedClock
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models.enums import ClientKind
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import set_operator_active
from hotline.core.services.screen_pop import (
    caller_of,
    callers_of,
    dismiss_missed_call,
    live_screen_pops,
    missed_calls,
    request_screen_pop,
    screen_pop_taker,
    take_screen_pops,
)

MAX_AGE = 30.0


def test_a_pop_is_live_for_every_console_and_taken_by_the_first(uow_factory, staff) -> None:
    with uow_factory() as uow:
        pop_id = request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67").id
    with pytest.raises(NotFound), uow_factory() as uow:
        request_screen_pop(uow, operator_login="nobody", number="123")
    with uow_factory("olga") as uow:
        assert screen_pop_taker(uow, pop_id=pop_id) is None
        first = live_screen_pops(uow, operator_login="olga", max_age_seconds=MAX_AGE)
        take_screen_pops(uow, pop_ids=[pop.id for pop in first], console="console A")
    with uow_factory("olga") as uow:
        # The second console, open since before the ring, still sees it; the first keeps having taken it.
        second = live_screen_pops(uow, operator_login="olga", max_age_seconds=MAX_AGE, shown=set())
        take_screen_pops(uow, pop_ids=[pop.id for pop in second], console="console B")
        assert [pop.number for pop in first] == [pop.number for pop in second] == ["+7 916 123 45 67"]
        assert screen_pop_taker(uow, pop_id=pop_id) == "console A"
        assert live_screen_pops(uow, operator_login="olga", max_age_seconds=MAX_AGE, shown={pop_id}) == []
        assert missed_calls(uow, operator_login="olga", max_age_seconds=MAX_AGE, default_region="RU") == []


def test_a_pop_for_a_deactivated_operator_is_refused_not_lost_in_silence(uow_factory, staff) -> None:
    """No console of hers opens (the login is refused): a pop queued for her would ring nowhere."""
    with uow_factory() as uow:
        set_operator_active(uow, login="olga", active=False)
    with pytest.raises(InvalidInput, match="operator 'olga' is deactivated"), uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67")
    with uow_factory(readonly=True) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM screen_pop")).scalar_one() == 0


def test_a_console_opened_after_another_took_the_call_does_not_ring_again(uow_factory, staff, clock) -> None:
    with uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number="89161234567")
    with uow_factory("olga") as uow:
        pops = live_screen_pops(uow, operator_login="olga", max_age_seconds=MAX_AGE)
        take_screen_pops(uow, pop_ids=[pop.id for pop in pops], console="console A")
    later = FixedClock(clock.now() + timedelta(seconds=5))
    with uow_factory("olga", later) as uow:
        assert (
            live_screen_pops(
                uow, operator_login="olga", max_age_seconds=MAX_AGE, console_started_at=later.now()
            )
            == []
        )


def test_an_old_pop_is_never_live_and_is_a_missed_call_until_done(uow_factory, staff, clock) -> None:
    rang = FixedClock(clock.now() - timedelta(minutes=4, seconds=43))
    with uow_factory(None, rang) as uow:
        pop_id = request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67").id
    with uow_factory("olga") as uow:
        assert live_screen_pops(uow, operator_login="olga", max_age_seconds=MAX_AGE) == []
        # A longer configured age makes the same pop live again: the setting decides.
        assert len(live_screen_pops(uow, operator_login="olga", max_age_seconds=600)) == 1
        missed = missed_calls(uow, operator_login="olga", max_age_seconds=MAX_AGE, default_region="RU")
        assert [(call.pop_id, call.number, call.client_id) for call in missed] == [
            (pop_id, "+7 916 123 45 67", None)
        ]
        assert missed[0].requested_at == rang.now()
    with pytest.raises(NotFound), uow_factory("sue") as uow:
        dismiss_missed_call(uow, pop_id=pop_id)  # not his call
    with uow_factory("olga") as uow:
        dismiss_missed_call(uow, pop_id=pop_id)
    with uow_factory("olga") as uow:
        assert missed_calls(uow, operator_login="olga", max_age_seconds=MAX_AGE, default_region="RU") == []


def test_a_shared_number_has_every_owner_organisation_first(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        # The persons are created first: the organisation comes first by its kind, not by its id.
        petrov = create_client(
            uow, draft=ClientDraft(name="Petrov", phones=["+7 495 700-00-01"]), default_region="RU"
        ).id
        office = create_client(
            uow,
            draft=ClientDraft(name="Romashka LLC", kind=ClientKind.ORGANISATION, phones=["+74957000001"]),
            default_region="RU",
        ).id
        sidorov = create_client(
            uow,
            draft=ClientDraft(name="Sidorov", phones=["8 (495) 700-00-01"], organisation_id=office),
            default_region="RU",
        ).id
        create_client(uow, draft=ClientDraft(name="Other", phones=["+7 495 700-00-02"]), default_region="RU")
    with uow_factory("olga", readonly=True) as uow:
        owners = callers_of(uow, number="84957000001", default_region="RU")
        assert [client.id for client in owners] == [office, petrov, sidorov]
        assert owners[0].kind == "organisation"
        first = caller_of(uow, number="+7 495 700 00 01", default_region="RU")
        assert first is not None and first.id == office
        assert [c.name for c in callers_of(uow, number="+74957000002", default_region="RU")] == ["Other"]
        assert callers_of(uow, number="+74950000000", default_region="RU") == []
        assert callers_of(uow, number="not a number", default_region="RU") == []


def test_the_watcher_wakes_on_a_committed_pop_and_reminder(engine, uow_factory, staff) -> None:
    watcher = ChangeWatcher(engine)
    try:
        assert watcher.wait(0.05) == set()

        def ring() -> None:
            time.sleep(0.2)
            with uow_factory() as uow:
                request_screen_pop(uow, operator_login="olga", number="89161234567")

        ringer = threading.Thread(target=ring)
        started = time.monotonic()
        ringer.start()
        changed: set[str] = set()
        while "screen_pop" not in changed and time.monotonic() - started < 10:
            changed |= watcher.wait(0.5)
        ringer.join()
        assert "screen_pop" in changed
        with uow_factory() as uow:
            signal_change(uow, "reminder")
        changed = set()
        deadline = time.monotonic() + 10
        while "reminder" not in changed and time.monotonic() < deadline:
            changed |= watcher.wait(0.5)
        assert changed == {"reminder"}
        with uow_factory() as uow, pytest.raises(ValueError, match="unknown change channel"):
            signal_change(uow, "weather")
    finally:
        watcher.close()


def ring_and_die(uow_factory) -> None:
    with uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number="89161234567")
        raise RuntimeError("the PBX script died")


def test_a_rolled_back_pop_wakes_no_one(engine, uow_factory, staff) -> None:
    watcher = ChangeWatcher(engine)
    try:
        with pytest.raises(RuntimeError, match="died"):
            ring_and_die(uow_factory)
        assert watcher.wait(0.3) == set()
    finally:
        watcher.close()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_listening_connection_comes_back_after_it_is_lost(backend, engine, uow_factory, staff) -> None:
    watcher = ChangeWatcher(engine)
    try:
        listener_pid = watcher._connection.info.backend_pid
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener_pid})
        changed: set[str] = set()
        deadline = time.monotonic() + 10
        while changed != set(CHANNELS) and time.monotonic() < deadline:
            changed |= watcher.wait(0.2)
        assert changed == set(CHANNELS), "after a reconnect everything may have changed"
        assert watcher._connection.info.backend_pid != listener_pid
        with uow_factory() as uow:
            request_screen_pop(uow, operator_login="olga", number="89161234567")
        changed = set()
        while "screen_pop" not in changed and time.monotonic() < deadline:
            changed |= watcher.wait(0.2)
        assert "screen_pop" in changed
    finally:
        watcher.close()


@pytest.mark.parametrize("number", ["+7 916\x1b[2J 123", "+7\x07916", "1" + "x" * 120])
def test_a_pop_for_a_number_with_escapes_or_too_long_is_refused(uow_factory, staff, number: str) -> None:
    """``call incoming`` stored the escape sequence for every console to show, and a number over the
    column's 100 characters was kept on SQLite but a database error on PostgreSQL: both are exit 2 now."""
    with pytest.raises(InvalidInput, match="at most 100 printable characters"), uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number=number)
    with uow_factory(readonly=True) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM screen_pop")).scalar_one() == 0
