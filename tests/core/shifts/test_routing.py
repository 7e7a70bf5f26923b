"""Routing among the members on shift: round-robin is fair (1,000 tickets, 10 operators with shifts,
each on-shift operator within one of the mean), least-loaded evens out loads, and escalation reassigns
to someone on shift — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.escalation.run import run_escalation
from hotline.core.models import Operator, Ticket
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.shifts import add_exception, join_queue, set_shifts
from hotline.core.services.tickets import create_ticket
from tests.core.escalation.world import setup_from_toml
from tests.core.rules.conftest import book_from

# The shared clock: Monday 2026-11-23 10:00 in Moscow.
SHIFTS = {
    "op0": ("mon-fri", "09:00-18:00"),
    "op1": ("mon-fri", "08:00-17:00"),
    "op2": ("all", "06:00-14:00"),
    "op3": ("mon", "10:00-11:00"),
    "op4": ("sun-mon", "22:00-12:00"),  # overnight: Sunday 22:00 to Monday 12:00 — and Monday's own
    "op5": ("mon-fri", "09:00-18:00"),
    "op6": ("mon-fri", "09:30-18:30"),
    "op7": ("mon-fri", "09:00-18:00"),  # on vacation
    "op8": ("tue-sat", "09:00-18:00"),  # not working Mondays
    "op9": ("mon-fri", "14:00-23:00"),  # later today
}
ON_SHIFT = {"op0", "op1", "op2", "op3", "op4", "op5", "op6"}


@pytest.fixture
def ten_operators(uow_factory):
    with uow_factory() as uow:
        ensure_queue(uow, name="Support")
        for login, (days, hours) in SHIFTS.items():
            add_operator(uow, login=login, role=Role.OPERATOR)
            join_queue(uow, login=login, queue="Support")
            set_shifts(uow, login=login, days=days, hours=hours, timezone="Europe/Moscow")
        add_exception(
            uow, login="op7", kind="vacation", starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 30)
        )


def _route(engine, clock, mode: str, count: int) -> Counter[str]:
    book = book_from(
        f'[[rules]]\nname = "route"\non = "ticket.created"\nactions = [{{ assign = "{mode}" }}]\n'
    )
    for start in range(0, count, 100):
        with UnitOfWork(engine, clock=clock, rules=book) as uow:
            for index in range(start, min(count, start + 100)):
                create_ticket(uow, subject=f"t{index}", queue="Support")
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        rows = uow.session.exec(select(Operator.login).join(Ticket, Ticket.assignee_id == Operator.id)).all()
    return Counter(rows)


@pytest.mark.slow
def test_round_robin_over_1000_tickets_is_fair_among_those_on_shift(engine, clock, ten_operators) -> None:
    counts = _route(engine, clock, "round-robin", 1000)
    assert set(counts) == ON_SHIFT
    mean = 1000 / len(ON_SHIFT)
    assert all(abs(count - mean) <= 1 for count in counts.values()), counts


@pytest.mark.slow
def test_least_loaded_evens_out_what_people_already_have(engine, clock, ten_operators) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        for index in range(30):
            create_ticket(uow, subject=f"old {index}", queue="Support", assignee_login="op0")
    counts = _route(engine, clock, "least-loaded", 100)
    counts["op0"] -= 30
    assert set(counts) == ON_SHIFT
    # 130 open tickets over 7 people: op0 had 30 already and gets none until the others catch up.
    assert counts["op0"] == 0 and all(abs(counts[login] - 100 / 6) <= 1 for login in ON_SHIFT - {"op0"})


ESCALATION = """
[calendars.office]
timezone = "Europe/Moscow"
[calendars.office.hours]
mon = "09:00-18:00"
tue = "09:00-18:00"

[[sla]]
queue = "Support"
calendar = "office"
first_response = "1h"
resolution = "8h"

[[escalation]]
name = "overdue to whoever is on"
when = "first_response_overdue"
actions = ["assign:round-robin", "event"]
"""


def test_escalation_reassigns_to_members_on_shift(engine, clock, ten_operators) -> None:
    setup = setup_from_toml(ESCALATION)
    with UnitOfWork(engine, clock=clock) as uow:
        for index in range(9):
            create_ticket(uow, subject=f"t{index}", queue="Support", assignee_login="op9", sla=setup)
    late = FixedClock(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))  # 17:30 Moscow: op1 to op4 are off
    run_escalation(engine, setup=setup, clock=late, dry_run=False)
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        rows = uow.session.exec(select(Operator.login).join(Ticket, Ticket.assignee_id == Operator.id)).all()
    counts = Counter(rows)
    assert set(counts) == {"op0", "op5", "op6", "op9"} and sum(counts.values()) == 9
