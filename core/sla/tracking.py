"""Keeping a ticket's SLA clocks: started on creation, paused while pending, restarted on reopening.

The ticket services call these; each works on the ticket in the unit of work and its ``ticket_sla`` row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotline.core.models import Queue, Ticket
from hotline.core.models.sla import TicketSla
from hotline.core.sla.policy import SlaSetup, target

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from hotline.core.db import UnitOfWork
    from hotline.core.sla.config import SlaPolicyConfig


def contract_of(
    uow: UnitOfWork, ticket: Ticket, queue: str | None, zone: ZoneInfo | None = None
) -> str | None:
    """The level that chooses the ticket's policy: the client's contract active on the (local) day the
    ticket was opened (covering its queue), else the client's group's label."""
    from hotline.core.services.contracts import contract_level_of

    return contract_level_of(uow, ticket.client_id, at=ticket.created_at, queue=queue, zone=zone)


def sla_row(uow: UnitOfWork, ticket: Ticket) -> TicketSla | None:
    return uow.session.get(TicketSla, ticket.id)


def start_clocks(
    uow: UnitOfWork, *, ticket: Ticket, sla: SlaSetup, start: datetime | None = None, fresh: bool = False
) -> TicketSla:
    """Choose the ticket's policy and start its clocks at ``start`` (default now); sets the due times.
    ``fresh``: the ticket was created in this unit of work, so it has no clocks row to look up yet."""
    start = start or uow.now()
    queue = uow.session.get(Queue, ticket.queue_id)
    policy = sla.resolve(
        queue=queue.name if queue else "",
        priority=ticket.priority,
        contract=contract_of(uow, ticket, queue.name if queue else None, sla.zone),
    )
    row = None if fresh else sla_row(uow, ticket)
    if row is None:
        row = TicketSla(ticket_id=ticket.id, clock_started_at=start, last_activity_at=start)
    for key, value in clock_values(policy, start=start).items():
        setattr(row, key, value)
    row.last_activity_at = max(row.last_activity_at, start)
    uow.session.add(row)
    _set_due_times(ticket, row, sla)
    return row


def clock_values(policy: SlaPolicyConfig | None, *, start: datetime) -> dict[str, Any]:
    """A clocks row's columns for ``policy`` started at ``start`` (running, not paused): what
    ``start_clocks`` sets, and a new ticket's row as ``create_tickets`` inserts it."""
    return {
        "policy": policy.label if policy else "",
        "calendar": policy.calendar if policy else "",
        "first_response_target": str(policy.first_response) if policy else "",
        "resolution_target": str(policy.resolution) if policy else "",
        "pause_when_pending": bool(policy and policy.pause_when_pending),
        "clock_started_at": start,
        "paused_at": None,
    }


def due_times(
    sla: SlaSetup,
    *,
    created_at: datetime,
    calendar: str,
    first_response_target: str,
    resolution_target: str,
    clock_started_at: datetime,
    paused: bool,
) -> tuple[datetime | None, datetime | None]:
    """The first-response and resolution due times of a ticket whose clocks stand so."""
    business = sla.calendar(calendar)
    first, resolution = target(first_response_target), target(resolution_target)
    return (
        business.add_duration(created_at, first) if first else None,
        business.add_duration(clock_started_at, resolution) if resolution and not paused else None,
    )


def _set_due_times(ticket: Ticket, row: TicketSla, sla: SlaSetup) -> None:
    ticket.first_response_due_at, ticket.resolution_due_at = due_times(
        sla,
        created_at=ticket.created_at,
        calendar=row.calendar,
        first_response_target=row.first_response_target,
        resolution_target=row.resolution_target,
        clock_started_at=row.clock_started_at,
        paused=row.paused_at is not None,
    )


def reconsider_policy(uow: UnitOfWork, *, ticket: Ticket, sla: SlaSetup) -> None:
    """After a change of priority or queue: the policy may differ; the clocks keep their start."""
    row = sla_row(uow, ticket)
    if row is None:
        start_clocks(uow, ticket=ticket, sla=sla, start=ticket.created_at)
        return
    started, paused = row.clock_started_at, row.paused_at
    start_clocks(uow, ticket=ticket, sla=sla, start=started)
    row.paused_at = paused
    _set_due_times(ticket, row, sla)


def touch(uow: UnitOfWork, *, ticket: Ticket) -> None:
    """A person acted on the ticket (a message, a note, a change): it is not idle."""
    row = sla_row(uow, ticket)
    if row is not None:
        row.last_activity_at = uow.now()
        uow.session.add(row)


def status_changed(uow: UnitOfWork, *, ticket: Ticket, old: str, new: str, sla: SlaSetup) -> None:
    """Pause on pending (when the policy says so), resume on leaving it, restart on reopening."""
    now = uow.now()
    row = sla_row(uow, ticket)
    if row is None:
        if not sla.policies:
            return  # no clocks yet: the next escalation run starts them from the ticket's creation
        row = start_clocks(uow, ticket=ticket, sla=sla, start=ticket.created_at)
    calendar = sla.calendar(row.calendar)
    if old == "pending" and row.paused_at is not None:
        used = calendar.elapsed(row.clock_started_at, row.paused_at)
        row.clock_started_at = calendar.add(now, -used)
        row.paused_at = None
    if new == "pending":
        row.pending_since = now
        if row.pause_when_pending:
            row.paused_at = now
    else:
        row.pending_since = None
    if old in ("resolved", "closed") and new in ("new", "open", "pending"):
        row.cycle += 1
        row.clock_started_at = now
        if new == "pending" and row.pause_when_pending:
            row.paused_at = now
    row.last_activity_at = now
    uow.session.add(row)
    _set_due_times(ticket, row, sla)
