"""Applying a rule's actions to the tickets a run claimed: a few UPDATEs and bulk INSERTs per rule.

Priority only ever goes up (``priority:high`` leaves an urgent ticket urgent). Every ticket touched gets
its version raised (an operator holding an older copy gets a conflict, not a silent overwrite), a line
in its chronology for each change, and an audit entry for the step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert, select, update

from hotline.core.changes import signal_change
from hotline.core.errors import ConfigError
from hotline.core.models import AuditEntry, Operator, Queue, Ticket, TicketEvent
from hotline.core.models.enums import EventKind, Priority, Role
from hotline.core.sla.config import Action, EscalationRuleConfig

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

T = Ticket.__table__  # type: ignore[attr-defined]
CHUNK = 500
INSERT_CHUNK = 5000


@dataclass
class ClaimedTicket:
    """The fields of a claimed ticket the actions need (and keep current as they change them)."""

    id: int
    number: int
    subject: str
    priority: str
    queue_id: int
    assignee_id: int | None
    cycle: int


class _SupervisedRule(Protocol):
    name: str
    supervisor: str | None


def supervisor_login(uow: UnitOfWork, rule: _SupervisedRule) -> str:
    """Whom ``supervisor`` means for a rule (escalation or event rule): its ``supervisor``, else the
    first active supervisor."""
    if rule.supervisor:
        return rule.supervisor
    login = uow.session.execute(
        select(Operator.login)  # type: ignore[arg-type]
        .where(Operator.role == Role.SUPERVISOR.value, Operator.active.is_(True))  # type: ignore[attr-defined]
        .order_by(Operator.login)
        .limit(1)
    ).scalar_one_or_none()
    if login is None:
        raise ConfigError(f"rule {rule.name!r}: there is no active supervisor to assign or notify")
    return login


def _operator(uow: UnitOfWork, rule: EscalationRuleConfig, target: str) -> Operator:
    login = supervisor_login(uow, rule) if target == "supervisor" else target
    operator = uow.session.execute(select(Operator).where(Operator.login == login)).scalar_one_or_none()
    if operator is None:
        raise ConfigError(f"rule {rule.name!r}: unknown operator {login!r}")
    return operator


def _update(uow: UnitOfWork, ids: list[int], **values: Any) -> None:
    for start in range(0, len(ids), CHUNK):
        uow.session.execute(update(T).where(T.c.id.in_(ids[start : start + CHUNK])).values(**values))


class _Batch:
    """Events and audit entries of one rule's step, inserted in bulk at the end."""

    def __init__(self, uow: UnitOfWork, rule: EscalationRuleConfig) -> None:
        self.uow, self.rule, self.now = uow, rule, uow.now()
        self.events: list[dict[str, Any]] = []
        self.changes: dict[int, list[str]] = defaultdict(list)

    def event(self, ticket: ClaimedTicket, kind: EventKind, body: str, **data: Any) -> None:
        self.events.append(
            {
                "ticket_id": ticket.id,
                "kind": kind.value,
                "author_id": None,
                "author": self.uow.actor_name,
                "body": body,
                "data": {"rule": self.rule.name, **data},
                "message_id": None,
                "created_at": self.now,
            }
        )
        self.changes[ticket.id].append(body)


def apply_actions(
    uow: UnitOfWork, *, rule: EscalationRuleConfig, tickets: list[ClaimedTicket]
) -> dict[int, list[str]]:
    """Apply every action of ``rule`` to ``tickets``; returns the changes made, per ticket id."""
    batch = _Batch(uow, rule)
    for action in rule.parsed_actions:
        _APPLY[action.kind](uow, batch, action, tickets)
    ids = [ticket.id for ticket in tickets]
    _update(uow, ids, version=T.c.version + 1, updated_at=batch.now)
    signal_change(uow, "ticket", (ticket.number for ticket in tickets))
    session = uow.session
    for start in range(0, len(batch.events), INSERT_CHUNK):
        session.execute(insert(TicketEvent.__table__), batch.events[start : start + INSERT_CHUNK])  # type: ignore[attr-defined]
    audit = [
        {
            "at": batch.now,
            "actor": uow.actor_name,
            "action": "ticket.escalate",
            "via": uow.via[:200],
            "entity": "ticket",
            "entity_id": str(ticket.number),
            "before": None,
            "after": {
                "rule": rule.name,
                "level": f"{rule.level or 'step'}#{ticket.cycle}",
                "actions": list(rule.actions),
                "changes": batch.changes.get(ticket.id, []),
            },
        }
        for ticket in tickets
    ]
    for start in range(0, len(audit), INSERT_CHUNK):
        session.execute(insert(AuditEntry.__table__), audit[start : start + INSERT_CHUNK])  # type: ignore[attr-defined]
    return dict(batch.changes)


def _priority(uow: UnitOfWork, batch: _Batch, action: Action, tickets: list[ClaimedTicket]) -> None:
    wanted = Priority(action.target)
    raised = [t for t in tickets if Priority(t.priority).rank < wanted.rank]
    _update(uow, [t.id for t in raised], priority=wanted.value)
    for ticket in raised:
        batch.event(
            ticket, EventKind.PRIORITY, f"{ticket.priority} → {wanted.value}", **{"from": ticket.priority}
        )
        ticket.priority = wanted.value


def _queue(uow: UnitOfWork, batch: _Batch, action: Action, tickets: list[ClaimedTicket]) -> None:
    queue_id = uow.session.execute(
        select(Queue.id).where(Queue.name == action.target)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if queue_id is None:
        raise ConfigError(f"rule {batch.rule.name!r}: unknown queue {action.target!r}")
    moved = [t for t in tickets if t.queue_id != queue_id]
    _update(uow, [t.id for t in moved], queue_id=queue_id)
    for ticket in moved:
        batch.event(ticket, EventKind.QUEUE, f"→ {action.target}", to=action.target)
        ticket.queue_id = queue_id


def _assign(uow: UnitOfWork, batch: _Batch, action: Action, tickets: list[ClaimedTicket]) -> None:
    from hotline.core.shifts.routing import MODES

    if action.target in MODES:
        _route(uow, batch, action.target, tickets)
        return
    operator = _operator(uow, batch.rule, action.target)
    moved = [t for t in tickets if t.assignee_id != operator.id]
    _update(uow, [t.id for t in moved], assignee_id=operator.id)
    for ticket in moved:
        batch.event(ticket, EventKind.ASSIGNMENT, f"→ {operator.login}", to=operator.login)
        ticket.assignee_id = operator.id


def _route(uow: UnitOfWork, batch: _Batch, mode: str, tickets: list[ClaimedTicket]) -> None:
    """Reassign each ticket to the next of its queue's members on shift now (round-robin or
    least-loaded); a ticket whose queue has nobody on shift keeps its assignee and says so."""
    from hotline.core.shifts.routing import pick_assignee

    for ticket in tickets:
        chosen = pick_assignee(uow, queue_id=ticket.queue_id, mode=mode, at=batch.now)
        if chosen is None:
            batch.event(ticket, EventKind.ESCALATION, f"nobody on shift to reassign to ({mode})")
            continue
        if chosen.id == ticket.assignee_id:
            continue
        _update(uow, [ticket.id], assignee_id=chosen.id)
        batch.event(ticket, EventKind.ASSIGNMENT, f"→ {chosen.login} ({mode})", to=chosen.login)
        ticket.assignee_id = chosen.id


def _notify(uow: UnitOfWork, batch: _Batch, action: Action, tickets: list[ClaimedTicket]) -> None:
    from hotline.core.escalation.notify import notify_operator

    operator = _operator(uow, batch.rule, action.target)
    how = notify_operator(uow, operator=operator, rule=batch.rule, tickets=tickets)
    for ticket in tickets:
        batch.event(ticket, EventKind.ESCALATION, f"{batch.rule.name}: {how}", notify=operator.login)


def _event(uow: UnitOfWork, batch: _Batch, action: Action, tickets: list[ClaimedTicket]) -> None:
    label = f" [{batch.rule.level}]" if batch.rule.level else ""
    for ticket in tickets:
        batch.event(
            ticket, EventKind.ESCALATION, f"escalated by {batch.rule.name!r}{label}: {batch.rule.when}"
        )


_APPLY = {"priority": _priority, "queue": _queue, "assign": _assign, "notify": _notify, "event": _event}
