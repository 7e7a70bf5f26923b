"""Messages that could not be taken in: kept whole, visible to supervisors, never dropped.

A message the converter cannot read, or whose intake fails for a reason of its own, becomes a
failed-message record (the raw bytes included) in the same unit of work as the rest of its group; the
poller then moves it to the account's failed folder. ``hotline mail failed`` lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import select

from hotline.core.errors import NotFound
from hotline.core.models import FailedMessage
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


def list_failed(
    uow: UnitOfWork, *, account: str | None = None, configured: Sequence[str] = ()
) -> list[FailedMessage]:
    """The failed messages, oldest first; of one account when ``account`` is given (supervisors).
    ``NotFound`` for an account neither ``configured`` nor named by any record (a misspelt or blank
    name listed nothing, as if all were well); one since removed from the configuration still lists
    what it left."""
    uow.authorize("mail.failed.read", entity="failed_message")
    query = select(FailedMessage).order_by(FailedMessage.received_at, FailedMessage.id)
    if account is not None:
        query = query.where(FailedMessage.account == account)
    found = list(uow.session.exec(query))
    if account is not None and not found and account not in configured:
        known = f" (configured: {', '.join(map(printable, configured))})" if configured else ""
        raise NotFound(f"no mail account named {printable(account)!r}{known}", where="--account")
    return found
