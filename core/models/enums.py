"""The domain's vocabularies, defined in ``hotline.core.enums`` (importable without the tables) and
named here too because the models and most of core import them from beside the tables."""

from hotline.core.enums import (
    DONE_STATUSES,
    OPEN_STATUSES,
    ClientKind,
    Direction,
    EventKind,
    InteractionKind,
    OutboxStatus,
    Priority,
    ReminderStatus,
    Role,
    TicketStatus,
)

__all__ = [
    "DONE_STATUSES",
    "OPEN_STATUSES",
    "ClientKind",
    "Direction",
    "EventKind",
    "InteractionKind",
    "OutboxStatus",
    "Priority",
    "ReminderStatus",
    "Role",
    "TicketStatus",
]
