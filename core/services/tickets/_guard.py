"""The frame every change of a ticket runs in: the version check before, the version bump and the audit
entry after, in the caller's unit of work.

Internal to the ticket services. ``locked_ticket`` takes the row under lock and refuses (``Conflict``,
exit 1, nothing written) when it is no longer the version the person saw; ``record_change`` bumps the
version (an operator holding an older copy gets a conflict, never a silent overwrite) and audits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotline.core.changes import signal_change
from hotline.core.errors import Conflict
from hotline.core.models import Ticket
from hotline.core.services.audit import record_audit
from hotline.core.services.tickets.reads import get_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def locked_ticket(uow: UnitOfWork, *, number: int, expected_version: int | None) -> Ticket:
    """Ticket ``number`` under lock, if it still has ``expected_version``.

    ``expected_version`` is the version the person saw (``tickets show --json``, a console screen);
    None skips the check and is meant for the system's own actors (cron, the mail poller), whose
    changes do not rest on something they read earlier.
    """
    ticket = get_ticket(uow, number=number, for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(f"ticket #{number} was changed by someone else meanwhile (reload it and try again)")
    return ticket


def record_change(
    uow: UnitOfWork,
    ticket: Ticket,
    *,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """The change to ``ticket`` is made: a new version, a new ``updated_at``, an audit entry."""
    ticket.version += 1
    ticket.updated_at = uow.now()
    uow.session.add(ticket)
    uow.session.flush()
    signal_change(uow, "ticket", [ticket.number])
    record_audit(uow, action=action, entity="ticket", entity_id=ticket.number, before=before, after=after)
