"""What a card open and a call log cost the wire on PostgreSQL, and that the fused statements behind them
give what the statement-by-statement way gives (the card) and write what it writes (the call).

Counted from libpq's own protocol trace (see ``wire``): psycopg's ``BEGIN`` and the ``COMMIT`` or
``ROLLBACK`` are round trips too. The pool's connections are checked without a round trip (the socket
is looked at; a ping only after a long idle): a pooled connection whose server went away is replaced
before the unit of work gets it.
"""

from __future__ import annotations

import time
from dataclasses import fields

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from hotline.core import db
from hotline.core.db import UnitOfWork
from hotline.core.enums import Direction, Role
from hotline.core.models import AuditEntry, Client, Interaction
from hotline.core.services.clients import (
    ClientChanges,
    _card_in_one_statement,
    _card_statement_by_statement,
    client_card,
    update_client,
)
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator, set_operator_active


@pytest.fixture
def olga(uow_factory) -> str:
    with uow_factory() as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR, display_name="Ольга")
    return "olga"


@pytest.fixture
def organisation(add_client, add_ticket) -> dict[str, int]:
    """An organisation with three contact persons (one with two phones, one with none), and a person of
    it in a group with two phones, two emails, two open tickets and a closed one."""
    org = add_client(kind="organisation", name="ООО «Ромашка»", phones=["+7 495 111-22-33"])
    person = add_client(
        first_name="Иван",
        last_name="Сидоров",
        organisation_id=org,
        group="VIP",
        phones=["8 (916) 123-45-67", "+7 926 765-43-21"],
        emails=["ivan@romashka.ru", "ivan.s@mail.ru"],
        tags=["b", "a"],
    )
    add_client(first_name="Яна", last_name="Ершова", organisation_id=org, phones=[])
    add_client(first_name="Борис", last_name="Акимов", organisation_id=org, phones=["+7 903 000-00-01"])
    for number, status in ((7, "open"), (3, "closed"), (5, "pending")):
        add_ticket(number, client_id=person, status=status)
    return {"organisation": org, "person": person}


def _as_values(card) -> dict[str, object]:
    """The card with every model made into its columns, to compare two cards field by field."""

    def plain(value: object) -> object:
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value.model_dump() if hasattr(value, "model_dump") else value

    return {field.name: plain(getattr(card, field.name)) for field in fields(card)}


def test_the_one_statement_card_is_the_statement_by_statement_card(engine: Engine, organisation) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement card is PostgreSQL's")
    for client_id in (organisation["person"], organisation["organisation"]):
        with UnitOfWork(engine, readonly=True) as uow:
            fused = _card_in_one_statement(uow, client_id=client_id)
            # The models are the session's own, as loaded by the ORM.
            assert all(phone in uow.session for phone in fused.phones)
            assert all(contact in uow.session for contact in fused.contacts)
        with UnitOfWork(engine, readonly=True) as uow:
            separate = _card_statement_by_statement(uow, client_id=client_id)
        assert _as_values(fused) == _as_values(separate)
    # The last pair compared was the organisation's.
    assert [c.name for c in fused.contacts] == ["Борис Акимов", "Иван Сидоров", "Яна Ершова"]
    assert fused.contact_count == 3
    assert sorted(fused.contact_phones.values()) == [
        ["+7 903 000-00-01"],
        ["8 (916) 123-45-67", "+7 926 765-43-21"],
    ]
    with UnitOfWork(engine, readonly=True) as uow:
        card = client_card(uow, client_id=organisation["person"])
    assert card.open_ticket_numbers == [5, 7]
    assert [e.address for e in card.emails] == ["ivan@romashka.ru", "ivan.s@mail.ru"]
    assert card.group is not None and card.group.name == "VIP"
    assert card.organisation is not None and card.organisation.id == organisation["organisation"]


def test_a_card_is_one_statement_and_three_round_trips(engine: Engine, wire, organisation) -> None:
    for client_id, contacts in ((organisation["person"], 0), (organisation["organisation"], 3)):
        with wire() as figures, UnitOfWork(engine, readonly=True) as uow:
            card = client_card(uow, client_id=client_id)
        assert len(card.contacts) == contacts
        # BEGIN; the card; ROLLBACK. Before: a ping, BEGIN, five statements (six with contacts), ROLLBACK.
        assert figures == {"round trips": 3, "statements": 1}
    with (
        wire() as figures,
        UnitOfWork(engine, readonly=True) as uow,
        pytest.raises(Exception, match="no client"),
    ):
        client_card(uow, client_id=987654)
    assert figures == {"round trips": 3, "statements": 1}


def test_a_call_log_is_two_statements_and_four_round_trips(engine: Engine, wire, olga, add_client) -> None:
    client_id = add_client(first_name="Анна", last_name="Петрова", phones=["+7 916 000-00-00"])
    with wire() as figures, UnitOfWork(engine, actor_login=olga, via="console") as uow:
        call = log_call(
            uow,
            client_id=client_id,
            direction=Direction.IN,
            duration_seconds=60,
            outcome="resolved",
            notes="ok",
        )
        started = call.started_at
    # BEGIN; the client, the operator, the call's id and the PBX's record; the call, its audit entry and
    # the client's last interaction; COMMIT. Before: a ping, BEGIN, six statements, COMMIT.
    assert figures == {"round trips": 4, "statements": 2}
    with UnitOfWork(engine, readonly=True) as uow:
        stored = uow.session.get(Interaction, call.id)
        assert stored is not None and stored.notes == "ok" and stored.operator_id is not None
        entry = uow.session.exec(
            select(AuditEntry).where(AuditEntry.entity == "interaction", AuditEntry.entity_id == str(call.id))
        ).one()
        assert (entry.actor, entry.action, entry.via) == ("olga", "interaction.call", "console")
        assert entry.after == {**entry.after, "id": call.id, "client_id": client_id, "outcome": "resolved"}
        assert uow.session.get(Client, client_id).last_interaction_at == started
    # The unit that already knows its actor reads it no more; a second call in it is two statements more.
    with wire(fresh=False) as figures, UnitOfWork(engine, actor_login=olga, via="console") as uow:
        assert uow.actor is not None
        log_call(uow, client_id=client_id, direction=Direction.OUT, duration_seconds=5, outcome="no answer")
        log_call(uow, client_id=client_id, direction=Direction.OUT, duration_seconds=6, outcome="no answer")
    assert figures == {"round trips": 7, "statements": 5}


def test_the_fused_call_log_keeps_its_checks(engine: Engine, olga, add_client, uow_factory) -> None:
    client_id = add_client(first_name="Анна", last_name="Петрова")
    with pytest.raises(Exception, match="no client with id 987654"), uow_factory(olga) as uow:
        log_call(uow, client_id=987654, direction=Direction.IN, duration_seconds=1, outcome="x")
    with pytest.raises(Exception, match="unknown operator"), uow_factory("nobody") as uow:
        log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=1, outcome="x")
    with uow_factory() as uow:
        set_operator_active(uow, login=olga, active=False)
    with pytest.raises(Exception, match="deactivated"), uow_factory(olga) as uow:
        log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=1, outcome="x")
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Interaction)).all() == []
        actions = list(uow.session.exec(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-1] == "refused:interaction.write"  # who may is asked first, by the operation
        assert "interaction.call" not in actions


def test_a_later_call_moves_the_last_interaction_and_an_earlier_one_does_not(
    engine: Engine, olga, add_client, uow_factory, clock
) -> None:
    from datetime import timedelta

    client_id = add_client(first_name="Анна", last_name="Петрова")
    now = clock.now()
    for started in (now, now - timedelta(hours=1), now + timedelta(minutes=1)):
        with uow_factory(olga) as uow:
            log_call(
                uow,
                client_id=client_id,
                direction=Direction.IN,
                duration_seconds=1,
                outcome="x",
                started_at=started,
            )
        with uow_factory(readonly=True) as uow:
            assert uow.session.get(Client, client_id).last_interaction_at == max(now, started)
    # The client stays writable by the ORM after a fused call in the same unit (nothing stale is flushed).
    with uow_factory(olga) as uow:
        log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=1, outcome="x")
        update_client(uow, client_id=client_id, changes=ClientChanges(notes="called"), default_region="RU")
    with uow_factory(readonly=True) as uow:
        client = uow.session.get(Client, client_id)
        assert (client.notes, client.last_interaction_at) == ("called", now + timedelta(minutes=1))


def test_a_reused_connection_costs_no_ping_until_it_was_idle_long(
    engine: Engine, wire, add_client, monkeypatch
) -> None:
    client_id = add_client(first_name="Анна", last_name="Петрова")
    with UnitOfWork(engine, readonly=True) as uow:
        client_card(uow, client_id=client_id)
    with wire(fresh=False) as figures, UnitOfWork(engine, readonly=True) as uow:
        client_card(uow, client_id=client_id)
    assert figures["round trips"] == 3
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with wire(fresh=False) as figures, UnitOfWork(engine, readonly=True) as uow:
        client_card(uow, client_id=client_id)
    assert figures["round trips"] == 4  # the ping, outside the unit's transaction


def test_a_terminated_server_connection_is_replaced_before_the_next_unit(engine: Engine, add_client) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server connection is PostgreSQL's")
    client_id = add_client(first_name="Анна", last_name="Петрова")

    def backend_pid() -> int:
        with UnitOfWork(engine, readonly=True) as uow:
            assert client_card(uow, client_id=client_id).client.id == client_id
            return int(uow.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    pid = backend_pid()
    assert backend_pid() == pid  # pooled: the same connection
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() != (0,):
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)
    assert backend_pid() != pid  # no error: the pool saw the closed socket and connected again
    with UnitOfWork(engine) as uow:
        assert uow.session.execute(text("SELECT 1")).scalar_one() == 1
