"""The steps every ticket operation is made of: a line in the chronology, a move to another status.

Internal to core. ``add_event`` appends one line and applies what that line implies (an operator's
message out or call is the first response and opens a new ticket; a client's message in reopens a done
ticket or takes a pending one back to open); ``move_status`` moves a ticket along the lifecycle with its
line and its SLA clocks. Neither checks a version nor records the operation's audit entry: the public
operations (create, changes, texts) do that around them, and the mail intake service calls them for
what the poller takes in. Faces never call them (tests/test_write_boundary.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotline.core.enums import DONE_STATUSES, EventKind, TicketStatus
from hotline.core.models import Ticket, TicketEvent
from hotline.core.services.audit import record_audit
from hotline.core.services.tickets.vocabulary import check_transition
from hotline.core.sla import tracking
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

RESPONSE_KINDS = (EventKind.MESSAGE_OUT, EventKind.CALL)
"""Events by an operator that count as the first response."""
ACTIVITY_FREE_KINDS = (EventKind.ESCALATION,)
"""Events that do not count as activity (so escalation never resets "idle")."""
CLIENT_RETURNS_FROM = (TicketStatus.PENDING, *DONE_STATUSES)
"""Statuses a client's message takes a ticket out of (back to open)."""


def add_event(
    uow: UnitOfWork,
    *,
    ticket: Ticket,
    kind: EventKind,
    body: str = "",
    data: dict[str, Any] | None = None,
    message_id: str | None = None,
    author: str | None = None,
    sla: SlaSetup | None = None,
) -> TicketEvent:
    """Append a line to the ticket's chronology; the author is the actor unless named (a mail sender)."""
    now = uow.now()
    actor = uow.actor
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind.value,
        author_id=actor.id if actor and author is None else None,
        author=author if author is not None else uow.actor_name,
        body=body,
        data=data or {},
        message_id=message_id,
        created_at=now,
    )
    uow.session.add(event)
    ticket.updated_at = now
    uow.session.add(ticket)
    uow.session.flush()
    if kind not in ACTIVITY_FREE_KINDS:
        tracking.touch(uow, ticket=ticket)
    if kind in RESPONSE_KINDS and author is None and actor is not None:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.status == TicketStatus.NEW.value:
            move_status(uow, ticket, TicketStatus.OPEN, sla=sla)
    elif kind is EventKind.MESSAGE_IN and ticket.status in CLIENT_RETURNS_FROM:
        _client_returns(uow, ticket, sla=sla)
    uow.session.add(ticket)
    uow.session.flush()
    return event


def _client_returns(uow: UnitOfWork, ticket: Ticket, *, sla: SlaSetup | None) -> None:
    """A client wrote to a pending or done ticket: it is open again, a change of its own (audited)."""
    before = ticket.status
    move_status(uow, ticket, TicketStatus.OPEN, sla=sla)
    ticket.version += 1
    record_audit(
        uow,
        action="ticket.reopen" if before != TicketStatus.PENDING.value else "ticket.client_replied",
        entity="ticket",
        entity_id=ticket.number,
        before={"status": before},
        after={"status": ticket.status},
    )


def add_change_line(uow: UnitOfWork, ticket: Ticket, kind: EventKind, old: str, new: str) -> None:
    """The chronology line of a field going from ``old`` to ``new`` (status, priority)."""
    add_event(uow, ticket=ticket, kind=kind, body=f"{old} → {new}", data={"from": old, "to": new})


def move_status(
    uow: UnitOfWork, ticket: Ticket, status: TicketStatus, *, sla: SlaSetup | None = None
) -> None:
    """Move ``ticket`` to ``status`` if the lifecycle allows it (``InvalidInput`` otherwise), with its
    chronology line, its SLA clocks (paused, resumed or restarted) and its resolved/closed times."""
    current = TicketStatus(ticket.status)
    check_transition(ticket.number, current, status)
    now = uow.now()
    add_change_line(uow, ticket, EventKind.STATUS, current.value, status.value)
    ticket.status = status.value
    tracking.status_changed(uow, ticket=ticket, old=current.value, new=status.value, sla=sla or SlaSetup())
    if status is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status is TicketStatus.CLOSED:
        ticket.closed_at = now
    elif status is TicketStatus.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None
