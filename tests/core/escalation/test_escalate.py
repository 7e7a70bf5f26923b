"""Escalation runs on SQLite and PostgreSQL: each rule kind, levels, idempotence, dry run, validation."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import ConfigError
from hotline.core.escalation.run import run_escalation
from hotline.core.escalation.validate import validate_against_db
from hotline.core.models import AuditEntry, EscalationStep, Operator, Queue, Ticket, TicketEvent
from hotline.core.models.enums import TicketStatus
from hotline.core.models.sla import TicketSla
from hotline.core.services.tickets import update_ticket
from tests.conftest import SENDING

from .world import counts, load, msk, new_ticket, populate, setup_from_toml


@pytest.fixture
def world(engine, clock):
    populate(engine, clock)
    return setup_from_toml()


def only(setup, *names):
    setup.rules = [rule for rule in setup.rules if rule.name in names]
    return setup


def run(engine, setup, *when, dry_run=False):
    return run_escalation(engine, setup=setup, clock=FixedClock(msk(*when)), dry_run=dry_run)


def events_of(engine, number):
    with UnitOfWork(engine, readonly=True) as uow:
        ticket_id = uow.session.execute(select(Ticket.id).where(Ticket.number == number)).scalar_one()
        return [
            (e.kind, e.body)
            for e in uow.session.execute(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            ).scalars()
        ]


def test_first_response_overdue_applies_all_actions_once(engine, clock, world) -> None:
    only(world, "first response overdue")
    number = new_ticket(engine, clock, world)
    assert run(engine, world, 2026, 11, 23, 10, 59) == []  # due at 11:00
    steps = run(engine, world, 2026, 11, 23, 11, 0)
    assert [(s.ticket, s.rule, s.level) for s in steps] == [(number, "first response overdue", "step#1")]
    ticket = load(engine, number)
    assert ticket.priority == "high"
    assert ticket.version == 2
    with UnitOfWork(engine, readonly=True) as uow:
        boss = uow.session.execute(select(Operator).where(Operator.login == "boss")).scalar_one()
        assert ticket.assignee_id == boss.id
        audit = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "ticket.escalate")
        ).scalars()
        assert [a.entity_id for a in audit] == [str(number)]
    kinds = [kind for kind, _ in events_of(engine, number)]
    assert kinds.count("escalation") == 2  # the notice and the event
    assert "priority" in kinds and "assignment" in kinds
    before = counts(engine)
    assert run(engine, world, 2026, 11, 23, 12, 0) == []  # a second run applies nothing new
    assert counts(engine) == before


def test_responded_tickets_are_not_overdue(engine, clock, world) -> None:
    only(world, "first response overdue")
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, actor_login="ivan", clock=FixedClock(msk(2026, 11, 23, 10, 30))) as uow:
        from hotline.core.services.tickets import reply_ticket

        reply_ticket(uow, number=number, expected_version=None, body="on it", sla=world, sending=SENDING)
    assert run(engine, world, 2026, 11, 23, 15, 0) == []


def test_levels_warn_escalate_again(engine, clock, world) -> None:
    only(world, "resolution 80", "resolution 100", "resolution 200")
    number = new_ticket(engine, clock, world)  # 8h: due Tuesday 10:00
    # 80 % of 8h = 6h24m: Monday 10:00 → 17:24
    assert run(engine, world, 2026, 11, 23, 17, 23) == []
    assert [s.rule for s in run(engine, world, 2026, 11, 23, 17, 24)] == ["resolution 80"]
    assert [s.rule for s in run(engine, world, 2026, 11, 24, 10, 0)] == ["resolution 100"]
    assert load(engine, number).priority == "urgent"
    # 200 % = 16h: Wednesday 10:00
    assert run(engine, world, 2026, 11, 25, 9, 59) == []
    again = run(engine, world, 2026, 11, 25, 10, 0)
    assert [(s.rule, s.level) for s in again] == [("resolution 200", "again#1")]
    with UnitOfWork(engine, readonly=True) as uow:
        escalated = uow.session.execute(select(Queue.id).where(Queue.name == "Escalated")).scalar_one()
    assert load(engine, number).queue_id == escalated


def test_a_late_first_run_applies_every_level_at_once(engine, clock, world) -> None:
    only(world, "resolution 80", "resolution 100", "resolution 200")
    new_ticket(engine, clock, world)
    steps = run(engine, world, 2026, 12, 1, 12, 0)
    assert [s.level for s in steps] == ["warn#1", "escalate#1", "again#1"]


def test_pending_tickets_do_not_use_resolution_time_but_can_wait_too_long(engine, clock, world) -> None:
    only(world, "resolution 100", "pending long")
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, actor_login="ivan", clock=FixedClock(msk(2026, 11, 23, 11, 0))) as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.PENDING, sla=world)
    assert run(engine, world, 2026, 11, 26, 10, 59) == []  # paused; 3 days not yet passed
    steps = run(engine, world, 2026, 11, 26, 11, 0)
    assert [s.rule for s in steps] == ["pending long"]
    assert "→ ivan" in steps[0].changes


def test_idle_counts_business_hours_and_ignores_escalation_activity(engine, clock, world) -> None:
    only(world, "idle", "first response overdue")
    number = new_ticket(engine, clock, world)  # Monday 10:00
    # 4 business hours after Monday 10:00 is 15:00 (lunch break)
    steps = run(engine, world, 2026, 11, 23, 14, 59)
    assert [s.rule for s in steps] == ["first response overdue"]
    assert [s.rule for s in run(engine, world, 2026, 11, 23, 15, 0)] == ["idle"]
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.session.get(TicketSla, load(engine, number).id)
        assert row.last_activity_at == msk(2026, 11, 23, 10, 0)


def test_dry_run_writes_nothing_and_tells_what_it_would_do(engine, clock, world) -> None:
    number = new_ticket(engine, clock, world)
    before = counts(engine)
    version = load(engine, number).version
    planned = run(engine, world, 2026, 11, 24, 12, 0, dry_run=True)
    assert {s.rule for s in planned} >= {"first response overdue", "resolution 100"}
    assert counts(engine) == before
    assert load(engine, number).version == version
    applied = run(engine, world, 2026, 11, 24, 12, 0)
    assert [(s.ticket, s.rule, s.level) for s in applied] == [(s.ticket, s.rule, s.level) for s in planned]


def test_tickets_without_sla_state_get_it_from_their_creation(engine, clock, world) -> None:
    only(world, "first response overdue")
    number = new_ticket(engine, clock, world)
    with UnitOfWork(engine, clock=clock) as uow:  # as a bulk import would leave it
        ticket = uow.session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        uow.session.delete(uow.session.get(TicketSla, ticket.id))
        ticket.first_response_due_at = ticket.resolution_due_at = None
    steps = run(engine, world, 2026, 11, 23, 11, 0)
    assert [s.ticket for s in steps] == [number]
    assert load(engine, number).resolution_due_at == msk(2026, 11, 24, 10, 0)


def test_concurrent_runs_apply_each_step_once(engine, clock, world) -> None:
    only(world, "first response overdue", "resolution 100")
    numbers = [new_ticket(engine, clock, world, subject=f"t{i}") for i in range(20)]
    results: list[list] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(run(engine, world, 2026, 11, 24, 12, 0))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    applied = sorted((s.ticket, s.rule) for result in results for s in result)
    assert applied == sorted((n, r) for n in numbers for r in ("first response overdue", "resolution 100"))
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(uow.session.execute(select(EscalationStep)).all()) == 40


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ('queue = "Nowhere"\nwhen = "resolution_overdue"\nactions = ["event"]', "unknown queue 'Nowhere'"),
        ('when = "resolution_overdue"\nactions = ["queue:Limbo"]', "unknown queue 'Limbo'"),
        ('when = "resolution_overdue"\nactions = ["assign:ghost"]', "operator 'ghost'"),
        ('when = "resolution_overdue"\nactions = ["notify:nobody"]', "operator 'nobody'"),
    ],
)
def test_rules_naming_unknown_queues_or_operators_are_rejected(engine, clock, world, rule, reason) -> None:
    setup = setup_from_toml(f'[[escalation]]\nname = "bad one"\n{rule}\n', source="/etc/hotline.toml")
    with pytest.raises(ConfigError) as caught, UnitOfWork(engine, readonly=True) as uow:
        validate_against_db(uow, setup=setup)
    assert str(caught.value).startswith("/etc/hotline.toml: escalation[0] (rule 'bad one')")
    assert reason in str(caught.value)


def test_supervisor_needs_one(engine, clock) -> None:
    setup = setup_from_toml(
        '[[escalation]]\nname = "s"\nwhen = "idle >= 1h"\nactions = ["assign:supervisor"]\n'
    )
    with pytest.raises(ConfigError, match="no active supervisor"), UnitOfWork(engine, readonly=True) as uow:
        validate_against_db(uow, setup=setup)


def test_sla_policies_naming_unknown_queues_are_rejected(engine, clock, world) -> None:
    setup = setup_from_toml(
        '[calendars.office]\ntimezone = "UTC"\nhours = { mon = "09:00-18:00" }\n'
        '[[sla]]\nqueue = "Sales"\ncalendar = "office"\nfirst_response = "1h"\nresolution = "8h"\n',
        source="c.toml",
    )
    with (
        pytest.raises(ConfigError, match=r"c.toml: sla\[0\] \(Sales/\*\): unknown queue 'Sales'"),
        UnitOfWork(engine, readonly=True) as uow,
    ):
        validate_against_db(uow, setup=setup)


def test_backfill_uses_the_organisation_contract_and_pending_state(engine, clock, world) -> None:
    from hotline.core.escalation.backfill import backfill_sla
    from hotline.core.models import Client

    with UnitOfWork(engine, clock=clock) as uow:
        acme = uow.session.execute(select(Client).where(Client.name == "Acme")).scalar_one()
        now = clock.now()
        person = Client(name="Worker of Acme", organisation_id=acme.id, created_at=now, updated_at=now)
        uow.session.add(person)
    number = new_ticket(engine, clock, world, client="Worker of Acme")
    pending = new_ticket(engine, clock, world, subject="waiting")
    with UnitOfWork(engine, clock=clock) as uow:  # as a bulk import would leave them
        for ticket in uow.session.execute(select(Ticket)).scalars():
            uow.session.delete(uow.session.get(TicketSla, ticket.id))
            ticket.first_response_due_at = ticket.resolution_due_at = None
            if ticket.number == pending:
                ticket.status = "pending"
    with UnitOfWork(engine, clock=clock) as uow:
        assert backfill_sla(uow, setup=world) == 2
    gold = load(engine, number)
    assert gold.first_response_due_at == msk(2026, 11, 23, 10, 30)  # Acme's gold contract
    assert gold.resolution_due_at == msk(2026, 11, 23, 15, 0)
    waiting = load(engine, pending)
    assert waiting.resolution_due_at is None  # paused while pending
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.session.get(TicketSla, waiting.id)
        assert row.paused_at == row.pending_since == waiting.updated_at
        assert uow.session.get(TicketSla, gold.id).policy == "Support/*/gold"


def test_a_run_overlapping_an_uncommitted_one_waits_and_applies_nothing_twice(engine, clock, world) -> None:
    from hotline.core.escalation.run import escalate_once

    only(world, "first response overdue")
    numbers = [new_ticket(engine, clock, world, subject=f"t{i}") for i in range(5)]
    late = FixedClock(msk(2026, 11, 23, 12, 0))
    first = UnitOfWork(engine, clock=late)
    first.__enter__()
    try:
        applied_by_first = escalate_once(first, setup=world)
        second: list = []
        thread = threading.Thread(
            target=lambda: second.append(run_escalation(engine, setup=world, clock=late))
        )
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive()  # waiting on the first run's claims (write lock / unique index)
    finally:
        first.__exit__(None, None, None)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert sorted(s.ticket for s in applied_by_first) == numbers
    assert second == [[]]


def test_tickets_opened_before_any_policy_adopt_one_when_it_appears(engine, clock, world) -> None:
    from hotline.core.escalation.backfill import backfill_sla
    from hotline.core.sla.policy import SlaSetup

    bare = SlaSetup(rules=[r for r in world.rules if r.name == "idle"])
    number = new_ticket(engine, clock, bare)  # no policy configured yet: state without one (idle works)
    with UnitOfWork(engine, clock=clock) as uow:
        assert backfill_sla(uow, setup=bare) == 0
    assert load(engine, number).resolution_due_at is None
    with UnitOfWork(engine, clock=clock) as uow:
        assert backfill_sla(uow, setup=world) == 1
    ticket = load(engine, number)
    assert ticket.first_response_due_at == msk(2026, 11, 23, 11, 0)
    assert ticket.resolution_due_at == msk(2026, 11, 24, 10, 0)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.get(TicketSla, ticket.id).policy == "Support/*"
