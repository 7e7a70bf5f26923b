"""On PostgreSQL a keystroke's lookup is one statement after its transaction opens with the planner
settings: counted on the wire from libpq's own protocol trace (every round trip ends with the server's
``ReadyForQuery``), so psycopg's ``BEGIN`` and the ``ROLLBACK`` are in the count too.

Reached directly, a connection prepares each lookup statement the first time it sends it (one more
round trip, once) and keeps its plan; the counts below are of a console's next keystrokes, on the
connection its pool kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.search import lookup
from hotline.core.settings import DatabaseSettings


def _looked_up_before(engine: Engine, query: str) -> None:
    """A keystroke earlier on the pooled connection: its statements are prepared there."""
    with UnitOfWork(engine, readonly=True) as uow:
        lookup(uow.session, query, default_region="RU")


@pytest.mark.parametrize(("query", "found"), [("Кузнецов", 3), ("Куз", 4), ("kuz", 4), ("Ку", 4)])
def test_a_one_word_lookup_is_three_round_trips(
    engine: Engine, wire, add_client, query: str, found: int
) -> None:
    for number in range(3):
        add_client(first_name="Иван", last_name="Кузнецов", emails=[f"kuz{number}@mail.ru"], phones=[])
    add_client(first_name="Пётр", last_name="Кузьмин", phones=["+7 495 926-37-81"])
    engine.dispose()
    _looked_up_before(engine, query)
    with wire(fresh=False) as figures, UnitOfWork(engine, readonly=True) as uow:
        hits = lookup(uow.session, query, default_region="RU")
    assert len(hits) == found
    # BEGIN with the planner settings; the candidates with their lines (and the weak email matches);
    # the ROLLBACK that ends the read-only unit. Before: BEGIN, the settings, five or six statements.
    assert figures == {"round trips": 3, "statements": 1}


def test_a_two_word_lookup_adds_only_the_full_text_match(engine: Engine, wire, add_client) -> None:
    add_client(first_name="Иван", last_name="Кузнецов", phones=["+7 495 926-37-81"])
    add_client(first_name="Пётр", last_name="Кузнецов")
    engine.dispose()
    _looked_up_before(engine, "кузнецов иван")
    with wire(fresh=False) as figures, UnitOfWork(engine, readonly=True) as uow:
        hits = lookup(uow.session, "кузнецов иван", default_region="RU")
    assert [hit.title for hit in hits] == ["Иван Кузнецов"]
    assert hits[0].subtitle == "+74959263781"
    # BEGIN with the settings; both full-text matches (whole words, then prefixes); the lines; ROLLBACK.
    assert figures == {"round trips": 4, "statements": 2}


def test_settings_ride_with_begin_only_when_the_lookup_opens_the_unit(
    engine: Engine, wire, add_client
) -> None:
    add_client(first_name="Иван", last_name="Кузнецов")
    engine.dispose()
    _looked_up_before(engine, "кузнецов")
    with wire(fresh=False) as figures, UnitOfWork(engine, readonly=True) as uow:
        uow.session.connection().exec_driver_sql("SELECT 1")  # the unit began before the lookup
        hits = lookup(uow.session, "кузнецов", default_region="RU")
        assert uow.session.connection().exec_driver_sql("SHOW enable_seqscan").scalar_one() == "off"
    assert len(hits) == 1
    # BEGIN; SELECT 1; the settings on their own; the lookup; SHOW; ROLLBACK.
    assert figures == {"round trips": 6, "statements": 4}


def test_a_connection_prepares_a_lookup_statement_once(engine: Engine, wire, add_client) -> None:
    add_client(first_name="Иван", last_name="Кузнецов", phones=["+7 495 926-37-81"])
    add_client(first_name="Пётр", last_name="Кузнецов")
    with wire() as figures:
        for _ in range(3):
            with UnitOfWork(engine, readonly=True) as uow:
                lookup(uow.session, "кузнецов иван", default_region="RU")
    # The first keystroke prepares its two statements (a round trip each), the next ones only run them.
    assert figures == {"round trips": 6 + 4 + 4, "statements": 6}
    with UnitOfWork(engine, readonly=True) as uow:
        kept = (
            uow.session.connection()
            .exec_driver_sql("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
            .all()
        )
    assert len(kept) == 2
    # Planned once, generically: the planner settings make every plan index-driven whatever the values.
    assert all(generic >= 1 and custom == 0 for generic, custom in kept)


def test_nothing_is_prepared_behind_a_transaction_pooler(
    engine: Engine, database_url: str, add_client: Callable[..., Any]
) -> None:
    """The next transaction may run on a server connection that never saw a prepared statement."""
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL matter")
    add_client(first_name="Иван", last_name="Кузнецов")
    pooled = make_engine(
        database_url, database=DatabaseSettings(pooler="transaction", listen_url=database_url)
    )
    try:
        for _ in range(3):
            with UnitOfWork(pooled, readonly=True) as uow:
                assert lookup(uow.session, "кузнецов ива", default_region="RU")
                prepared = (
                    uow.session.connection()
                    .exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
                    .scalar_one()
                )
                assert prepared == 0
    finally:
        pooled.dispose()
