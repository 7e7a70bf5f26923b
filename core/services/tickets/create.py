"""Opening tickets: numbers, the subjects cleaned, the first events, the SLA clocks, one audit entry each.

``create_tickets`` opens any number at once, in order, with a few statements for all of them (the
numbers reserved together, the clients' contracts read together, the tickets, their clocks and their
first events inserted together); ``create_ticket`` is the same for one. The mail intake opens a
fetched group's tickets with it; the console, the CLI and the rules open one.

The subject rule (``clean_subject``: whitespace folded, at most ``MAX_SUBJECT`` characters, never blank)
lives here and is applied by a change of subject too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from hotline.core.bulk import insert_objects
from hotline.core.changes import signal_change
from hotline.core.emails import typed_address
from hotline.core.enums import EventKind, Priority, TicketStatus
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, Queue, Ticket
from hotline.core.models.sla import TicketSla
from hotline.core.rules.engine import conduct
from hotline.core.services.audit import audit_row, record_audits, snapshot
from hotline.core.services.contracts import EXPIRED_TAG, contract_facts
from hotline.core.services.operators import get_assignee
from hotline.core.services.queues import ensure_queue, get_queue
from hotline.core.services.tickets._chronology import OPENED_HERE, EventDraft, add_events
from hotline.core.services.tickets._numbering import reserve_numbers
from hotline.core.sla import tracking
from hotline.core.text import MAX_NOTES, checked_text

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotline.core.attribution import Attribution
    from hotline.core.db import UnitOfWork
    from hotline.core.services.contracts import ContractFacts
    from hotline.core.sla.policy import SlaSetup

MAX_SUBJECT = 500
CHANNEL_OF_FIRST_EVENT = {EventKind.MESSAGE_IN: "email", EventKind.CALL: "phone"}
"""How a ticket came in, for the rules' ``channel`` condition (otherwise: ``manual``)."""
NEWEST_CLOCKS = "hotline.newest_clocks"


def clean_subject(subject: str, *, where: str = "subject", typed: bool = True) -> str:
    """The subject as stored: runs of whitespace (newlines too) as one space. A typed one with a control
    character or over ``MAX_SUBJECT`` characters is refused; a mail's (``typed=False``, already made
    printable by the mailbox) is cut: a message cannot be refused."""
    cleaned = " ".join(subject.split())
    if not cleaned:
        raise InvalidInput("a ticket needs a subject", where=where)
    if typed:
        return checked_text(cleaned, what="a ticket's subject", at_most=MAX_SUBJECT, where=where)
    return cleaned[:MAX_SUBJECT]


@dataclass(frozen=True)
class TicketDraft:
    """One ticket to open (``create_tickets``): its fields and, when it has a body or a Message-ID, its
    first event (the client's message, or the operator's note)."""

    subject: str
    queue: str
    priority: Priority = Priority.NORMAL
    client_id: int | None = None
    requester: str | None = None
    body: str = ""
    assignee_login: str | None = None
    first_event: EventKind = EventKind.NOTE
    message_id: str | None = None
    author: str | None = None
    attribution: Attribution | None = None
    typed: bool = True
    """Typed by an operator or a script: a control character or an over-long subject is refused. A mail's
    (False) is cut instead: the message cannot be refused."""


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
    attribution: Attribution | None = None,
    new_queue: bool = True,
    run_rules: bool = True,
    typed: bool = True,
) -> Ticket:
    """Open one ticket: ``create_tickets`` for one draft. ``queue_row``: the queue already looked up
    (or created) by the caller; its name must be ``queue``."""
    draft = TicketDraft(
        subject=subject,
        queue=queue,
        priority=priority,
        client_id=client_id,
        requester=requester,
        body=body,
        assignee_login=assignee_login,
        first_event=first_event,
        message_id=message_id,
        author=author,
        attribution=attribution,
        typed=typed,
    )
    queues = {queue: queue_row} if queue_row is not None else None
    [ticket] = create_tickets(uow, [draft], sla=sla, queues=queues, new_queue=new_queue, run_rules=run_rules)
    return ticket


def create_tickets(
    uow: UnitOfWork,
    drafts: Sequence[TicketDraft],
    *,
    sla: SlaSetup | None = None,
    queues: Mapping[str, Queue] | None = None,
    new_queue: bool = True,
    run_rules: bool = True,
) -> list[Ticket]:
    """Open tickets in the order given, each with its first event (when it has a body or a Message-ID)
    and its SLA clocks (first-response and resolution due times) when ``sla`` is given, and one
    ``ticket.create`` audit entry; then the event rules of ``ticket.created`` run for each, in order,
    once all are written. A ticket from a client whose contracts have all ended is tagged
    ``contract-expired``. Nothing is written when a draft is refused (a blank subject, an unknown
    assignee, an unknown queue with ``new_queue=False``).

    ``queues``: queues already looked up (or created) by name, such as the mail poller's account queue.
    ``new_queue=False``: an unknown queue is ``NotFound`` (with the close matches) instead of being
    created. ``run_rules=False``: the caller runs the rules itself once it has written the rest (the
    mail intake, after the message)."""
    if not drafts:
        return []
    drafts = [  # a typed requester is one address: "not an address" or a line break was stored and mailed
        replace(draft, requester=typed_address(draft.requester, where="requester"))
        if draft.typed and draft.requester
        else draft
        for draft in drafts
    ]
    # A typed first note of only spaces was written as an empty line (a note is refused blank elsewhere).
    drafts = [replace(draft, body=draft.body.strip()) if draft.typed else draft for draft in drafts]
    rows_of_queue = dict(queues or {})
    if not new_queue:
        for name in dict.fromkeys(draft.queue for draft in drafts if draft.queue not in rows_of_queue):
            rows_of_queue[name] = get_queue(uow, name=name)
    subjects = [clean_subject(draft.subject, typed=draft.typed) for draft in drafts]
    for draft in drafts:
        if draft.typed:
            checked_text(draft.body, what="a note", at_most=MAX_NOTES, where="body", multiline=True)
    for name in dict.fromkeys(draft.queue for draft in drafts if draft.queue not in rows_of_queue):
        rows_of_queue[name] = ensure_queue(uow, name=name)
    assignees = {
        login: get_assignee(uow, login=login).id
        for login in dict.fromkeys(draft.assignee_login for draft in drafts if draft.assignee_login)
    }
    _check_clients(uow, [draft.client_id for draft in drafts if draft.client_id is not None])
    now = uow.now()
    facts = contract_facts(uow, [draft.client_id for draft in drafts])
    zone = sla.zone if sla is not None else None  # a contract's days are the centre's local days
    numbers = reserve_numbers(uow, len(drafts))
    rows, clocks = [], []
    for draft, subject, number in zip(drafts, subjects, numbers, strict=True):
        row = _ticket_row(draft, subject, number, rows_of_queue[draft.queue], assignees, facts, now, zone)
        if sla is not None:
            clocks.append(_start_clocks(row, sla, rows_of_queue[draft.queue].name, facts, now))
        rows.append(row)
    session = uow.session
    tickets = insert_objects(session, Ticket, rows)
    held_clocks: list[TicketSla] = []
    if clocks:
        for clock, ticket in zip(clocks, tickets, strict=True):
            clock["ticket_id"] = ticket.id
        held_clocks = insert_objects(session, TicketSla, clocks)  # in the tickets' order
    # Kept referenced (the session's identity map is weak) so the next events' touches find the rows
    # without a query; only ever the newest tickets', and only through session.get.
    session.info[NEWEST_CLOCKS] = held_clocks
    session.info.setdefault(OPENED_HERE, set()).update(ticket.id for ticket in tickets)
    signal_change(uow, "ticket", (ticket.number for ticket in tickets))
    add_events(uow, _first_events(drafts, tickets), sla=sla)
    record_audits(
        uow,
        [
            audit_row(
                uow, action="ticket.create", entity="ticket", entity_id=ticket.number, after=snapshot(ticket)
            )
            for ticket in tickets
        ],
    )
    if run_rules:
        for draft, ticket in zip(drafts, tickets, strict=True):
            channel = CHANNEL_OF_FIRST_EVENT.get(draft.first_event, "manual")
            conduct(
                uow, "ticket.created", ticket=ticket, channel=channel, body=draft.body, sender=draft.requester
            )
    return tickets


def _check_clients(uow: UnitOfWork, client_ids: list[int]) -> None:
    """``NotFound`` for a client that is not there (deleted while a form was open): the insert's foreign
    key said only "database error: FOREIGN KEY constraint failed"."""
    wanted = set(client_ids)
    if not wanted:
        return
    found = set(uow.session.exec(select(Client.id).where(col(Client.id).in_(wanted))).all())
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"no client with id {missing[0]}")


def _ticket_row(
    draft: TicketDraft,
    subject: str,
    number: int,
    queue: Queue,
    assignees: Mapping[str, int | None],
    facts: ContractFacts,
    now: datetime,
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    return {
        "number": number,
        "subject": subject,
        "status": TicketStatus.NEW.value,
        "priority": draft.priority.value,
        "queue_id": queue.id,
        "client_id": draft.client_id,
        "requester": draft.requester,
        "assignee_id": assignees[draft.assignee_login] if draft.assignee_login else None,
        "created_at": now,
        "updated_at": now,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "first_response_due_at": None,
        "resolution_due_at": None,
        "version": 1,
        "tags": [EXPIRED_TAG] if facts.expired(draft.client_id, at=now, zone=zone) else [],
        "source": draft.attribution.source if draft.attribution else None,
        "campaign": draft.attribution.campaign if draft.attribution else None,
    }


def _start_clocks(
    row: dict[str, Any], sla: SlaSetup, queue: str, facts: ContractFacts, now: datetime
) -> dict[str, Any]:
    """The new ticket's clocks row (without its ticket id), its policy chosen by the queue, the
    priority and the client's contract; sets the ticket's due times in ``row``."""
    level = facts.level(row["client_id"], at=now, queue=queue, zone=sla.zone)
    policy = sla.resolve(queue=queue, priority=row["priority"], contract=level)
    clock = tracking.clock_values(policy, start=now) | {
        "last_activity_at": now,
        "pending_since": None,
        "cycle": 1,
    }
    row["first_response_due_at"], row["resolution_due_at"] = tracking.due_times(
        sla,
        created_at=now,
        calendar=clock["calendar"],
        first_response_target=clock["first_response_target"],
        resolution_target=clock["resolution_target"],
        clock_started_at=now,
        paused=False,
    )
    return clock


def _first_events(drafts: Sequence[TicketDraft], tickets: list[Ticket]) -> list[EventDraft]:
    return [
        EventDraft(
            ticket=ticket,
            kind=draft.first_event,
            body=draft.body,
            message_id=draft.message_id,
            author=draft.author,
        )
        for draft, ticket in zip(drafts, tickets, strict=True)
        if draft.body or draft.message_id
    ]
