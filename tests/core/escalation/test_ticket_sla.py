"""Ticket lifecycle with SLA clocks, on SQLite and PostgreSQL: due times, pause, reopen, transitions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import Conflict, InvalidInput
from hotline.core.models import OutboxMessage
from hotline.core.models.enums import EventKind, Priority, TicketStatus
from hotline.core.models.sla import TicketSla
from hotline.core.services.tickets import (
    add_event,
    get_ticket,
    list_tickets,
    reply_ticket,
    ticket_detail,
    update_ticket,
)
from tests.conftest import SENDING

from .world import load, msk, new_ticket, populate, setup_from_toml


@pytest.fixture
def world(engine, clock):
    populate(engine, clock)
    return setup_from_toml()


def test_due_times_follow_policy_and_calendar(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    ticket = load(engine, number)
    # Monday 10:00 + 1h; + 8h with lunch 13-14 and closing 18:00 = Tuesday 10:00
    assert ticket.first_response_due_at == msk(2026, 11, 23, 11, 0)
    assert ticket.resolution_due_at == msk(2026, 11, 24, 10, 0)


def test_client_contract_level_overrides_the_policy(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world, client="Acme")
    ticket = load(engine, number)
    assert ticket.first_response_due_at == msk(2026, 11, 23, 10, 30)
    assert ticket.resolution_due_at == msk(2026, 11, 23, 15, 0)


def test_ticket_numbers_are_consecutive(engine, clock, world) -> None:
    numbers = [new_ticket(engine, clock, world, subject=f"t{i}") for i in range(3)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_pending_pauses_the_resolution_clock(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    clock_at = FixedClock(msk(2026, 11, 23, 11, 0))  # one business hour used
    with UnitOfWork(engine, actor_login="ivan", clock=clock_at) as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.PENDING, sla=world)
    paused = load(engine, number)
    assert paused.resolution_due_at is None
    later = FixedClock(msk(2026, 11, 25, 10, 0))  # two days later the client answers
    with UnitOfWork(engine, clock=later) as uow:
        ticket = get_ticket(uow, number=number)
        add_event(
            uow, ticket=ticket, kind=EventKind.MESSAGE_IN, body="here you go", author="c@x.org", sla=world
        )
    resumed = load(engine, number)
    assert resumed.status == "open"
    # 7 business hours left from Wednesday 10:00: 10-13, 14-18 → Wednesday 18:00
    assert resumed.resolution_due_at == msk(2026, 11, 25, 18, 0)


def test_reply_is_first_response_and_goes_to_the_outbox(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        reply_ticket(
            uow, number=number, expected_version=None, body="We are on it.", sla=world, sending=SENDING
        )
    ticket = load(engine, number)
    assert ticket.first_response_at == clock.now()
    assert ticket.status == "open"
    with UnitOfWork(engine, readonly=True) as uow:
        mail = uow.session.execute(select(OutboxMessage)).scalar_one()
        assert mail.to_addrs == ["client@example.org"]
        assert f"[#{number}]" in mail.subject
        assert mail.status == "pending"


def test_client_reply_reopens_a_resolved_ticket_with_a_new_cycle(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.OPEN, sla=world)
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.RESOLVED, sla=world)
    assert load(engine, number).resolved_at is not None
    later = FixedClock(msk(2026, 11, 26, 12, 0))
    with UnitOfWork(engine, clock=later) as uow:
        ticket = get_ticket(uow, number=number)
        add_event(
            uow, ticket=ticket, kind=EventKind.MESSAGE_IN, body="still broken", author="c@x.org", sla=world
        )
    reopened = load(engine, number)
    assert reopened.status == "open"
    assert reopened.resolved_at is None
    # Thursday 12:00 + 8h: 12-13, 14-18, Friday 09-12
    assert reopened.resolution_due_at == msk(2026, 11, 27, 12, 0)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.get(TicketSla, reopened.id).cycle == 2


def test_transitions_and_optimistic_lock(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.CLOSED, sla=world)
    with (
        pytest.raises(InvalidInput, match="cannot go from closed to pending"),
        UnitOfWork(engine, actor_login="ivan", clock=clock) as uow,
    ):
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.PENDING, sla=world)
    version = load(engine, number).version
    with pytest.raises(Conflict), UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        update_ticket(uow, number=number, expected_version=version - 1, priority=Priority.HIGH, sla=world)


def test_list_and_describe(engine, clock, world) -> None:
    first = new_ticket(engine, clock, world, subject="slow", client="Пётр Иванов")
    second = new_ticket(engine, clock, world, subject="fast", client="Acme")
    with UnitOfWork(engine, readonly=True) as uow:
        tickets = list_tickets(uow, queue="Support")
        assert [t.number for t in tickets] == [second, first]  # the gold one is due first
        described = [ticket_detail(uow, number=t.number).as_json() for t in tickets]
    assert described[0]["client"]["name"] == "Acme"
    assert described[1]["client"]["name"] == "Пётр Иванов"
    assert described[0]["first_response_due_at"].endswith("+00:00")
    assert described[0]["events"][0]["kind"] == "note"
    assert described[0]["events"][0]["attachments"] == []


def test_priority_change_reconsiders_the_policy(engine, clock, world) -> None:
    from hotline.core.sla.config import SlaPolicyConfig

    world.policies = [
        *world.policies,
        SlaPolicyConfig(
            queue="Support", priority="urgent", calendar="office", first_response="15m", resolution="2h"
        ),
    ]
    number = new_ticket(engine, clock, world)
    later = FixedClock(msk(2026, 11, 23, 10, 30))
    with UnitOfWork(engine, actor_login="ivan", clock=later) as uow:
        update_ticket(uow, number=number, expected_version=None, priority=Priority.URGENT, sla=world)
    ticket = load(engine, number)
    # the clocks keep their start (Monday 10:00); the targets are the urgent ones
    assert ticket.first_response_due_at == msk(2026, 11, 23, 10, 15)
    assert ticket.resolution_due_at == msk(2026, 11, 23, 12, 0)
