"""Tickets: numbering, creation, the chronology, and changes guarded by optimistic locking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.core.models import Counter, Operator, Ticket, TicketEvent
from hotline.core.models.enums import EventKind, Priority, TicketStatus
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.services.queues import ensure_queue, get_queue

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_SUBJECT = 500

ALLOWED_TRANSITIONS: dict[TicketStatus, set[TicketStatus]] = {
    TicketStatus.NEW: {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.OPEN: {TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.PENDING: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
    TicketStatus.CLOSED: {TicketStatus.OPEN},
}


def next_number(uow: UnitOfWork, counter: str = "ticket") -> int:
    """The next value of a named counter, taken under the row's lock (no two tickets share a number)."""
    session = uow.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Counter).values(name=counter, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    return session.execute(
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def parse_priority(text: str, *, where: str = "--priority") -> Priority:
    try:
        return Priority(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown priority {text!r} (one of: {', '.join(p.value for p in Priority)})", where=where
        ) from None


def parse_status(text: str, *, where: str = "--status") -> TicketStatus:
    try:
        return TicketStatus(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown status {text!r} (one of: {', '.join(s.value for s in TicketStatus)})", where=where
        ) from None


def create_ticket(
    uow: UnitOfWork,
    *,
    subject: str,
    queue: str,
    priority: Priority = Priority.NORMAL,
    client_id: int | None = None,
    requester: str | None = None,
    body: str = "",
    assignee_login: str | None = None,
    first_event: EventKind = EventKind.NOTE,
    message_id: str | None = None,
    author: str | None = None,
) -> Ticket:
    """Open a ticket with its first event (the client's message, or the operator's note)."""
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput("a ticket needs a subject", where="subject")
    now = uow.now()
    ticket = Ticket(
        number=next_number(uow),
        subject=subject[:MAX_SUBJECT],
        status=TicketStatus.NEW.value,
        priority=priority.value,
        queue_id=ensure_queue(uow, name=queue).id,
        client_id=client_id,
        requester=requester,
        assignee_id=get_operator(uow, login=assignee_login).id if assignee_login else None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(ticket)
    uow.session.flush()
    if body or message_id:
        add_event(uow, ticket=ticket, kind=first_event, body=body, message_id=message_id, author=author)
    record_audit(
        uow, action="ticket.create", entity="ticket", entity_id=ticket.number, after=snapshot(ticket)
    )
    return ticket


def get_ticket(uow: UnitOfWork, *, number: int, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.number == number)
    if for_update:
        query = query.with_for_update()
    ticket = uow.session.exec(query).first()
    if ticket is None:
        raise NotFound(f"no ticket #{number}")
    return ticket


def add_event(
    uow: UnitOfWork,
    *,
    ticket: Ticket,
    kind: EventKind,
    body: str = "",
    data: dict[str, Any] | None = None,
    message_id: str | None = None,
    author: str | None = None,
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
    return event


def ticket_events(uow: UnitOfWork, *, ticket_id: int) -> list[TicketEvent]:
    """The whole chronology, oldest first."""
    return list(
        uow.session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.created_at, TicketEvent.id)
        )
    )


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
) -> Ticket:
    """Change a ticket's fields, each change a line of its chronology.

    ``expected_version`` is the version the operator saw; if someone changed the ticket since, this
    raises ``Conflict`` and changes nothing (``None`` skips the check: cron and the mail poller).
    """
    ticket = get_ticket(uow, number=number, for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(f"ticket #{number} was changed by someone else meanwhile (reload it and try again)")
    before = snapshot(ticket)
    if status is not None and status.value != ticket.status:
        _change_status(uow, ticket, status)
    if priority is not None and priority.value != ticket.priority:
        add_event(
            uow,
            ticket=ticket,
            kind=EventKind.PRIORITY,
            body=f"{ticket.priority} → {priority.value}",
            data={"from": ticket.priority, "to": priority.value},
        )
        ticket.priority = priority.value
    if queue is not None:
        new_queue = get_queue(uow, name=queue)
        if new_queue.id != ticket.queue_id:
            add_event(
                uow,
                ticket=ticket,
                kind=EventKind.QUEUE,
                body=f"→ {new_queue.name}",
                data={"to": new_queue.name},
            )
            ticket.queue_id = new_queue.id
    if assignee_login is not _UNCHANGED:
        _assign(uow, ticket, assignee_login)
    if subject is not None and subject.strip() and subject.strip() != ticket.subject:
        ticket.subject = " ".join(subject.split())[:MAX_SUBJECT]
    if snapshot(ticket, exclude={"updated_at"}) != {k: v for k, v in before.items() if k != "updated_at"}:
        ticket.version += 1
        ticket.updated_at = uow.now()
        uow.session.add(ticket)
        uow.session.flush()
        record_audit(
            uow,
            action="ticket.update",
            entity="ticket",
            entity_id=ticket.number,
            before=before,
            after=snapshot(ticket),
        )
    return ticket


def _change_status(uow: UnitOfWork, ticket: Ticket, status: TicketStatus) -> None:
    current = TicketStatus(ticket.status)
    if status not in ALLOWED_TRANSITIONS[current]:
        raise InvalidInput(
            f"ticket #{ticket.number} cannot go from {current.value} to {status.value}", where="status"
        )
    now = uow.now()
    add_event(
        uow,
        ticket=ticket,
        kind=EventKind.STATUS,
        body=f"{current.value} → {status.value}",
        data={"from": current.value, "to": status.value},
    )
    ticket.status = status.value
    if status is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status is TicketStatus.CLOSED:
        ticket.closed_at = now
    elif status is TicketStatus.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None


def _assign(uow: UnitOfWork, ticket: Ticket, login: str | None) -> None:
    assignee: Operator | None = get_operator(uow, login=login) if login else None
    new_id = assignee.id if assignee else None
    if new_id == ticket.assignee_id:
        return
    add_event(
        uow,
        ticket=ticket,
        kind=EventKind.ASSIGNMENT,
        body=f"→ {assignee.login if assignee else 'nobody'}",
        data={"to": assignee.login if assignee else None},
    )
    ticket.assignee_id = new_id
