"""Delivering the outbox: what the SMTP sender (``hotline.mailbox.sender``) records, so it holds no SQL.

Due rows are claimed with a lease, so two ``mail send`` runs never send one message at the same time;
each attempt ends as sent, as a retry later with doubling delays, or as a permanent failure; a row whose
server could not be reached at all is released untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import col, select

from hotline.core.changes import signal_change
from hotline.core.models import Attachment, OutboxFile, OutboxMessage, Ticket
from hotline.core.models.enums import OutboxStatus
from hotline.core.services.audit import record_audit
from hotline.core.services.outbox import DEFAULT_DOMAIN, domain_of

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row, detached from the session: what the sender needs to send it."""

    id: int
    kind: str
    account: str | None
    to_addrs: list[str]
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None
    references: str | None
    headers: dict[str, Any]
    attempts: int
    event_id: int | None = None
    """The chronology line the mail belongs to; its attachments go out with it."""


def claim_due(uow: UnitOfWork, *, limit: int = 100) -> list[Delivery]:
    """Take up to ``limit`` pending messages whose time has come, leasing them so that a second
    ``mail send`` running at the same time does not send them too."""
    now = uow.now()
    rows = uow.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    claimed: list[Delivery] = []
    for row in rows:
        result = uow.session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == row.id,
                col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                col(OutboxMessage.next_attempt_at) == row.next_attempt_at,
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(
                Delivery(
                    id=row.id or 0,
                    kind=row.kind,
                    account=row.account,
                    to_addrs=list(row.to_addrs),
                    subject=str((row.headers or {}).get("Subject") or row.subject),
                    body=row.body,
                    message_id=row.message_id,
                    in_reply_to=row.in_reply_to,
                    references=row.references,
                    headers=dict(row.headers or {}),
                    attempts=row.attempts,
                    event_id=row.event_id,
                )
            )
    uow.session.expire_all()
    return claimed


def adopt_domain(uow: UnitOfWork, *, delivery: Delivery, from_address: str) -> Delivery:
    """Give a message queued without a sending address a Message-ID under the account's domain before
    it is first sent (nobody has seen the placeholder yet, so threading is unaffected)."""
    domain = domain_of(from_address)
    if not domain or not delivery.message_id.endswith(f"@{DEFAULT_DOMAIN}>"):
        return delivery
    message_id = delivery.message_id[: -len(f"@{DEFAULT_DOMAIN}>")] + f"@{domain}>"
    uow.session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == delivery.id).values(message_id=message_id)
    )
    return replace(delivery, message_id=message_id)


def mark_sent(uow: UnitOfWork, *, outbox_id: int, refused: dict[str, str] | None = None) -> None:
    """The server took the message (``refused`` lists recipients it turned down, if any)."""
    message = uow.session.get(OutboxMessage, outbox_id)
    if message is None:
        return
    now = uow.now()
    message.status = OutboxStatus.SENT.value
    message.sent_at = now
    message.attempts += 1
    message.last_error = "; ".join(f"{rcpt}: {why}" for rcpt, why in (refused or {}).items()) or None
    uow.session.add(message)
    _signal_ticket(uow, message)
    record_audit(
        uow,
        action="outbox.sent",
        entity="outbox",
        entity_id=outbox_id,
        after={"message_id": message.message_id, "refused": refused or {}},
    )


def mark_deferred(
    uow: UnitOfWork,
    *,
    outbox_id: int,
    delivered: list[str],
    deferred: dict[str, str],
    refused: dict[str, str],
) -> OutboxStatus:
    """The server took the message for ``delivered`` but put off ``deferred`` (a 4xx answer, such as
    greylisting): the row waits for those alone, retried with back-off, so nobody gets it twice and
    nobody goes without. ``refused`` (5xx) are not tried again. Returns the new status."""
    message = uow.session.get(OutboxMessage, outbox_id)
    if message is None:
        return OutboxStatus.FAILED
    message.to_addrs = list(deferred)
    uow.session.add(message)
    record_audit(
        uow,
        action="outbox.sent",
        entity="outbox",
        entity_id=outbox_id,
        after={"message_id": message.message_id, "to": delivered, "deferred": deferred, "refused": refused},
    )
    answers = "; ".join(f"{rcpt}: {why}" for rcpt, why in {**deferred, **refused}.items())
    sent = f"sent to {', '.join(delivered)}; " if delivered else ""
    error = f"{sent}not yet to {', '.join(deferred)} ({answers})"
    return mark_failed_attempt(uow, outbox_id=outbox_id, error=error, permanent=False)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, at most two hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def mark_failed_attempt(uow: UnitOfWork, *, outbox_id: int, error: str, permanent: bool) -> OutboxStatus:
    """Record a failed attempt; returns the new status (``PENDING`` to retry later, or ``FAILED``)."""
    message = uow.session.get(OutboxMessage, outbox_id)
    if message is None:
        return OutboxStatus.FAILED
    message.attempts += 1
    message.last_error = error[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED.value
        message.failed_at = uow.now()
        record_audit(
            uow,
            action="outbox.failed",
            entity="outbox",
            entity_id=outbox_id,
            after={
                "message_id": message.message_id,
                "attempts": message.attempts,
                "error": message.last_error,
            },
        )
    else:
        message.next_attempt_at = uow.now() + retry_delay(message.attempts)
    uow.session.add(message)
    _signal_ticket(uow, message)
    return OutboxStatus(message.status)


def _signal_ticket(uow: UnitOfWork, message: OutboxMessage) -> None:
    """A ticket's screen shows where each reply's mail is: tell the consoles (the ticket's number)."""
    if message.ticket_id is None:
        return
    number = uow.session.exec(select(Ticket.number).where(Ticket.id == message.ticket_id)).first()
    if number is not None:
        signal_change(uow, "ticket", [number])


def release(uow: UnitOfWork, *, outbox_id: int) -> None:
    """Give a claimed message back untouched (the server could not be reached at all)."""
    uow.session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == outbox_id, col(OutboxMessage.status) == OutboxStatus.PENDING.value)
        .values(next_attempt_at=uow.now())
    )


def delivery_files(uow: UnitOfWork, *, delivery: Delivery) -> list[tuple[str, str, bytes]]:
    """The attachments that go out with a delivery (its event's files, or the files queued with it,
    such as a mailed report): name, type, bytes."""
    if delivery.kind == "report":
        return [
            (name, content_type, content)
            for name, content_type, content in uow.session.exec(
                select(OutboxFile.filename, OutboxFile.content_type, OutboxFile.content)
                .where(OutboxFile.outbox_id == delivery.id)
                .order_by(col(OutboxFile.id))
            ).all()
        ]
    if delivery.event_id is None or delivery.kind != "reply":
        return []
    rows = uow.session.exec(
        select(Attachment.filename, Attachment.content_type, Attachment.content)
        .where(Attachment.event_id == delivery.event_id)
        .order_by(col(Attachment.id))
    ).all()
    return [(name, content_type, content) for name, content_type, content in rows if content is not None]


def record_bounce(uow: UnitOfWork, *, outbox_id: int, reason: str, bounce_message_id: str | None) -> bool:
    """A bounce (DSN) reports this outbox message undelivered: it is failed, with the server's reason,
    whatever the SMTP server said when it took it. False when there is no such row."""
    message = uow.session.get(OutboxMessage, outbox_id)
    if message is None:
        return False
    before = message.status
    message.status = OutboxStatus.FAILED.value
    message.failed_at = uow.now()
    message.last_error = f"bounced: {reason}"[:2000]
    uow.session.add(message)
    _signal_ticket(uow, message)
    record_audit(
        uow,
        action="outbox.bounced",
        entity="outbox",
        entity_id=outbox_id,
        before={"status": before},
        after={"status": message.status, "reason": message.last_error, "bounce": bounce_message_id},
    )
    return True


def outbox_row_bounced(
    uow: UnitOfWork, *, original_ids: tuple[str, ...], verp_ids: tuple[int, ...]
) -> int | None:
    """The outbox row a bounce names: by VERP id, else by the Message-ID of the original it quotes.
    Only a row that went out can bounce: one still waiting (a forged bounce) is not failed unsent."""
    went_out = OutboxMessage.status != OutboxStatus.PENDING.value
    if verp_ids:
        found = uow.session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.id).in_(list(verp_ids)), went_out).limit(1)
        ).first()
        if found is not None:
            return found
    if original_ids:
        return uow.session.exec(
            select(OutboxMessage.id)
            .where(col(OutboxMessage.message_id).in_(list(original_ids)), went_out)
            .limit(1)
        ).first()
    return None
