"""Mail that failed: messages that could not be taken in, and mail the SMTP server refused for good.

A message the converter cannot read, or whose intake fails for a reason of its own, becomes a
failed-message record (the raw bytes included) in the same unit of work as the rest of its group; the
poller then moves it to the account's failed folder. ``hotline mail failed`` lists them, and with
``--outgoing`` the outbox mail refused for good (``list_failed_deliveries``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, func, select

from hotline.core.errors import NotFound
from hotline.core.models import FailedMessage, OutboxMessage, Ticket
from hotline.core.models.enums import OutboxStatus
from hotline.core.services.audit import record_audit
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_REASON_CHARS = 4000
AUDITED_REASON_CHARS = 500


def record_failed(
    uow: UnitOfWork,
    *,
    account: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    reason: str,
    raw: bytes | None,
) -> FailedMessage:
    """Keep a message that could not be taken in, whole, for a supervisor (idempotent per UID)."""
    existing = uow.session.exec(
        select(FailedMessage).where(
            FailedMessage.account == account,
            FailedMessage.uidvalidity == uidvalidity,
            FailedMessage.uid == uid,
        )
    ).first()
    if existing is not None:
        return existing
    failed = FailedMessage(
        account=account,
        uidvalidity=uidvalidity,
        uid=uid,
        message_id=message_id,
        reason=reason[:MAX_REASON_CHARS],
        raw=raw,
        received_at=uow.now(),
    )
    uow.session.add(failed)
    uow.session.flush()
    record_audit(
        uow,
        action="mail.failed",
        entity="failed_message",
        entity_id=failed.id,
        after={
            "account": account,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "reason": reason[:AUDITED_REASON_CHARS],
        },
    )
    return failed


@dataclass(frozen=True)
class FailedItem:
    """A failed message as ``mail failed`` lists it: its place, why, when, and its size (not its bytes)."""

    account: str
    uidvalidity: int
    uid: int
    message_id: str | None
    reason: str
    received_at: datetime
    size: int


def list_failed(
    uow: UnitOfWork, *, account: str | None = None, configured: Sequence[str] = ()
) -> list[FailedItem]:
    """The failed messages, oldest first; of one account when ``account`` is given (supervisors).
    Their bytes stay in the database (the list read every message whole, up to the size limit each,
    to show its size). ``NotFound`` for an account neither ``configured`` nor named by any record (a
    misspelt or blank name listed nothing, as if all were well); one since removed from the
    configuration still lists what it left."""
    uow.authorize("mail.failed.read", entity="failed_message")
    query = select(
        FailedMessage.account,
        FailedMessage.uidvalidity,
        FailedMessage.uid,
        FailedMessage.message_id,
        FailedMessage.reason,
        FailedMessage.received_at,
        func.coalesce(func.length(FailedMessage.raw), 0),
    ).order_by(col(FailedMessage.received_at), col(FailedMessage.id))
    if account is not None:
        query = query.where(FailedMessage.account == account)
    found = [FailedItem(*row) for row in uow.session.exec(query)]
    if account is not None and not found and account not in configured:
        known = f" (configured: {', '.join(map(printable, configured))})" if configured else ""
        raise NotFound(f"no mail account named {printable(account)!r}{known}", where="--account")
    return found


@dataclass(frozen=True)
class FailedDelivery:
    """An outbox mail the SMTP server refused for good (or a bounce reported), for one recipient or all."""

    outbox_id: int
    account: str | None
    kind: str
    to: list[str]
    subject: str
    message_id: str
    ticket_number: int | None
    reason: str
    failed_at: datetime | None
    attempts: int

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.outbox_id,
            "account": self.account,
            "kind": self.kind,
            "to": self.to,
            "subject": self.subject,
            "message_id": self.message_id,
            "ticket": self.ticket_number,
            "reason": self.reason,
            "failed_at": self.failed_at,
            "attempts": self.attempts,
        }


def list_failed_deliveries(
    uow: UnitOfWork, *, account: str | None = None, configured: Sequence[str] = ()
) -> list[FailedDelivery]:
    """The outbox mail that failed for good (5xx, out of retries, bounced), and mail sent that a
    recipient refused for good, oldest first: an acknowledgement or a mailed report is on no ticket's
    chronology. Supervisors; ``account`` as in ``list_failed``."""
    uow.authorize("mail.failed.read", entity="outbox")
    failed = col(OutboxMessage.status) == OutboxStatus.FAILED.value
    refused = (col(OutboxMessage.status) == OutboxStatus.SENT.value) & col(OutboxMessage.last_error).is_not(
        None
    )
    query = (
        select(OutboxMessage, Ticket.number)
        .outerjoin(Ticket, col(Ticket.id) == col(OutboxMessage.ticket_id))
        .where(failed | refused)
        .order_by(col(OutboxMessage.id))
    )
    if account is not None:
        query = query.where(OutboxMessage.account == account)
    found = [
        FailedDelivery(
            outbox_id=row.id or 0,
            account=row.account,
            kind=row.kind,
            to=list(row.to_addrs),
            subject=row.subject,
            message_id=row.message_id,
            ticket_number=number,
            reason=row.last_error or "",
            failed_at=row.failed_at or row.sent_at,
            attempts=row.attempts,
        )
        for row, number in uow.session.exec(query)
    ]
    if account is not None and not found and account not in configured:
        known = f" (configured: {', '.join(map(printable, configured))})" if configured else ""
        raise NotFound(f"no mail account named {printable(account)!r}{known}", where="--account")
    return found
