"""Rules applied by one process and by two processes at once end in the same state: every ticket gets the
same priority, tags and routing, and round-robin hands out the same number of tickets to each operator
(its cursor is taken under lock) — a property over generated subjects, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import Operator, Queue, Ticket
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.shifts import join_queue, set_shifts
from hotline.core.services.tickets import create_ticket
from tests.conftest import TEST_NOW
from tests.core.rules.conftest import book_from

RULES = """
[[rules]]
name = "routers"
on = "ticket.created"
when = { words = ["роутер", "router"] }
actions = [{ priority = "high" }, { tags = ["network"] }]

[[rules]]
name = "billing"
on = "ticket.created"
when = { words = ["счёт", "invoice"] }
stop = true
actions = [{ tags = ["billing"] }]

[[rules]]
name = "urgent"
on = "ticket.created"
when = { words = ["срочно", "urgent"] }
actions = [{ priority = "urgent" }]

[[rules]]
name = "route"
on = "ticket.created"
actions = [{ assign = "round-robin" }]

[[rules]]
name = "hot"
on = "ticket.updated"
when = { priority = ["high", "urgent"] }
actions = [{ tags = ["hot"] }]
"""
WORDS = ["роутера", "router", "счёт", "invoice", "срочно", "urgent", "принтер", "hello", "не", "работает"]
OPERATORS = ("anna", "boris", "olga")


def _create(url: str, queue: str, subjects: list[tuple[int, str]]) -> None:
    """One process's share: each ticket in its own unit of work, as the poller or a console would."""
    engine = make_engine(url)
    book = book_from(RULES)
    try:
        for index, subject in subjects:
            with UnitOfWork(engine, clock=FixedClock(TEST_NOW), rules=book) as uow:
                create_ticket(uow, subject=f"{index}: {subject}", queue=queue)
    finally:
        engine.dispose()


def _state(url: str, queue: str) -> tuple[dict[int, tuple[str, tuple[str, ...], bool]], list[int]]:
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            queue_id = uow.session.exec(select(Queue.id).where(Queue.name == queue)).one()
            tickets = uow.session.exec(select(Ticket).where(Ticket.queue_id == queue_id)).all()
            per_ticket = {
                int(t.subject.split(":")[0]): (t.priority, tuple(t.tags), t.assignee_id is not None)
                for t in tickets
            }
            loads = Counter(t.assignee_id for t in tickets if t.assignee_id is not None)
            operators = uow.session.exec(select(Operator.id).order_by(col(Operator.id))).all()
            return per_ticket, [loads.get(operator, 0) for operator in operators]
    finally:
        engine.dispose()


@pytest.fixture
def prepared(database_url):
    engine = make_engine(database_url)
    with UnitOfWork(engine, clock=FixedClock(TEST_NOW)) as uow:
        for login in OPERATORS:
            add_operator(uow, login=login, role=Role.OPERATOR)
            set_shifts(uow, login=login, days="all", hours="00:00-24:00", timezone="Europe/Moscow")
    engine.dispose()
    return database_url


_runs = Counter[str]()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subjects=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join), min_size=4, max_size=14
    )
)
def test_one_process_and_two_at_once_end_alike(prepared, subjects) -> None:
    url = prepared
    _runs[url] += 1
    alone, together = f"Alone{_runs[url]}", f"Together{_runs[url]}"
    engine = make_engine(url)
    with UnitOfWork(engine, clock=FixedClock(TEST_NOW)) as uow:
        for queue in (alone, together):
            ensure_queue(uow, name=queue)
            for login in OPERATORS:
                join_queue(uow, login=login, queue=queue)
    engine.dispose()
    numbered = list(enumerate(subjects))
    _create(url, alone, numbered)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_create, args=(url, together, numbered[part::2])) for part in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert _state(url, alone) == _state(url, together)


def test_the_comparison_can_fail(prepared) -> None:
    """Planted difference: a batch made without the rules is told apart from one made with them."""
    url = prepared
    engine = make_engine(url)
    with UnitOfWork(engine, clock=FixedClock(TEST_NOW)) as uow:
        for queue in ("Ruled", "Plain"):
            ensure_queue(uow, name=queue)
            join_queue(uow, login="anna", queue=queue)
        create_ticket(uow, subject="0: router", queue="Plain")
    engine.dispose()
    _create(url, "Ruled", [(0, "router")])
    assert _state(url, "Ruled") != _state(url, "Plain")
