"""The outbox: outbound mail committed with the event that caused it, then delivered by ``mail send``.

``enqueue_mail`` is what the console, ``tickets reply``, acknowledgements and escalation notices call;
the row commits in the caller's unit of work, so a reply and its mail exist together or not at all.
Delivering it (claim, sent, retry with back-off, permanent failure) is the part of
``hotline.core.services.mail.delivery``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from hotline.core.bulk import insert_objects
from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.models import OutboxMessage, Ticket, TicketEvent
from hotline.core.models.enums import OutboxStatus
from hotline.core.services.audit import audit_row, record_audits

if TYPE_CHECKING:
    from datetime import datetime

    from hotline.core.db import UnitOfWork

MAX_REFERENCES = 20
DEFAULT_DOMAIN = "hotline.invalid"
SUBJECT_COLUMN = 998
MAX_THREAD_ID = 998 - len("In-Reply-To: ")
"""The longest Message-ID a threading header carries: its line then fits RFC 5322's 998 characters."""
"""What the outbox's ``subject`` column holds; a longer subject goes whole in its ``headers``."""
KINDS = ("reply", "acknowledgement", "notification", "escalation", "report")


def new_message_id(domain: str | None = None, *, local: str | None = None) -> str:
    """A globally unique Message-ID in angle brackets, under the sending address's domain."""
    return f"<{local or 'hotline.' + uuid.uuid4().hex}@{domain or DEFAULT_DOMAIN}>"


def domain_of(address: str | None) -> str | None:
    """The part after the ``@``; None without one (a Message-ID then gets ``DEFAULT_DOMAIN``)."""
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


@dataclass(frozen=True)
class MailDraft:
    """One message to queue (``enqueue_mails``); as ``enqueue_mail`` takes it."""

    to: list[str]
    subject: str
    body: str
    kind: str = "reply"
    account: str | None = None
    from_address: str | None = None
    ticket_id: int | None = None
    event_id: int | None = None
    in_reply_to: str | None = None
    references: list[str] | None = None
    headers: dict[str, str] | None = None
    message_id: str | None = None


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
    draft = MailDraft(
        to=to,
        subject=subject,
        body=body,
        kind=kind,
        account=account,
        from_address=from_address,
        ticket_id=ticket_id,
        event_id=event_id,
        in_reply_to=in_reply_to,
        references=references,
        headers=headers,
        message_id=message_id,
    )
    return enqueue_mails(uow, [draft])[0]


def enqueue_mails(uow: UnitOfWork, drafts: Sequence[MailDraft]) -> list[OutboxMessage]:
    """Queue messages as ``enqueue_mail`` does each, in one INSERT and one audit statement (a mail
    group's acknowledgements); nothing is queued when one is refused."""
    if not drafts:
        return []
    now = uow.now()
    rows = [_outbox_row(uow, draft, now) for draft in drafts]
    messages = insert_objects(uow.session, OutboxMessage, rows)
    record_audits(
        uow,
        [
            audit_row(
                uow,
                action="outbox.enqueue",
                entity="outbox",
                entity_id=message.id,
                after={
                    "kind": message.kind,
                    "to": message.to_addrs,
                    "subject": (message.headers or {}).get("Subject") or message.subject,
                    "ticket_id": message.ticket_id,
                },
            )
            for message in messages
        ],
    )
    return messages


def _outbox_row(uow: UnitOfWork, draft: MailDraft, now: datetime) -> dict[str, Any]:
    recipients = _checked_recipients(draft.kind, draft.to)
    subject = " ".join(draft.subject.split())
    in_reply_to, references = draft.in_reply_to, draft.references
    if draft.ticket_id is not None and in_reply_to is None and references is None:
        in_reply_to, references = thread_headers(uow, ticket_id=draft.ticket_id)
    # A Message-ID is one token: one too long for a header line (a client's, up to 998 characters)
    # would make a line over RFC 5322's 998; it is left out of the threading (the subject's [#N] stays).
    if in_reply_to is not None and len(in_reply_to) > MAX_THREAD_ID:
        in_reply_to = None
    references = [ref for ref in references or [] if len(ref) <= MAX_THREAD_ID]
    extra = dict(draft.headers or {})
    if draft.kind != "reply":  # no person wrote it: an autoresponder must not answer it (RFC 3834)
        extra.setdefault("Auto-Submitted", "auto-generated")
    if draft.from_address:
        extra["From"] = draft.from_address
    extra.pop("Subject", None)
    if len(subject) > SUBJECT_COLUMN:  # RFC 5322 limits a line, not a header: the sender folds it
        extra["Subject"] = subject
    return {
        "kind": draft.kind,
        "account": draft.account,
        "to_addrs": recipients,
        "subject": subject[:SUBJECT_COLUMN],
        "body": draft.body,
        "message_id": draft.message_id or new_message_id(domain_of(draft.from_address)),
        "in_reply_to": in_reply_to,
        "references": " ".join(references or []) or None,
        "headers": extra,
        "ticket_id": draft.ticket_id,
        "event_id": draft.event_id,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
        "failed_at": None,
    }


def _checked_recipients(kind: str, to: list[str]) -> list[str]:
    """The normalised recipients of a mail of ``kind``; ``InvalidInput`` names what is wrong."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown outbox kind {kind!r} (one of: {', '.join(KINDS)})", where="kind")
    recipients = [normalize_email(address, where="to") for address in to if address and address.strip()]
    if not recipients:
        raise InvalidInput("a mail needs at least one recipient", where="to")
    return recipients


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
