"""One escalation run: claim every due step with one INSERT … SELECT, then apply the claimed ones.

The unique key of ``escalation_step`` (ticket, rule, level#cycle) is the claim: a step is applied by the
run whose INSERT created its row, in the same transaction, so two runs at the same moment (two cron
jobs, two machines on one PostgreSQL) apply each step exactly once. On SQLite the unit of work holds the
write lock from its first statement, so the second run waits and then finds nothing left to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from hotline.core.escalation.actions import ClaimedTicket, apply_actions
from hotline.core.escalation.backfill import backfill_sla
from hotline.core.escalation.selection import S, Selector, T, level_key
from hotline.core.models import EscalationStep
from hotline.core.models.types import UTCDateTime
from hotline.core.sla.config import EscalationRuleConfig
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from hotline.core.clock import Clock
    from hotline.core.db import UnitOfWork

E = EscalationStep.__table__  # type: ignore[attr-defined]
CHUNK = 500


@dataclass
class AppliedStep:
    """A step applied (or, in a dry run, that would be): what the cron log and ``--json`` show."""

    ticket: int
    subject: str
    rule: str
    level: str
    when: str
    actions: list[str]
    changes: list[str] = field(default_factory=list)
    applied_at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "subject": self.subject,
            "rule": self.rule,
            "level": self.level,
            "when": self.when,
            "actions": self.actions,
            "changes": self.changes,
            "applied_at": self.applied_at or None,  # null in a dry run: nothing was applied
        }


def _claim(uow: UnitOfWork, selector: Selector, rule: EscalationRuleConfig) -> list[int]:
    """Insert the step rows of every ticket the rule applies to; the ids of the rows this run created."""
    session = uow.session
    now = uow.now()
    candidates = (
        select(
            T.c.id,
            literal(rule.name),
            level_key(rule),
            literal(list(rule.actions), JSON),
            literal(now, UTCDateTime),
        )
        .select_from(T.join(S, S.c.ticket_id == T.c.id))
        .where(selector.predicate(rule))
        .where(
            ~select(E.c.id)
            .where(E.c.ticket_id == T.c.id, E.c.rule == rule.name, E.c.level == level_key(rule))
            .exists()
        )
        .order_by(T.c.id)
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(E)
        .from_select(["ticket_id", "rule", "level", "actions", "applied_at"], candidates)
        .on_conflict_do_nothing(index_elements=["ticket_id", "rule", "level"])
        .returning(E.c.ticket_id, E.c.level)
    )
    return sorted(row[0] for row in session.execute(statement))


def _claimed_tickets(uow: UnitOfWork, ids: list[int]) -> list[ClaimedTicket]:
    tickets: list[ClaimedTicket] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = uow.session.execute(
            select(T.c.id, T.c.number, T.c.subject, T.c.priority, T.c.queue_id, T.c.assignee_id, S.c.cycle)
            .select_from(T.join(S, S.c.ticket_id == T.c.id))
            .where(T.c.id.in_(chunk))
            .order_by(T.c.id)
        )
        tickets.extend(ClaimedTicket(*row) for row in rows)
    return tickets


def escalate_once(uow: UnitOfWork, *, setup: SlaSetup) -> list[AppliedStep]:
    """Apply every rule whose condition holds, in the order the rules are written; never commits."""
    backfill_sla(uow, setup=setup)
    selector = Selector(uow.session, setup, uow.now())
    applied: list[AppliedStep] = []
    for rule in setup.rules:
        ids = _claim(uow, selector, rule)
        if not ids:
            continue
        tickets = _claimed_tickets(uow, ids)
        changes = apply_actions(uow, rule=rule, tickets=tickets)
        stamp = uow.now().isoformat()
        for ticket in tickets:
            applied.append(
                AppliedStep(
                    ticket=ticket.number,
                    subject=ticket.subject,
                    rule=rule.name,
                    level=f"{rule.level or 'step'}#{ticket.cycle}",
                    when=rule.when,
                    actions=list(rule.actions),
                    changes=changes.get(ticket.id, []),
                    applied_at=stamp,
                )
            )
    return applied


def run_escalation(
    engine: Engine,
    *,
    setup: SlaSetup,
    clock: Clock,
    dry_run: bool = False,
    attempts: int = 3,
    via: str = "cron: hotline escalate",
) -> list[AppliedStep]:
    """One run in one transaction; a dry run does all of it and rolls back, so it writes nothing.

    A PostgreSQL deadlock or serialisation failure between two overlapping runs is retried (the steps
    already committed by the other run are then skipped).
    """
    from hotline.core.db import UnitOfWork

    for attempt in range(1, attempts + 1):
        try:
            with UnitOfWork(engine, clock=clock, readonly=dry_run, via=via) as uow:
                steps = escalate_once(uow, setup=setup)
            if dry_run:  # rolled back: none of them was applied, at any time
                for step in steps:
                    step.applied_at = ""
            return steps
        except OperationalError as error:
            code = getattr(getattr(error, "orig", None), "sqlstate", None)
            if attempt == attempts or code not in ("40P01", "40001"):
                raise
            time.sleep(0.05 * attempt)
    return []
