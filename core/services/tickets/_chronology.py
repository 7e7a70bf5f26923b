"""The steps every ticket operation is made of: a line in the chronology, a move to another status.

Internal to core. ``add_event`` appends one line and applies what that line implies (an operator's
message out or call is the first response and opens a new ticket; a client's message in reopens a done
ticket or takes a pending one back to open, and is a new version of any ticket it did not open);
``move_status`` moves a ticket along the lifecycle with its line and its SLA clocks. Neither checks a
version nor records the operation's audit entry: the public operations (create, changes, texts) do that
around them, and the mail intake service calls them for what the poller takes in. Faces never call them
(tests/test_write_boundary.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

from hotline.core.bulk import insert_ids
from hotline.core.changes import signal_change
from hotline.core.enums import DONE_STATUSES, EventKind, TicketStatus
from hotline.core.models import Ticket, TicketEvent
from hotline.core.models.sla import TicketSla
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
_CHUNK = 500
OPENED_HERE = "hotline.tickets_opened_here"
"""``session.info`` key: ids of the tickets this unit of work opened (their first message is no change)."""


@dataclass(frozen=True)
class EventDraft:
    """One line to append to a ticket's chronology (``add_events``); the author is the actor unless
    named (a mail sender, a rule)."""

    ticket: Ticket
    kind: EventKind
    body: str = ""
    data: dict[str, Any] | None = None
    message_id: str | None = None
    author: str | None = None
    by_machine: bool = False
    """A message in that a machine sent (an auto-reply, a bounce, bulk mail): recorded, but it is no
    client's return and no activity, so it moves no status and no clock."""


class WrittenEvent(NamedTuple):
    """A line ``add_events`` wrote: its id and time."""

    id: int
    created_at: datetime


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
    ``add_events`` for one line; the event as an object of the session."""
    draft = EventDraft(ticket=ticket, kind=kind, body=body, data=data, message_id=message_id, author=author)
    lines = _Lines(uow, sla=sla)
    lines.hold_clocks({ticket.id} if ticket.id is not None else set())
    index = lines.append(draft)
    lines.write()
    return lines.event(index)


def add_events(
    uow: UnitOfWork, drafts: Sequence[EventDraft], *, sla: SlaSetup | None = None
) -> list[WrittenEvent]:
    """Append lines to their tickets' chronologies in this order, each with what it implies (the first
    response, a reopening: their status lines follow it), all in one INSERT; the lines of ``drafts``
    written, in order. The SLA clocks of the tickets the session does not hold yet are read in one query."""
    if not drafts:
        return []
    lines = _Lines(uow, sla=sla)
    lines.hold_clocks({draft.ticket.id for draft in drafts if draft.ticket.id is not None})
    wanted = [lines.append(draft) for draft in drafts]
    ids = lines.write()
    return [WrittenEvent(id=ids[index], created_at=lines.rows[index]["created_at"]) for index in wanted]


class _Lines:
    """Lines being appended: each applied to its ticket at once, written together at the end."""

    def __init__(self, uow: UnitOfWork, *, sla: SlaSetup | None) -> None:
        self.uow, self.sla = uow, sla
        self.rows: list[dict[str, Any]] = []
        self.tickets: list[Ticket] = []
        self._clocks: list[TicketSla] = []  # held: the session's identity map is weak
        self.ids: list[int] = []

    def hold_clocks(self, ticket_ids: set[int]) -> None:
        """The clocks of these tickets, from the session or one query, so each line's touch finds them."""
        session = self.uow.session
        missing = []
        for ticket_id in ticket_ids:
            held = session.identity_map.get(identity_key(TicketSla, ticket_id))
            if held is None:
                missing.append(ticket_id)
            else:
                self._clocks.append(held)  # type: ignore[arg-type]
        missing.sort()
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            self._clocks += session.exec(select(TicketSla).where(col(TicketSla.ticket_id).in_(chunk))).all()

    def append(self, draft: EventDraft) -> int:
        """Apply one line to its ticket (status, clocks, first response); its index among the rows."""
        uow, ticket, kind, author = self.uow, draft.ticket, draft.kind, draft.author
        now = uow.now()
        actor = uow.actor
        self.rows.append(
            {
                "ticket_id": ticket.id,
                "kind": kind.value,
                "author_id": actor.id if actor and author is None else None,
                "author": author if author is not None else uow.actor_name,
                "body": draft.body,
                "data": draft.data or {},
                "message_id": draft.message_id,
                "created_at": now,
            }
        )
        self.tickets.append(ticket)
        index = len(self.rows) - 1
        ticket.updated_at = now
        if kind not in ACTIVITY_FREE_KINDS and not draft.by_machine:
            tracking.touch(uow, ticket=ticket)
        if kind in RESPONSE_KINDS and author is None and actor is not None:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            if ticket.status == TicketStatus.NEW.value:
                move_status(uow, ticket, TicketStatus.OPEN, sla=self.sla, lines=self)
        elif kind is EventKind.MESSAGE_IN and not draft.by_machine:
            if ticket.status in CLIENT_RETURNS_FROM:
                _client_returns(uow, ticket, sla=self.sla, lines=self)  # a new version of its own
            elif ticket.id not in uow.session.info.get(OPENED_HERE, ()):
                # The client wrote again: whoever read the ticket before did not see it, and must not answer
                # it blind (a reply or change resting on the older version is a conflict, as after a note).
                ticket.version += 1
        return index

    def write(self) -> list[int]:
        """Insert every row in one statement (the tickets' changes flushed with it); their ids, in order."""
        session = self.uow.session
        for ticket in self.tickets:
            session.add(ticket)
        self.ids = insert_ids(session, TicketEvent, self.rows)
        session.flush()
        signal_change(self.uow, "ticket", (ticket.number for ticket in self.tickets))
        return self.ids

    def event(self, index: int) -> TicketEvent:
        """A written line as an object of the session, made from what was written (no query)."""
        event = TicketEvent(id=self.ids[index], **self.rows[index])
        make_transient_to_detached(event)
        self.uow.session.add(event)
        return event


def _client_returns(uow: UnitOfWork, ticket: Ticket, *, sla: SlaSetup | None, lines: _Lines) -> None:
    """A client wrote to a pending or done ticket: it is open again, a change of its own (audited)."""
    before = ticket.status
    move_status(uow, ticket, TicketStatus.OPEN, sla=sla, lines=lines)
    ticket.version += 1
    record_audit(
        uow,
        action="ticket.reopen" if before != TicketStatus.PENDING.value else "ticket.client_replied",
        entity="ticket",
        entity_id=ticket.number,
        before={"status": before},
        after={"status": ticket.status},
    )


def add_change_line(
    uow: UnitOfWork, ticket: Ticket, kind: EventKind, old: str, new: str, *, lines: _Lines | None = None
) -> None:
    """The chronology line of a field going from ``old`` to ``new`` (status, priority); ``lines``: the
    lines being appended that this one follows."""
    draft = EventDraft(ticket=ticket, kind=kind, body=f"{old} → {new}", data={"from": old, "to": new})
    if lines is not None:
        lines.append(draft)
    else:
        add_events(uow, [draft])


def move_status(
    uow: UnitOfWork,
    ticket: Ticket,
    status: TicketStatus,
    *,
    sla: SlaSetup | None = None,
    lines: _Lines | None = None,
) -> None:
    """Move ``ticket`` to ``status`` if the lifecycle allows it (``InvalidInput`` otherwise), with its
    chronology line, its SLA clocks (paused, resumed or restarted) and its resolved/closed times."""
    current = TicketStatus(ticket.status)
    check_transition(ticket.number, current, status)
    now = uow.now()
    add_change_line(uow, ticket, EventKind.STATUS, current.value, status.value, lines=lines)
    ticket.status = status.value
    tracking.status_changed(uow, ticket=ticket, old=current.value, new=status.value, sla=sla or SlaSetup())
    if status is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status is TicketStatus.CLOSED:
        ticket.closed_at = now
    elif status is TicketStatus.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None
