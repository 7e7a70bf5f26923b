"""The next SLA deadline is one rule: its SQL and its Python readings agree on every ticket state, on
SQLite and PostgreSQL, and every face's listing sorts and shows by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from hotline.core.db import UnitOfWork
from hotline.core.models import Ticket
from hotline.core.models.enums import EventKind, TicketStatus
from hotline.core.services.tickets import (
    add_event,
    change_status,
    create_ticket,
    get_ticket,
    list_tickets,
    queue_tickets,
    reply_ticket,
    ticket_summary,
)
from hotline.core.sla.deadline import NEXT_DEADLINE, next_deadline, next_deadline_sql
from tests.conftest import SENDING
from tests.core.escalation.world import populate, setup_from_toml

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
R = T0 + timedelta(hours=8)  # a resolution deadline
F = T0 + timedelta(hours=1)  # a first-response deadline
A = T0 + timedelta(minutes=20)  # a first response

instants = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)).map(
        lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    ),
)

NAMED_STATES = {
    "only the resolution deadline": (("open", None, None, R), R),
    "only the first-response deadline": (("new", None, F, None), F),
    "both, no response yet": (("new", None, F, R), F),
    "responded": (("open", A, F, R), R),
    "responded, no resolution target": (("open", A, F, None), None),
    "paused (pending, resolution clock stopped)": (("pending", A, F, None), None),
    "paused before any response": (("pending", None, F, None), F),
    "resolved": (("resolved", None, F, R), None),
    "closed": (("closed", A, F, R), None),
    "no deadlines": (("open", None, None, None), None),
}


@pytest.fixture
def ticket_id(engine, clock) -> int:
    with UnitOfWork(engine, clock=clock) as uow:
        return int(create_ticket(uow, subject="rule", queue="Support", body="x").id or 0)


def _facts(status: str, first_response_at, first_response_due_at, resolution_due_at) -> SimpleNamespace:
    return SimpleNamespace(
        status=status,
        first_response_at=first_response_at,
        first_response_due_at=first_response_due_at,
        resolution_due_at=resolution_due_at,
    )


def _sql_reading(engine, ticket_id: int, state: tuple) -> datetime | None:
    status, first_response_at, first_response_due_at, resolution_due_at = state
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(
                status=status,
                first_response_at=first_response_at,
                first_response_due_at=first_response_due_at,
                resolution_due_at=resolution_due_at,
            )
        )
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.session.execute(select(next_deadline_sql()).where(Ticket.id == ticket_id)).scalar_one()


@pytest.mark.parametrize("name", list(NAMED_STATES))
def test_the_rule_names_the_next_deadline(engine, ticket_id, name) -> None:
    state, expected = NAMED_STATES[name]
    assert next_deadline(_facts(*state)) == expected
    assert _sql_reading(engine, ticket_id, state) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from([status.value for status in TicketStatus]),
    first_response_at=instants,
    first_response_due_at=instants,
    resolution_due_at=instants,
)
@example(status="open", first_response_at=None, first_response_due_at=None, resolution_due_at=R)
@example(status="new", first_response_at=None, first_response_due_at=F, resolution_due_at=None)
@example(status="pending", first_response_at=A, first_response_due_at=F, resolution_due_at=None)
def test_sql_and_python_agree(
    engine, ticket_id, status, first_response_at, first_response_due_at, resolution_due_at
) -> None:
    state = (status, first_response_at, first_response_due_at, resolution_due_at)
    python = next_deadline(_facts(*state))
    assert _sql_reading(engine, ticket_id, state) == python
    with UnitOfWork(engine, readonly=True) as uow:  # the row as the services read it
        assert next_deadline(uow.session.get(Ticket, ticket_id)) == python


def test_the_last_clause_always_holds() -> None:
    """``next_deadline_sql`` makes the last clause the CASE's ELSE: it must have no condition."""
    last = NEXT_DEADLINE[-1]
    assert not (last.status_in or last.missing or last.present)


def test_a_ticket_through_its_life_keeps_one_deadline_everywhere(engine, clock) -> None:
    """Created, answered, pending (clock paused), back to open, resolved, reopened by the client: at
    every step the Python rule, the SQL rule, the summary and the queue listing say the same."""
    populate(engine, clock)
    sla = setup_from_toml()
    with UnitOfWork(engine, clock=clock) as uow:
        number = create_ticket(
            uow, subject="life", queue="Support", requester="a@example.org", body="hi", sla=sla
        ).number
    steps = [
        lambda uow: reply_ticket(
            uow, number=number, expected_version=None, body="ok", sla=sla, sending=SENDING
        ),
        lambda uow: change_status(
            uow, number=number, expected_version=None, status=TicketStatus.PENDING, sla=sla
        ),
        lambda uow: change_status(
            uow, number=number, expected_version=None, status=TicketStatus.OPEN, sla=sla
        ),
        lambda uow: change_status(
            uow, number=number, expected_version=None, status=TicketStatus.RESOLVED, sla=sla
        ),
        lambda uow: add_event(
            uow,
            ticket=get_ticket(uow, number=number, for_update=True),
            kind=EventKind.MESSAGE_IN,
            body="still broken",
            author="a@example.org",
            sla=sla,
        ),
    ]
    seen = []
    for step in [None, *steps]:
        if step is not None:
            with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
                step(uow)
        with UnitOfWork(engine, readonly=True) as uow:
            ticket = get_ticket(uow, number=number)
            python = next_deadline(ticket)
            sql = uow.session.execute(select(next_deadline_sql()).where(Ticket.id == ticket.id)).scalar_one()
            summary = ticket_summary(uow, number=number)
            listed = {t.number: t.due_at for t in list_tickets(uow)}
            queued = {
                row.number: row.due_at
                for row in queue_tickets(
                    uow, operator_login="ivan", now=clock.now(), status=TicketStatus(ticket.status)
                ).rows
            }
        assert sql == python == summary.due_at == listed[number] == queued[number], (ticket.status, python)
        seen.append((ticket.status, python))
    assert [status for status, _ in seen] == ["new", "open", "pending", "open", "resolved", "open"]
    due = dict(enumerate(deadline for _, deadline in seen))
    assert due[0] is not None and due[1] is not None and due[0] < due[1]  # first response, then resolution
    assert due[2] is None  # paused
    assert due[4] is None  # resolved
    assert due[5] is not None  # reopened: a fresh resolution clock


def test_a_ticket_with_only_a_resolution_deadline_is_listed_by_it(engine, clock) -> None:
    """The case the three old readings disagreed on: no first-response target, a resolution one."""
    with UnitOfWork(engine, clock=clock) as uow:
        only_resolution = create_ticket(uow, subject="r", queue="Support", body="x")
        only_resolution.resolution_due_at = T0 + timedelta(hours=1)
        first_response = create_ticket(uow, subject="f", queue="Support", body="x")
        first_response.first_response_due_at = T0 + timedelta(hours=2)
        no_deadline = create_ticket(uow, subject="n", queue="Support", body="x")
        numbers = [only_resolution.number, first_response.number, no_deadline.number]
    with UnitOfWork(engine, readonly=True) as uow:
        listed = list_tickets(uow)
        queued = queue_tickets(uow, operator_login="nobody", now=T0).rows
    assert [t.number for t in listed] == numbers
    assert [t.number for t in queued] == numbers
    assert listed[0].due_at == T0 + timedelta(hours=1)
    assert listed[0].as_json()["due_at"] == "2026-11-23T08:00:00+00:00"
