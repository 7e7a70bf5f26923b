"""On PostgreSQL a keystroke's lookup is one statement after its transaction opens with the planner
settings: counted on the wire from libpq's own protocol trace (every round trip ends with the server's
``ReadyForQuery``), so psycopg's ``BEGIN`` and the ``ROLLBACK`` are in the count too."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from hotline.core.db import UnitOfWork
from hotline.core.search import lookup


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
