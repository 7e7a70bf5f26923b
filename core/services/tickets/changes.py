"""Changing a ticket's fields: status, priority, queue, assignee, subject.

``update_ticket`` is the one operation; ``change_status``, ``change_priority``, ``change_queue``,
``assign_ticket``, ``take_ticket`` and ``change_subject`` name its common uses. Each checks the version
the person saw (``Conflict`` and nothing written when someone changed the ticket since), writes a line
of the chronology per field changed, reconsiders the SLA policy when priority or queue changed, and then
bumps the version and records one audit entry (before and after), all in the caller's unit of work. A
change to what the ticket already is writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotline.core.enums import EventKind, Priority, TicketStatus
from hotline.core.errors import InvalidInput
from hotline.core.models import Ticket
from hotline.core.rules.engine import conduct
from hotline.core.services.audit import snapshot
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import get_queue
from hotline.core.services.tickets._chronology import add_change_line, add_event, move_status
from hotline.core.services.tickets._guard import locked_ticket, record_change
from hotline.core.services.tickets.create import clean_subject
from hotline.core.sla import tracking
from hotline.core.sla.policy import SlaSetup
from hotline.core.text import MAX_TAG, checked_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

_UNCHANGED: Any = object()


def update_ticket(
    uow: UnitOfWork,
    *,
    number: int,
    expected_version: int | None,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    queue: str | None = None,
    assignee_login: str | None = _UNCHANGED,
    subject: str | None = None,
    tags: list[str] | None = None,
    sla: SlaSetup | None = None,
) -> Ticket:
    """Change any of a ticket's fields at once (None, or no ``assignee_login``: leave it as it is;
    ``assignee_login=None``: nobody).

    ``expected_version`` is the version the person saw; None skips the check (cron, the mail poller).
    """
    # Asked first, not left to the audit entry of a change: a change to what the ticket already is writes
    # nothing, and a deactivated operator's no-op (taking her own ticket from a console left open) went
    # through unrefused and unaudited, told "assigned to anna".
    uow.authorize("ticket.write", entity="ticket", entity_id=number)
    ticket = locked_ticket(uow, number=number, expected_version=expected_version)
    before = snapshot(ticket)
    policy_inputs = (ticket.priority, ticket.queue_id)
    if status is not None and status.value != ticket.status:
        move_status(uow, ticket, status, sla=sla)
    if priority is not None:
        _set_priority(uow, ticket, priority)
    if queue is not None:
        _set_queue(uow, ticket, queue)
    if assignee_login is not _UNCHANGED:
        _set_assignee(uow, ticket, assignee_login)
    if subject is not None:
        ticket.subject = clean_subject(subject)
    if tags is not None:
        ticket.tags = clean_tags(tags)
    if sla is not None and (ticket.priority, ticket.queue_id) != policy_inputs:
        tracking.reconsider_policy(uow, ticket=ticket, sla=sla)
    after = snapshot(ticket)
    changed = sorted(key for key, value in _fields(after).items() if before.get(key) != value)
    if changed:
        record_change(uow, ticket, action="ticket.update", before=before, after=after)
        conduct(uow, "ticket.updated", ticket=ticket)
    return ticket


def clean_tags(tags: list[str]) -> list[str]:
    """Tags as stored: trimmed, lower case, no blanks or repeats, sorted; one with a control character or
    over ``MAX_TAG`` characters is refused (it was cut, or stored with a NUL)."""
    folded = {" ".join(str(tag).split()).lower() for tag in tags} - {""}
    return sorted(checked_text(tag, what="a tag", at_most=MAX_TAG, where="tags") for tag in folded)


def change_status(
    uow: UnitOfWork, *, number: int, expected_version: int | None, status: TicketStatus, sla: SlaSetup | None
) -> Ticket:
    """Move the ticket along its lifecycle (``InvalidInput`` for a move it does not allow)."""
    return update_ticket(uow, number=number, expected_version=expected_version, status=status, sla=sla)


def change_priority(
    uow: UnitOfWork, *, number: int, expected_version: int | None, priority: Priority, sla: SlaSetup | None
) -> Ticket:
    """Raise or lower the priority (the SLA policy may change with it)."""
    return update_ticket(uow, number=number, expected_version=expected_version, priority=priority, sla=sla)


def change_queue(
    uow: UnitOfWork, *, number: int, expected_version: int | None, queue: str, sla: SlaSetup | None
) -> Ticket:
    """Move the ticket to another existing queue (``NotFound`` otherwise)."""
    return update_ticket(uow, number=number, expected_version=expected_version, queue=queue, sla=sla)


def assign_ticket(
    uow: UnitOfWork,
    *,
    number: int,
    expected_version: int | None,
    assignee_login: str | None,
    sla: SlaSetup | None,
) -> Ticket:
    """Give the ticket to an operator (``None``: to nobody)."""
    return update_ticket(
        uow, number=number, expected_version=expected_version, assignee_login=assignee_login, sla=sla
    )


def take_ticket(
    uow: UnitOfWork, *, number: int, expected_version: int | None, sla: SlaSetup | None
) -> Ticket:
    """Give the ticket to the acting operator."""
    if uow.actor_login is None:
        raise InvalidInput("only an operator can take a ticket", where="--operator")
    return assign_ticket(
        uow, number=number, expected_version=expected_version, assignee_login=uow.actor_login, sla=sla
    )


def change_subject(uow: UnitOfWork, *, number: int, expected_version: int | None, subject: str) -> Ticket:
    """Rename the ticket (a blank subject is refused)."""
    return update_ticket(uow, number=number, expected_version=expected_version, subject=subject)


def _fields(state: dict[str, Any]) -> dict[str, Any]:
    """What a change is judged by: everything but the time of the last touch."""
    return {key: value for key, value in state.items() if key != "updated_at"}


def _set_priority(uow: UnitOfWork, ticket: Ticket, priority: Priority) -> None:
    if priority.value == ticket.priority:
        return
    add_change_line(uow, ticket, EventKind.PRIORITY, ticket.priority, priority.value)
    ticket.priority = priority.value


def _set_queue(uow: UnitOfWork, ticket: Ticket, name: str) -> None:
    queue = get_queue(uow, name=name)
    if queue.id == ticket.queue_id:
        return
    add_event(uow, ticket=ticket, kind=EventKind.QUEUE, body=f"→ {queue.name}", data={"to": queue.name})
    ticket.queue_id = queue.id  # type: ignore[assignment]  # a stored queue has its id


def _set_assignee(uow: UnitOfWork, ticket: Ticket, login: str | None) -> None:
    assignee = get_operator(uow, login=login) if login else None
    if (assignee.id if assignee else None) == ticket.assignee_id:
        return
    add_event(
        uow,
        ticket=ticket,
        kind=EventKind.ASSIGNMENT,
        body=f"→ {assignee.login if assignee else 'nobody'}",
        data={"to": assignee.login if assignee else None},
    )
    ticket.assignee_id = assignee.id if assignee else None
