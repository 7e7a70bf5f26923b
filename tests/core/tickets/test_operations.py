"""Every change of a ticket is one operation that checks the version the person saw, writes its change,
bumps the version and records an audit entry, all in one unit of work — on SQLite and PostgreSQL.

For each operation (note, reply, status, priority, queue, assign, take, subject): a stale version is
refused with ``Conflict`` and nothing at all is written; the current version is accepted, the change is
made, the version goes up by exactly one and one audit entry names the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.core.db import UnitOfWork
from hotline.core.errors import Conflict, InvalidInput
from hotline.core.models import AuditEntry, Operator, OutboxMessage, Queue, Ticket, TicketEvent
from hotline.core.models.enums import Priority, TicketStatus
from hotline.core.models.sla import TicketSla
from hotline.core.services.tickets import (
    add_note,
    assign_ticket,
    change_priority,
    change_queue,
    change_status,
    change_subject,
    reply_ticket,
    take_ticket,
)
from tests.conftest import SENDING
from tests.core.escalation.world import load, new_ticket, populate, setup_from_toml

Operation = Callable[[UnitOfWork, int, "int | None", Any], object]


@dataclass(frozen=True)
class Case:
    call: Operation
    action: str
    made: Callable[[dict[str, Any]], bool]
    """Whether the state after shows the change."""


CASES: dict[str, Case] = {
    "note": Case(
        lambda uow, n, v, sla: add_note(uow, number=n, expected_version=v, body=" Called back. ", sla=sla),
        "ticket.note",
        lambda s: s["last_event"] == ("note", "Called back."),
    ),
    "reply": Case(
        lambda uow, n, v, sla: reply_ticket(
            uow, number=n, expected_version=v, body="On our way.", sla=sla, sending=SENDING
        ),
        "ticket.reply",
        lambda s: s["outbox"] == 1 and "message_out" in s["kinds"],
    ),
    "status": Case(
        lambda uow, n, v, sla: change_status(
            uow, number=n, expected_version=v, status=TicketStatus.PENDING, sla=sla
        ),
        "ticket.update",
        lambda s: s["status"] == "pending" and s["paused"],
    ),
    "priority": Case(
        lambda uow, n, v, sla: change_priority(
            uow, number=n, expected_version=v, priority=Priority.URGENT, sla=sla
        ),
        "ticket.update",
        lambda s: s["priority"] == "urgent" and s["last_event"] == ("priority", "normal → urgent"),
    ),
    "queue": Case(
        lambda uow, n, v, sla: change_queue(uow, number=n, expected_version=v, queue="Escalated", sla=sla),
        "ticket.update",
        lambda s: s["queue"] == "Escalated",
    ),
    "assign": Case(
        lambda uow, n, v, sla: assign_ticket(
            uow, number=n, expected_version=v, assignee_login="boss", sla=sla
        ),
        "ticket.update",
        lambda s: s["assignee"] == "boss",
    ),
    "take": Case(
        lambda uow, n, v, sla: take_ticket(uow, number=n, expected_version=v, sla=sla),
        "ticket.update",
        lambda s: s["assignee"] == "ivan",
    ),
    "subject": Case(
        lambda uow, n, v, sla: change_subject(uow, number=n, expected_version=v, subject="Printer\n fixed?"),
        "ticket.update",
        lambda s: s["subject"] == "Printer fixed?",
    ),
}


@pytest.fixture
def sla(engine, clock):
    populate(engine, clock)
    return setup_from_toml()


def state(engine, number: int) -> dict[str, Any]:
    """Everything an operation could write about ticket ``number``."""
    with UnitOfWork(engine, readonly=True) as uow:
        session = uow.session
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        events = session.execute(
            select(TicketEvent.kind, TicketEvent.body)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        ).all()
        clocks = session.get(TicketSla, ticket.id)
        login = session.get(Operator, ticket.assignee_id).login if ticket.assignee_id else None
        return {
            "version": ticket.version,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue": session.get(Queue, ticket.queue_id).name,
            "assignee": login,
            "subject": ticket.subject,
            "updated_at": ticket.updated_at,
            "first_response_at": ticket.first_response_at,
            "due": (ticket.first_response_due_at, ticket.resolution_due_at),
            "last_event": tuple(events[-1]),
            "kinds": [kind for kind, _ in events],
            "audit": session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(number))
            ).scalar_one(),
            "outbox": session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one(),
            "paused": clocks is not None and clocks.paused_at is not None,
            "clock": None if clocks is None else (clocks.clock_started_at, clocks.last_activity_at),
        }


def audit_entries(engine, number: int) -> list[AuditEntry]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(
            uow.session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(number))
                .order_by(AuditEntry.id)
            ).scalars()
        )


@pytest.mark.parametrize("name", list(CASES))
def test_a_stale_version_is_refused_and_nothing_is_written(engine, clock, sla, name) -> None:
    number = new_ticket(engine, clock, sla)
    seen = load(engine, number).version
    with UnitOfWork(engine, actor_login="boss", clock=clock) as uow:  # someone else, meanwhile
        change_priority(uow, number=number, expected_version=seen, priority=Priority.HIGH, sla=sla)
    before = state(engine, number)
    assert before["version"] == seen + 1
    with (
        pytest.raises(Conflict, match="changed by someone else"),
        UnitOfWork(engine, actor_login="ivan", clock=clock) as uow,
    ):
        CASES[name].call(uow, number, seen, sla)
    assert state(engine, number) == before


@pytest.mark.parametrize("name", list(CASES))
def test_the_current_version_is_changed_audited_and_bumped(engine, clock, sla, name) -> None:
    number = new_ticket(engine, clock, sla)
    before = state(engine, number)
    with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        CASES[name].call(uow, number, before["version"], sla)
    after = state(engine, number)
    assert CASES[name].made(after), after
    assert after["version"] == before["version"] + 1
    assert after["audit"] == before["audit"] + 1
    entry = audit_entries(engine, number)[-1]
    assert (entry.action, entry.actor, entry.entity) == (CASES[name].action, "ivan", "ticket")


@pytest.mark.parametrize("name", [name for name in CASES if name != "take"])
def test_the_system_may_skip_the_check(engine, clock, sla, name) -> None:
    """Cron and the mail poller act on the ticket as it is now (``expected_version=None``)."""
    number = new_ticket(engine, clock, sla)
    before = state(engine, number)
    with UnitOfWork(engine, clock=clock) as uow:
        CASES[name].call(uow, number, None, sla)
    after = state(engine, number)
    assert CASES[name].made(after), after
    assert after["version"] == before["version"] + 1
    assert audit_entries(engine, number)[-1].actor == "system"


def test_only_an_operator_can_take_a_ticket(engine, clock, sla) -> None:
    number = new_ticket(engine, clock, sla)
    before = state(engine, number)
    with pytest.raises(InvalidInput, match="only an operator"), UnitOfWork(engine, clock=clock) as uow:
        take_ticket(uow, number=number, expected_version=None, sla=sla)
    assert state(engine, number) == before


def test_a_change_to_what_it_already_is_writes_nothing(engine, clock, sla) -> None:
    number = new_ticket(engine, clock, sla)
    before = state(engine, number)
    with UnitOfWork(engine, actor_login="ivan", clock=clock) as uow:
        change_priority(
            uow, number=number, expected_version=before["version"], priority=Priority.NORMAL, sla=sla
        )
        change_queue(uow, number=number, expected_version=before["version"], queue="Support", sla=sla)
        assign_ticket(uow, number=number, expected_version=before["version"], assignee_login=None, sla=sla)
    assert state(engine, number) == before


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda uow, n: add_note(uow, number=n, expected_version=None, body=" \n ", sla=None),
            "a note needs",
        ),
        (
            lambda uow, n: reply_ticket(
                uow, number=n, expected_version=None, body="", sla=None, sending=SENDING
            ),
            "a reply needs",
        ),
        (
            lambda uow, n: change_subject(uow, number=n, expected_version=None, subject="\t "),
            "needs a subject",
        ),
    ],
)
def test_empty_text_and_impossible_moves_are_bad_input(engine, clock, sla, call, message) -> None:
    number = new_ticket(engine, clock, sla)
    before = state(engine, number)
    with (
        pytest.raises(InvalidInput, match=message),
        UnitOfWork(engine, actor_login="ivan", clock=clock) as uow,
    ):
        call(uow, number)
    assert state(engine, number) == before
