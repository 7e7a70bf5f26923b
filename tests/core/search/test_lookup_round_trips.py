"""On PostgreSQL a keystroke's lookup is one statement after its transaction opens with the planner
settings: counted on the wire from libpq's own protocol trace (every round trip ends with the server's
``ReadyForQuery``), so psycopg's ``BEGIN`` and the ``ROLLBACK`` are in the count too."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hotline.core.db import UnitOfWork
from hotline.core.search import lookup


@pytest.fixture
def wire(engine: Engine) -> Iterator[Callable[[], Any]]:
    """``counting()``: a context yielding a dict that gets the block's round trips and statements."""
    if engine.dialect.name != "postgresql":
        pytest.skip("round trips are a PostgreSQL matter (SQLite runs in-process)")
    import psycopg

    trace = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the fixture ends
    statements = [0]
    traced: list[Any] = []

    def start_trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        traced.append(dbapi_connection.pgconn)

    def count(*_args: Any) -> None:
        statements[0] += 1

    def round_trips() -> int:
        for pgconn in traced:
            pgconn.untrace()  # libpq buffers its trace: this writes it out
        traced.clear()
        trace.seek(0)
        return sum(1 for line in trace if b"\tReadyForQuery\t" in line)

    @contextmanager
    def counting() -> Iterator[dict[str, int]]:
        engine.dispose()  # fresh connections, each traced from its first message (no pool ping either)
        figures: dict[str, int] = {}
        before, executed = round_trips(), statements[0]
        yield figures
        figures["round trips"] = round_trips() - before
        figures["statements"] = statements[0] - executed

    event.listen(engine, "connect", start_trace)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counting
    finally:
        event.remove(engine, "connect", start_trace)
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
        trace.close()


@pytest.mark.parametrize(("query", "found"), [("Кузнецов", 3), ("Куз", 4), ("kuz", 4), ("Ку", 4)])
def test_a_one_word_lookup_is_three_round_trips(
    engine: Engine, wire, add_client, query: str, found: int
) -> None:
    for number in range(3):
        add_client(first_name="Иван", last_name="Кузнецов", emails=[f"kuz{number}@mail.ru"], phones=[])
    add_client(first_name="Пётр", last_name="Кузьмин", phones=["+7 495 926-37-81"])
    with wire() as figures, UnitOfWork(engine, readonly=True) as uow:
        hits = lookup(uow.session, query, default_region="RU")
    assert len(hits) == found
    # BEGIN with the planner settings; the candidates with their lines (and the weak email matches);
    # the ROLLBACK that ends the read-only unit. Before: BEGIN, the settings, five or six statements.
    assert figures == {"round trips": 3, "statements": 1}


def test_a_two_word_lookup_adds_only_the_full_text_match(engine: Engine, wire, add_client) -> None:
    add_client(first_name="Иван", last_name="Кузнецов", phones=["+7 495 926-37-81"])
    add_client(first_name="Пётр", last_name="Кузнецов")
    with wire() as figures, UnitOfWork(engine, readonly=True) as uow:
        hits = lookup(uow.session, "кузнецов иван", default_region="RU")
    assert [hit.title for hit in hits] == ["Иван Кузнецов"]
    assert hits[0].subtitle == "+74959263781"
    # BEGIN with the settings; both full-text matches (whole words, then prefixes); the lines; ROLLBACK.
    assert figures == {"round trips": 4, "statements": 2}


def test_settings_ride_with_begin_only_when_the_lookup_opens_the_unit(
    engine: Engine, wire, add_client
) -> None:
    add_client(first_name="Иван", last_name="Кузнецов")
    with wire() as figures, UnitOfWork(engine, readonly=True) as uow:
        uow.session.connection().exec_driver_sql("SELECT 1")  # the unit began before the lookup
        hits = lookup(uow.session, "кузнецов", default_region="RU")
        assert uow.session.connection().exec_driver_sql("SHOW enable_seqscan").scalar_one() == "off"
    assert len(hits) == 1
    # BEGIN; SELECT 1; the settings on their own; the lookup; SHOW; ROLLBACK.
    assert figures == {"round trips": 6, "statements": 4}
