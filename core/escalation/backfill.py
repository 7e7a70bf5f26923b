"""SLA state for open tickets written without it (bulk imports, demo data), in bulk.

One query finds them with what choosing a policy needs (queue, priority, the client's or its
organisation's contract level); the clocks are computed in Python from each ticket's creation (the
calendars cache their days) and written with executemany statements. Tickets whose state has no policy
(none matched when they were opened) get one as soon as the configuration has one for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, or_, select, update
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


def _candidates(uow: UnitOfWork, *, with_policyless: bool) -> list[Any]:
    person, organisation = aliased(Client), aliased(Client)
    own_group, org_group = aliased(ClientGroup), aliased(ClientGroup)
    missing = S.c.ticket_id.is_(None)
    query = (
        select(
            T.c.id,
            T.c.status,
            T.c.priority,
            T.c.created_at,
            T.c.updated_at,
            Queue.name,  # type: ignore[arg-type]
            func.coalesce(own_group.contract_level, org_group.contract_level),
            S.c.ticket_id,
            S.c.clock_started_at,
            S.c.pending_since,
        )
        .select_from(T)
        .outerjoin(S, S.c.ticket_id == T.c.id)
        .join(Queue, Queue.id == T.c.queue_id)  # type: ignore[arg-type]
        .outerjoin(person, person.id == T.c.client_id)  # type: ignore[arg-type]
        .outerjoin(own_group, own_group.id == person.group_id)  # type: ignore[arg-type]
        .outerjoin(organisation, organisation.id == person.organisation_id)  # type: ignore[arg-type]
        .outerjoin(org_group, org_group.id == organisation.group_id)  # type: ignore[arg-type]
        .where(or_(missing, S.c.policy == "") if with_policyless else missing, T.c.status.in_(OPEN))
        .order_by(T.c.id)
    )
    return list(uow.session.execute(query).all())


def _policy_fields(policy: SlaPolicyConfig | None) -> dict[str, Any]:
    return {
        "policy": policy.label if policy else "",
        "calendar": policy.calendar if policy else "",
        "first_response_target": str(policy.first_response) if policy else "",
        "resolution_target": str(policy.resolution) if policy else "",
        "pause_when_pending": bool(policy and policy.pause_when_pending),
    }


def backfill_sla(uow: UnitOfWork, *, setup: SlaSetup) -> int:
    """Give open tickets without SLA state their clocks, counted from their creation; returns how many
    tickets got state or a policy."""
    rows = _candidates(uow, with_policyless=bool(setup.policies))
    if not rows:
        return 0
    policies: dict[tuple[str, str, str | None], SlaPolicyConfig | None] = {}
    new_states: list[dict[str, Any]] = []
    adopted: list[dict[str, Any]] = []
    due_times: list[dict[str, Any]] = []
    for ticket_id, status, priority, created, updated, queue, contract, existing, started, since in rows:
        key = (queue, priority, contract)
        if key not in policies:
            policies[key] = setup.resolve(queue=queue, priority=priority, contract=contract)
        policy = policies[key]
        if existing is not None and policy is None:
            continue  # still no policy for it
        pending = status == "pending"
        paused = pending and policy is not None and policy.pause_when_pending
        clock_start: datetime = started if existing is not None else created
        pending_since = (since or updated) if pending else None
        fields = {**_policy_fields(policy), "paused_at": pending_since if paused else None}
        if existing is None:
            new_states.append(
                {
                    "ticket_id": ticket_id,
                    **fields,
                    "clock_started_at": clock_start,
                    "pending_since": pending_since,
                    "last_activity_at": updated,
                    "cycle": 1,
                }
            )
        else:
            adopted.append({"ticket": ticket_id, **{f"new_{name}": value for name, value in fields.items()}})
        calendar = setup.calendar(policy.calendar if policy else "")
        due_times.append(
            {
                "ticket": ticket_id,
                "first_due": calendar.add_duration(created, policy.first_response) if policy else None,
                "resolution_due": (
                    calendar.add_duration(clock_start, policy.resolution) if policy and not paused else None
                ),
            }
        )
    _write(uow, new_states, adopted, due_times)
    return len(due_times)


def _write(
    uow: UnitOfWork,
    new_states: list[dict[str, Any]],
    adopted: list[dict[str, Any]],
    due_times: list[dict[str, Any]],
) -> None:
    connection = uow.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # another run may be filling the same tickets at this moment (PostgreSQL): its rows win
    add_state = insert(S).on_conflict_do_nothing(index_elements=["ticket_id"])
    adopt = (
        update(S)
        .where(S.c.ticket_id == bindparam("ticket"), S.c.policy == "")
        .values({name: bindparam(f"new_{name}") for name in (*_policy_fields(None), "paused_at")})
    )
    set_due = (
        update(T)
        .where(T.c.id == bindparam("ticket"))
        .values(first_response_due_at=bindparam("first_due"), resolution_due_at=bindparam("resolution_due"))
    )
    for start in range(0, len(new_states), CHUNK):
        connection.execute(add_state, new_states[start : start + CHUNK])
    for start in range(0, len(adopted), CHUNK):
        connection.execute(adopt, adopted[start : start + CHUNK])
    for start in range(0, len(due_times), CHUNK):
        connection.execute(set_due, due_times[start : start + CHUNK])
