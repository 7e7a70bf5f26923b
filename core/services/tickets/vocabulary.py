"""The words a ticket's fields take: priority and status names read from input, and which status may
follow which.

``parse_priority``/``parse_status`` turn what a person typed into the enum (``InvalidInput`` naming the
choices otherwise); ``ALLOWED_TRANSITIONS`` is the one statement of the status lifecycle, enforced by the
status change and offered by the console's status picker (``statuses_after``).
"""

from __future__ import annotations

from typing import TypeVar

from hotline.core.enums import Priority, TicketStatus
from hotline.core.errors import InvalidInput

_Word = TypeVar("_Word", Priority, TicketStatus)

ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.PENDING: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.OPEN}),
}


def statuses_after(current: TicketStatus) -> list[TicketStatus]:
    """The statuses a ticket in ``current`` may move to, in lifecycle order, ``current`` itself included
    (a picker shows where the ticket is)."""
    return [status for status in TicketStatus if status in ALLOWED_TRANSITIONS[current] or status is current]


def check_transition(number: int, current: TicketStatus, wanted: TicketStatus) -> None:
    """Refuse a move the lifecycle does not allow (``InvalidInput``, exit 2)."""
    if wanted not in ALLOWED_TRANSITIONS[current]:
        raise InvalidInput(
            f"ticket #{number} cannot go from {current.value} to {wanted.value}", where="status"
        )


def parse_priority(text: str, *, where: str = "--priority") -> Priority:
    """A priority from its name, case and spaces forgiven."""
    return _parse(Priority, "priority", text, where)


def parse_status(text: str, *, where: str = "--status") -> TicketStatus:
    """A status from its name, case and spaces forgiven."""
    return _parse(TicketStatus, "status", text, where)


def _parse(kind: type[_Word], noun: str, text: str, where: str) -> _Word:
    try:
        return kind(text.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InvalidInput(f"unknown {noun} {text!r} (one of: {choices})", where=where) from None
