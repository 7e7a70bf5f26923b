"""Saving a change to a ticket from the console, guarded by the version the screen loaded.

``apply_change`` runs inside a thread worker: it calls the ticket services in one unit of work and
returns the message to post — ``TicketChanged`` when saved, ``TicketChangeConflicted`` when someone else
changed the ticket since it was loaded (then nothing is written and nothing is overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

FIELDS = ("status", "priority", "queue", "assignee")
TEXTS = ("reply", "note")


@dataclass(frozen=True)
class TicketChange:
    """One change an operator asked for: a field (status, priority, queue, assignee) or a text (reply,
    note) and its value (a login, ``""`` for nobody; the text of a reply or note)."""

    what: str
    value: str

    def describe(self) -> str:
        if self.what in TEXTS:
            return "reply sent" if self.what == "reply" else "note saved"
        if self.what == "assignee":
            return f"assigned to {self.value}" if self.value else "unassigned"
        return f"{self.what} → {self.value}"


@dataclass
class TicketChanged(Message):
    """A change to ticket ``number`` was saved."""

    number: int
    change: TicketChange


@dataclass
class TicketChangeConflicted(Message):
    """Ticket ``number`` was changed by someone else since it was loaded: the change was not saved."""

    number: int
    change: TicketChange


def conflict_text(number: int) -> str:
    return f"Ticket #{number} was changed by someone else meanwhile. Nothing was saved."


def apply_change(
    ctx: ConsoleContext, *, number: int, expected_version: int, change: TicketChange
) -> TicketChanged | TicketChangeConflicted:
    """Save ``change`` if ticket ``number`` still has ``expected_version`` (call it in a thread worker)."""
    from hotline.core.errors import Conflict
    from hotline.core.models.enums import EventKind, Priority, TicketStatus
    from hotline.core.services.tickets import add_event, get_ticket, reply_ticket, update_ticket

    sla = ctx.sla
    try:
        with ctx.uow() as uow:
            if change.what in TEXTS:
                ticket = get_ticket(uow, number=number, for_update=True)
                if ticket.version != expected_version:
                    raise Conflict(conflict_text(number))
                if change.what == "reply":
                    reply_ticket(uow, number=number, body=change.value, sla=sla)
                else:
                    add_event(uow, ticket=ticket, kind=EventKind.NOTE, body=change.value, sla=sla)
            elif change.what == "status":
                update_ticket(
                    uow,
                    number=number,
                    expected_version=expected_version,
                    status=TicketStatus(change.value),
                    sla=sla,
                )
            elif change.what == "priority":
                update_ticket(
                    uow,
                    number=number,
                    expected_version=expected_version,
                    priority=Priority(change.value),
                    sla=sla,
                )
            elif change.what == "queue":
                update_ticket(
                    uow, number=number, expected_version=expected_version, queue=change.value, sla=sla
                )
            elif change.what == "assignee":
                update_ticket(
                    uow,
                    number=number,
                    expected_version=expected_version,
                    assignee_login=change.value or None,
                    sla=sla,
                )
            else:
                raise ValueError(f"unknown ticket change {change.what!r}")
    except Conflict:
        return TicketChangeConflicted(number, change)
    return TicketChanged(number, change)
