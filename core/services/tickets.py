"""Tickets: numbering, creation, the chronology, and changes guarded by optimistic locking.

Every function takes the process's ``SlaSetup`` (``sla=``) so the ticket's SLA clocks follow its life:
started on creation, paused while pending (when the policy says so), restarted when a client's reply
reopens it, and reconsidered when its priority or queue changes. Without one the ticket gets its clocks
at the next ``hotline escalate`` run, counted from its creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.core.models import (
    Attachment,
    Client,
    ClientEmail,
    Counter,
    Operator,
    Queue,
    Ticket,
    TicketEvent,
)
from hotline.core.models.enums import EventKind, Priority, TicketStatus
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.services.outbox import enqueue_ticket_reply
from hotline.core.services.queues import ensure_queue, get_queue
from hotline.core.sla import tracking
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_SUBJECT = 500

RESPONSE_KINDS = (EventKind.MESSAGE_OUT, EventKind.CALL)
"""Events by an operator that count as the first response."""
ACTIVITY_FREE_KINDS = (EventKind.ESCALATION,)
"""Events that do not count as activity (so escalation never resets "idle")."""

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
    bump = (
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(bump).scalar_one_or_none()  # one statement once the counter exists
    if value is not None:
        return value
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Counter).values(name=counter, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    return session.execute(bump).scalar_one()


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
    sla: SlaSetup | None = None,
    queue_row: Queue | None = None,
) -> Ticket:
    """Open a ticket with its first event (the client's message, or the operator's note) and start its
    SLA clocks (first-response and resolution due times) when ``sla`` is given.

    ``queue_row``: the queue already looked up (or created) by a caller opening many tickets, such as
    the mail poller; its name must be ``queue``."""
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput("a ticket needs a subject", where="subject")
    now = uow.now()
    ticket = Ticket(
        number=next_number(uow),
        subject=subject[:MAX_SUBJECT],
        status=TicketStatus.NEW.value,
        priority=priority.value,
        queue_id=(queue_row if queue_row is not None else ensure_queue(uow, name=queue)).id,
        client_id=client_id,
        requester=requester,
        assignee_id=get_operator(uow, login=assignee_login).id if assignee_login else None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(ticket)
    uow.session.flush()
    clocks = None
    if sla is not None:
        clocks = tracking.start_clocks(uow, ticket=ticket, sla=sla, start=now, fresh=True)
    if body or message_id:
        add_event(
            uow, ticket=ticket, kind=first_event, body=body, message_id=message_id, author=author, sla=sla
        )
    uow.session.flush()
    record_audit(
        uow, action="ticket.create", entity="ticket", entity_id=ticket.number, after=snapshot(ticket)
    )
    # Kept referenced (the session's identity map is weak) so the next event's touch finds the row
    # without a query; only ever the newest ticket's, and only through session.get.
    uow.session.info["hotline.newest_clocks"] = clocks
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
    sla: SlaSetup | None = None,
) -> TicketEvent:
    """Append a line to the ticket's chronology; the author is the actor unless named (a mail sender).

    An operator's message out or call is the first response (and opens a new ticket); a client's
    message in reopens a resolved or closed ticket and takes a pending one back to open.
    """
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
            _change_status(uow, ticket, TicketStatus.OPEN, sla=sla)
    elif kind is EventKind.MESSAGE_IN and ticket.status in ("pending", "resolved", "closed"):
        before = ticket.status
        _change_status(uow, ticket, TicketStatus.OPEN, sla=sla)
        ticket.version += 1
        record_audit(
            uow,
            action="ticket.reopen" if before != "pending" else "ticket.client_replied",
            entity="ticket",
            entity_id=ticket.number,
            before={"status": before},
            after={"status": ticket.status},
        )
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
    sla: SlaSetup | None = None,
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
        _change_status(uow, ticket, status, sla=sla)
    policy_inputs = (ticket.priority, ticket.queue_id)
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
    if sla is not None and (ticket.priority, ticket.queue_id) != policy_inputs:
        tracking.reconsider_policy(uow, ticket=ticket, sla=sla)
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


def _change_status(
    uow: UnitOfWork, ticket: Ticket, status: TicketStatus, *, sla: SlaSetup | None = None
) -> None:
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
    tracking.status_changed(uow, ticket=ticket, old=current.value, new=status.value, sla=sla or SlaSetup())
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


def reply_ticket(uow: UnitOfWork, *, number: int, body: str, sla: SlaSetup | None = None) -> TicketEvent:
    """An operator's answer to the requester: a message-out event and its mail in the outbox, together."""
    body = body.strip()
    if not body:
        raise InvalidInput("a reply needs a body", where="--body")
    ticket = get_ticket(uow, number=number, for_update=True)
    recipient = ticket.requester or _client_email(uow, ticket.client_id)
    if not recipient:
        raise InvalidInput(f"ticket #{number} has no requester address to reply to", where="requester")
    event = add_event(uow, ticket=ticket, kind=EventKind.MESSAGE_OUT, body=body, sla=sla)
    enqueue_ticket_reply(uow, ticket=ticket, body=body, event_id=event.id, to=recipient)
    ticket.version += 1
    uow.session.add(ticket)
    record_audit(
        uow,
        action="ticket.reply",
        entity="ticket",
        entity_id=ticket.number,
        after={"to": recipient, "event_id": event.id},
    )
    return event


def _client_email(uow: UnitOfWork, client_id: int | None) -> str | None:
    if client_id is None:
        return None
    return uow.session.exec(
        select(ClientEmail.address).where(ClientEmail.client_id == client_id).order_by(ClientEmail.id)
    ).first()


def list_tickets(
    uow: UnitOfWork,
    *,
    queue: str | None = None,
    status: TicketStatus | None = None,
    assignee_login: str | None = None,
    limit: int | None = None,
) -> list[Ticket]:
    """Tickets: open ones first, the next SLA deadline first (none last), then the newest first."""
    query = select(Ticket)
    if queue is not None:
        query = query.where(Ticket.queue_id == get_queue(uow, name=queue).id)
    if status is not None:
        query = query.where(Ticket.status == status.value)
    if assignee_login is not None:
        query = query.where(Ticket.assignee_id == get_operator(uow, login=assignee_login).id)
    done = col(Ticket.status).in_([TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value])
    due = case(
        (done, None),
        (col(Ticket.first_response_at).is_(None), Ticket.first_response_due_at),
        else_=Ticket.resolution_due_at,
    )
    query = query.order_by(done, due.is_(None), due, col(Ticket.number).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(uow.session.exec(query))


def due_at(ticket: Ticket) -> datetime | None:
    """The next SLA deadline: the first response until there is one, then the resolution; none once
    the ticket is resolved or closed."""
    if ticket.status in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        return None
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        return ticket.first_response_due_at
    return ticket.resolution_due_at


def describe_tickets(
    uow: UnitOfWork, tickets: list[Ticket], *, with_events: bool = False
) -> list[dict[str, Any]]:
    """The JSON form of tickets (DESIGN: ``tickets list/show --json``), names resolved in a few queries."""
    queue_names = dict(uow.session.exec(select(Queue.id, Queue.name)).all())
    operator_ids = {t.assignee_id for t in tickets if t.assignee_id is not None}
    logins = (
        dict(
            uow.session.exec(
                select(Operator.id, Operator.login).where(col(Operator.id).in_(operator_ids))
            ).all()
        )
        if operator_ids
        else {}
    )
    client_ids = {t.client_id for t in tickets if t.client_id is not None}
    clients = (
        dict(uow.session.exec(select(Client.id, Client.name).where(col(Client.id).in_(client_ids))).all())
        if client_ids
        else {}
    )
    described = []
    for ticket in tickets:
        item: dict[str, Any] = {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue": queue_names.get(ticket.queue_id),
            "client": {"id": ticket.client_id, "name": clients.get(ticket.client_id)}
            if ticket.client_id is not None
            else None,
            "requester": ticket.requester,
            "assignee": logins.get(ticket.assignee_id) if ticket.assignee_id is not None else None,
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(ticket.updated_at),
            "due_at": _iso(due_at(ticket)),
            "first_response_due_at": _iso(ticket.first_response_due_at),
            "resolution_due_at": _iso(ticket.resolution_due_at),
            "first_response_at": _iso(ticket.first_response_at),
            "resolved_at": _iso(ticket.resolved_at),
            "version": ticket.version,
        }
        if with_events:
            item["events"] = _describe_events(uow, ticket)
        described.append(item)
    return described


def _describe_events(uow: UnitOfWork, ticket: Ticket) -> list[dict[str, Any]]:
    events = ticket_events(uow, ticket_id=ticket.id)
    attachments: dict[int, list[dict[str, Any]]] = {}
    if events:
        rows = uow.session.exec(
            select(Attachment)
            .where(col(Attachment.event_id).in_([e.id for e in events]))
            .order_by(Attachment.id)
        )
        for attachment in rows:
            attachments.setdefault(attachment.event_id, []).append(
                {
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                }
            )
    return [
        {
            "kind": event.kind,
            "author": event.author,
            "body": event.body,
            "created_at": _iso(event.created_at),
            "attachments": attachments.get(event.id, []),
        }
        for event in events
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
