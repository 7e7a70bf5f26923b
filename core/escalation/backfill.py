"""SLA state for open tickets written without it (bulk imports, demo data), in bulk.

One query finds them with what choosing a policy needs (queue, priority, the client's or its
organisation's contract level); the clocks are computed in Python from each ticket's creation (the
calendars cache their days) and written with two executemany statements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from hotline.core.escalation.selection import OPEN, S, T
from hotline.core.models import Client, ClientGroup, Queue
from hotline.core.sla.config import SlaPolicyConfig
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

CHUNK = 5000


def backfill_sla(uow: UnitOfWork, *, setup: SlaSetup) -> int:
    """Give open tickets without a ``ticket_sla`` row their clocks, counted from their creation."""
    person, organisation = aliased(Client), aliased(Client)
    own_group, org_group = aliased(ClientGroup), aliased(ClientGroup)
    query = (
        select(
            T.c.id,
            T.c.status,
            T.c.priority,
            T.c.created_at,
            T.c.updated_at,
            Queue.name,  # type: ignore[arg-type]
            func.coalesce(own_group.contract_level, org_group.contract_level),
        )
        .select_from(T)
        .outerjoin(S, S.c.ticket_id == T.c.id)
        .join(Queue, Queue.id == T.c.queue_id)  # type: ignore[arg-type]
        .outerjoin(person, person.id == T.c.client_id)  # type: ignore[arg-type]
        .outerjoin(own_group, own_group.id == person.group_id)  # type: ignore[arg-type]
        .outerjoin(organisation, organisation.id == person.organisation_id)  # type: ignore[arg-type]
        .outerjoin(org_group, org_group.id == organisation.group_id)  # type: ignore[arg-type]
        .where(S.c.ticket_id.is_(None), T.c.status.in_(OPEN))
        .order_by(T.c.id)
    )
    rows = uow.session.execute(query).all()
    if not rows:
        return 0
    policies: dict[tuple[str, str, str | None], SlaPolicyConfig | None] = {}
    states: list[dict[str, Any]] = []
    due_times: list[dict[str, Any]] = []
    for ticket_id, status, priority, created, updated, queue, contract in rows:
        key = (queue, priority, contract)
        if key not in policies:
            policies[key] = setup.resolve(queue=queue, priority=priority, contract=contract)
        policy = policies[key]
        pending = status == "pending"
        paused = pending and policy is not None and policy.pause_when_pending
        calendar = setup.calendar(policy.calendar if policy else "")
        states.append(
            {
                "ticket_id": ticket_id,
                "policy": policy.label if policy else "",
                "calendar": policy.calendar if policy else "",
                "first_response_target": str(policy.first_response) if policy else "",
                "resolution_target": str(policy.resolution) if policy else "",
                "pause_when_pending": bool(policy and policy.pause_when_pending),
                "clock_started_at": created,
                "paused_at": updated if paused else None,
                "pending_since": updated if pending else None,
                "last_activity_at": updated,
                "cycle": 1,
            }
        )
        due_times.append(
            {
                "ticket": ticket_id,
                "first_due": calendar.add_duration(created, policy.first_response) if policy else None,
                "resolution_due": (
                    calendar.add_duration(created, policy.resolution) if policy and not paused else None
                ),
            }
        )
    connection = uow.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # another run may be filling the same tickets at this moment (PostgreSQL): its rows win
    add_state = insert(S).on_conflict_do_nothing(index_elements=["ticket_id"])
    set_due = (
        update(T)
        .where(T.c.id == bindparam("ticket"))
        .values(first_response_due_at=bindparam("first_due"), resolution_due_at=bindparam("resolution_due"))
    )
    for start in range(0, len(states), CHUNK):
        connection.execute(add_state, states[start : start + CHUNK])
        connection.execute(set_due, due_times[start : start + CHUNK])
    return len(states)
