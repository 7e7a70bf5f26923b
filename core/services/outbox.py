"""The outbox: outbound mail committed with the event that caused it, then delivered by ``mail send``.

``enqueue_mail`` is what the console, ``tickets reply``, acknowledgements and escalation notices call;
the row commits in the caller's unit of work, so a reply and its mail exist together or not at all.
The delivery bookkeeping (claim, sent, retry with back-off, permanent failure) is here too, so the SMTP
sender in ``hotline.mailbox.sender`` holds no SQL.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import col, func, select

from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.models import OutboxMessage, Ticket, TicketEvent
from hotline.core.models.enums import OutboxStatus
from hotline.core.services.audit import record_audit

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
CLAIM_LEASE = timedelta(minutes=10)
MAX_REFERENCES = 20
DEFAULT_DOMAIN = "hotline.invalid"
KINDS = ("reply", "acknowledgement", "notification", "escalation")


def new_message_id(domain: str | None = None, *, local: str | None = None) -> str:
    """A globally unique Message-ID in angle brackets, under the sending address's domain."""
    return f"<{local or 'hotline.' + uuid.uuid4().hex}@{domain or DEFAULT_DOMAIN}>"


def domain_of(address: str | None) -> str | None:
    return address.rsplit("@", 1)[1] if address and "@" in address else None


def ticket_subject(number: int, subject: str) -> str:
    """The subject with the ticket tag ``[#N]`` in it (added once), so answers thread back."""
    tag = f"[#{number}]"
    subject = " ".join(subject.split())
    if tag in subject:
        return subject
    prefix = re.match(r"^((?:(?:re|fwd?|aw|sv|отв|ответ)\s*:\s*)*)", subject, re.IGNORECASE)
    head = prefix.group(1) if prefix else ""
    return f"{head}{tag} {subject[len(head) :]}".strip()


def enqueue_mail(
    uow: UnitOfWork,
    *,
    to: list[str],
    subject: str,
    body: str,
    kind: str = "reply",
    account: str | None = None,
    from_address: str | None = None,
    ticket_id: int | None = None,
    event_id: int | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> OutboxMessage:
    """Queue one message for delivery; it commits with the caller's unit of work.

    Addresses are validated and normalised (``InvalidInput`` names the bad one). ``from_address``
    overrides the account's sender; mail about a ticket gets its threading headers from it when none
    are given.
    """
    if kind not in KINDS:
        raise InvalidInput(f"unknown outbox kind {kind!r} (one of: {', '.join(KINDS)})", where="kind")
    recipients = [normalize_email(address, where="to") for address in to if address and address.strip()]
    if not recipients:
        raise InvalidInput("a mail needs at least one recipient", where="to")
    subject = " ".join(subject.split())
    if ticket_id is not None and in_reply_to is None and references is None:
        in_reply_to, references = thread_headers(uow, ticket_id=ticket_id)
    extra = dict(headers or {})
    if from_address:
        extra["From"] = from_address
    now = uow.now()
    message = OutboxMessage(
        kind=kind,
        account=account,
        to_addrs=recipients,
        subject=subject[:998],
        body=body,
        message_id=message_id or new_message_id(domain_of(from_address)),
        in_reply_to=in_reply_to,
        references=" ".join(references or []) or None,
        headers=extra,
        ticket_id=ticket_id,
        event_id=event_id,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(message)
    uow.session.flush()
    record_audit(
        uow,
        action="outbox.enqueue",
        entity="outbox",
        entity_id=message.id,
        after={"kind": kind, "to": recipients, "subject": message.subject, "ticket_id": ticket_id},
    )
    return message


def thread_headers(uow: UnitOfWork, *, ticket_id: int) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for mail about a ticket: the Message-IDs of its messages so far."""
    event_ids = uow.session.exec(
        select(TicketEvent.message_id)
        .where(TicketEvent.ticket_id == ticket_id, col(TicketEvent.message_id).is_not(None))
        .order_by(TicketEvent.created_at, TicketEvent.id)
    ).all()
    sent_ids = uow.session.exec(
        select(OutboxMessage.message_id)
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.status == OutboxStatus.SENT.value)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    ids = list(dict.fromkeys([*event_ids, *sent_ids]))
    if not ids:
        return None, []
    references = ids[:1] + ids[1:][-(MAX_REFERENCES - 1) :]
    return event_ids[-1] if event_ids else ids[-1], references


def enqueue_ticket_reply(
    uow: UnitOfWork,
    *,
    ticket: Ticket,
    body: str,
    event_id: int | None = None,
    to: str | None = None,
    account: str | None = None,
    from_address: str | None = None,
) -> OutboxMessage:
    """Queue an operator's reply, ``Re: [#N] subject``, threaded; to ``to`` or else the requester."""
    recipient = to or ticket.requester
    if not recipient:
        raise InvalidInput(f"ticket #{ticket.number} has no requester address to reply to", where="requester")
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    return enqueue_mail(
        uow,
        to=[recipient],
        subject=ticket_subject(ticket.number, subject),
        body=body,
        kind="reply",
        account=account,
        from_address=from_address,
        ticket_id=ticket.id,
        event_id=event_id,
    )


def acknowledgement_id(sender: str, day: datetime, serial: int, domain: str | None) -> str:
    """The Message-ID of the ``serial``-th acknowledgement to ``sender`` on ``day``: deterministic, so
    the per-sender daily cap is a lookup of a few unique keys."""
    digest = hashlib.sha256(sender.lower().encode()).hexdigest()[:20]
    return new_message_id(domain, local=f"ack.{day:%Y%m%d}.{digest}.{serial}")


def acknowledgements_today(uow: UnitOfWork, *, sender: str, limit: int, domain: str | None) -> int:
    """How many acknowledgements ``sender`` got today (UTC), counting up to ``limit``."""
    today = uow.now()
    keys = [acknowledgement_id(sender, today, serial, domain) for serial in range(1, limit + 1)]
    if not keys:
        return 0
    return uow.session.exec(
        select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.message_id).in_(keys))
    ).one()


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
                    subject=row.subject,
                    body=row.body,
                    message_id=row.message_id,
                    in_reply_to=row.in_reply_to,
                    references=row.references,
                    headers=dict(row.headers or {}),
                    attempts=row.attempts,
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
    record_audit(
        uow,
        action="outbox.sent",
        entity="outbox",
        entity_id=outbox_id,
        after={"message_id": message.message_id, "refused": refused or {}},
    )


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, at most two hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def mark_failed_attempt(uow: UnitOfWork, *, outbox_id: int, error: str, permanent: bool) -> str:
    """Record a failed attempt; returns the new status (``pending`` to retry later, or ``failed``)."""
    message = uow.session.get(OutboxMessage, outbox_id)
    if message is None:
        return OutboxStatus.FAILED.value
    message.attempts += 1
    message.last_error = error[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED.value
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
    return message.status


def release(uow: UnitOfWork, *, outbox_id: int) -> None:
    """Give a claimed message back untouched (the server could not be reached at all)."""
    uow.session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == outbox_id, col(OutboxMessage.status) == OutboxStatus.PENDING.value)
        .values(next_attempt_at=uow.now())
    )


def outbox_counts(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}
