"""The one description of a ticket that every face reads, and its JSON form.

``TicketSummary`` is a ticket with its names resolved and its next SLA deadline worked out (a queue
line, the home screen's list, ``tickets list --json``); ``TicketDetail`` adds the whole chronology (the
ticket screen, ``tickets show --json``). The JSON carries what DESIGN.md's command-line contract lists;
instants are ISO-8601 with their offset. Attachment bytes are never part of it, only their metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any


@dataclass(frozen=True)
class TicketSummary:
    """A ticket as the faces show it; ``version`` is what a change made from this copy must expect."""

    number: int
    subject: str
    status: str
    priority: str
    queue: str
    client_id: int | None
    client_name: str | None
    requester: str | None
    assignee_login: str | None
    assignee_name: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    due_at: datetime | None
    """The next SLA deadline (``hotline.core.sla.deadline``); None when there is none or it is done."""
    clock_started_at: datetime
    """When the clock behind ``due_at`` started (for "how much of the target is left")."""
    paused: bool
    """Pending with the SLA clock stopped."""
    version: int

    def as_json(self) -> dict[str, Any]:
        """The ``tickets list --json`` object."""
        return {
            "number": self.number,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "queue": self.queue,
            "client": None if self.client_id is None else {"id": self.client_id, "name": self.client_name},
            "requester": self.requester,
            "assignee": self.assignee_login,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "due_at": _iso(self.due_at),
            "first_response_due_at": _iso(self.first_response_due_at),
            "resolution_due_at": _iso(self.resolution_due_at),
            "first_response_at": _iso(self.first_response_at),
            "resolved_at": _iso(self.resolved_at),
            "version": self.version,
        }


@dataclass(frozen=True)
class AttachmentInfo:
    """What is known of an attachment without its bytes."""

    filename: str
    """As the mail or the operator named it (unsafe to write: it may hold ``../`` or escapes)."""
    content_type: str
    size: int
    name: str = ""
    """The safe name, unique within the ticket, that ``tickets attachment`` lists, takes and saves as."""

    def as_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
        }


@dataclass(frozen=True)
class DeliveryInfo:
    """Where a line's outgoing mail is: ``queued`` (waiting or retrying), ``sent``, or ``failed`` (the
    server refused it, retries ran out, or it bounced), with the server's reason."""

    status: str
    queued_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    to: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "to": self.to,
            "queued_at": _iso(self.queued_at),
            "sent_at": _iso(self.sent_at),
            "failed_at": _iso(self.failed_at),
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "error": self.error,
        }

    def summary(self, zone: tzinfo | None = None) -> str:
        """One line for the chronology: queued → sent → failed, with times (in ``zone``, else UTC)
        and the server's reason."""
        steps = [f"queued {_hhmm(self.queued_at, zone)}"]
        if self.sent_at is not None:
            steps.append(f"sent {_hhmm(self.sent_at, zone)}")
        if self.status == "failed":
            steps.append(f"failed {_hhmm(self.failed_at, zone)}: {self.error or 'no reason given'}")
        elif self.status == "queued" and self.attempts:
            steps.append(f"retrying ({self.attempts} attempts): {self.error or ''}".rstrip(": "))
        return " → ".join(steps)


@dataclass(frozen=True)
class EventLine:
    """One line of a ticket's chronology."""

    id: int
    kind: str
    author: str
    body: str
    created_at: datetime
    attachments: list[AttachmentInfo] = field(default_factory=list)
    delivery: DeliveryInfo | None = None
    """For a reply: where its mail is."""
    charset_guessed: list[str] = field(default_factory=list)
    """For a message in: where its charset had to be guessed (label missing, unknown or wrong)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "author": self.author,
            "body": self.body,
            "created_at": _iso(self.created_at),
            "attachments": [attachment.as_json() for attachment in self.attachments],
            "delivery": self.delivery.as_json() if self.delivery is not None else None,
            "charset_guessed": list(self.charset_guessed),
        }


@dataclass(frozen=True)
class TicketDetail:
    """A ticket with its whole chronology, oldest first."""

    ticket: TicketSummary
    events: list[EventLine]

    @property
    def number(self) -> int:
        return self.ticket.number

    @property
    def version(self) -> int:
        return self.ticket.version

    @property
    def client_id(self) -> int | None:
        return self.ticket.client_id

    def as_json(self) -> dict[str, Any]:
        """The ``tickets show --json`` object."""
        return {**self.ticket.as_json(), "events": [event.as_json() for event in self.events]}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _hhmm(moment: datetime | None, zone: tzinfo | None) -> str:
    if moment is None:
        return "?"
    return (
        moment.astimezone(zone).strftime("%d.%m.%Y %H:%M") if zone else moment.strftime("%Y-%m-%d %H:%M UTC")
    )
