"""A ticket's next SLA deadline: one rule, written once as data and read two ways.

The rule: a done (resolved or closed) ticket has none; while there is no first response and there is a
first-response deadline, that one; otherwise the resolution deadline (which the clocks leave empty while
the ticket is paused). ``NEXT_DEADLINE`` states it; ``next_deadline`` reads it for a ticket in hand and
``next_deadline_sql`` turns it into a SQL expression that listings sort and filter on. Both interpret
the same clauses, so they cannot drift apart; tests/core/sla/test_deadline.py checks that they agree on
both backends.

``next_deadline_and_clock`` adds what follows from the same rule: when the clock behind it started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, case, null, true, type_coerce

from hotline.core.enums import DONE_STATUSES
from hotline.core.models import Ticket
from hotline.core.models.types import UTCDateTime


class DeadlineFacts(Protocol):
    """What the rule reads: a ``Ticket`` has it, so does anything shaped like one."""

    status: str
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


@dataclass(frozen=True)
class Clause:
    """When every condition holds, the deadline is the ``deadline`` field (None: there is none)."""

    deadline: str | None
    status_in: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    present: tuple[str, ...] = ()

    def holds(self, ticket: DeadlineFacts) -> bool:
        if self.status_in and ticket.status not in self.status_in:
            return False
        for name in self.missing:
            if getattr(ticket, name) is not None:
                return False
        return all(getattr(ticket, name) is not None for name in self.present)

    def condition(self) -> ColumnElement[bool]:
        columns = Ticket.__table__.c  # type: ignore[attr-defined]
        parts: list[ColumnElement[bool]] = []
        if self.status_in:
            parts.append(columns.status.in_(self.status_in))
        parts.extend(columns[name].is_(None) for name in self.missing)
        parts.extend(columns[name].is_not(None) for name in self.present)
        return and_(true(), *parts)


NEXT_DEADLINE: tuple[Clause, ...] = (
    Clause(None, status_in=tuple(status.value for status in DONE_STATUSES)),
    Clause("first_response_due_at", missing=("first_response_at",), present=("first_response_due_at",)),
    Clause("resolution_due_at"),
)
"""The first clause that holds decides; the last holds always."""


def deciding_clause(ticket: DeadlineFacts) -> Clause:
    """The clause of ``NEXT_DEADLINE`` that decides for ``ticket``."""
    for clause in NEXT_DEADLINE:
        if clause.holds(ticket):
            return clause
    raise AssertionError("the last clause of NEXT_DEADLINE holds always")


def next_deadline(ticket: DeadlineFacts) -> datetime | None:
    """The next SLA deadline of ``ticket`` (None: none, or done)."""
    clause = deciding_clause(ticket)
    return getattr(ticket, clause.deadline) if clause.deadline else None


def next_deadline_sql() -> ColumnElement[datetime]:
    """The same rule as a SQL expression over the ``ticket`` table, read back as an aware datetime."""
    columns = Ticket.__table__.c  # type: ignore[attr-defined]

    def value(clause: Clause) -> Any:
        return columns[clause.deadline] if clause.deadline else null()

    *guarded, otherwise = NEXT_DEADLINE
    expression = case(*((clause.condition(), value(clause)) for clause in guarded), else_=value(otherwise))
    return type_coerce(expression, UTCDateTime)


def next_deadline_and_clock(
    ticket: DeadlineFacts, *, created_at: datetime, sla_clock_started_at: datetime | None
) -> tuple[datetime | None, datetime]:
    """The next deadline and when the clock behind it started: the ticket's creation while the first
    response is what is due (or there are no clocks yet), else the SLA clock's start (moved on by
    pauses) — for "how much of the target is left"."""
    clause = deciding_clause(ticket)
    due = getattr(ticket, clause.deadline) if clause.deadline else None
    if clause.deadline == "first_response_due_at" or sla_clock_started_at is None:
        return due, created_at
    return due, sla_clock_started_at
