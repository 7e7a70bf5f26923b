"""The closed vocabularies of the domain, stored as their string values.

A plain module outside `hotline.core.models`, so the command line can name the choices in its help
without loading the tables.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an operator may do: operators take calls, supervisors run queues, admins run the system."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ClientKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    NOTE = "note"
    MEETING = "meeting"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES: tuple[TicketStatus, ...] = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
DONE_STATUSES: tuple[TicketStatus, ...] = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
"""A done ticket has no SLA deadline; a client's message reopens it."""


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Order for comparisons: low < normal < high < urgent."""
        return list(Priority).index(self)


class EventKind(StrEnum):
    """What a line of a ticket's chronology records."""

    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    CALL = "call"
    NOTE = "note"
    STATUS = "status"
    ASSIGNMENT = "assignment"
    PRIORITY = "priority"
    QUEUE = "queue"
    ESCALATION = "escalation"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
