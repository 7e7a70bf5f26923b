"""Incoming mail into tickets: one message, one unit of work.

The poller converts raw bytes (``hotline.mailbox.convert``) and hands the result here as plain data
(``IncomingMail``), so core needs nothing from the mailbox face. ``take_in`` deduplicates, threads the
message onto its ticket or opens one, files the attachments, queues an acknowledgement when one is due,
and writes the processed-message record — all in the caller's transaction, so a crash leaves either
nothing or all of it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, insert, or_, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from hotline.core.emails import normalize_email
from hotline.core.errors import HotlineError, NotFound
from hotline.core.models import (
    Attachment,
    Client,
    ClientEmail,
    FailedMessage,
    MailAccountState,
    OutboxMessage,
    ProcessedMessage,
    Queue,
    Ticket,
    TicketEvent,
)
from hotline.core.models.enums import EventKind
from hotline.core.services.audit import record_audit
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.outbox import (
    acknowledgement_id,
    acknowledgements_today,
    domain_of,
    enqueue_mail,
    ticket_subject,
)
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import add_event, create_ticket, get_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.sla.policy import SlaSetup

NO_SUBJECT = "(no subject)"
MESSAGE_ID_LOCK = 0x6D61696C  # "mail": the advisory-lock namespace of incoming Message-IDs (PostgreSQL)
ACKNOWLEDGEMENT = """\
Hello{name},

thank you for your message. We have registered it as ticket #{number}:

    {subject}

Please keep [#{number}] in the subject when you write to us about it.
This is an automatic acknowledgement; please do not reply to it only to confirm.
"""


@dataclass(frozen=True)
class MailFile:
    """An attachment as the intake needs it; ``content`` None means left out for the size limit."""

    filename: str
    content_type: str
    size: int
    content: bytes | None
    inline: bool = False


@dataclass(frozen=True)
class IncomingMail:
    """A converted message: display-safe text, addresses, threading keys and the loop verdict."""

    message_id: str | None
    subject: str
    from_address: str
    from_name: str
    thread_ids: tuple[str, ...] = ()
    ticket_number: int | None = None
    new_text: str = ""
    quoted_text: str = ""
    to_addresses: tuple[str, ...] = ()
    cc_addresses: tuple[str, ...] = ()
    date: datetime | None = None
    attachments: tuple[MailFile, ...] = ()
    omitted: tuple[str, ...] = ()
    automated_kind: str | None = None
    """None for mail from a person; else bounce, auto-reply, auto-generated, list or bulk."""
    automated_reasons: tuple[str, ...] = ()
    size: int = 0


@dataclass(frozen=True)
class MailboxRef:
    """The account a message came from, as far as the intake cares."""

    name: str
    queue: str
    from_address: str
    acknowledge: bool = True
    acknowledgements_per_day: int = 3


@dataclass
class IntakeResult:
    ticket_number: int | None
    created: bool = False
    duplicate: bool = False
    acknowledged: bool = False
    event_id: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class IntakeContext:
    """What stays the same for a group of messages taken in in one unit of work, looked up once: the
    account's queue (held here, so the session keeps it and reads of it need no query)."""

    queue: Queue | None = None


def prepare_intake(uow: UnitOfWork, *, mailbox: MailboxRef) -> IntakeContext:
    """Look up (or create) the account's queue once for a group; call it outside the messages'
    savepoints, so a message rolled back alone cannot take the queue with it."""
    return IntakeContext(queue=ensure_queue(uow, name=mailbox.queue))


def synthetic_message_id(raw: bytes) -> str:
    """A stable stand-in Message-ID for mail that has none, so a re-run still recognises it."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@hotline.invalid>"


def already_processed(uow: UnitOfWork, *, account: str, uidvalidity: int, uids: list[int]) -> set[int]:
    """Which of these UIDs are recorded as processed or failed (a re-run only flags them)."""
    done: set[int] = set()
    for table in (ProcessedMessage, FailedMessage):
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            done |= set(
                uow.session.exec(
                    select(table.uid).where(
                        table.account == account, table.uidvalidity == uidvalidity, col(table.uid).in_(chunk)
                    )
                )
            )
    return done


def take_in(
    uow: UnitOfWork,
    *,
    mailbox: MailboxRef,
    uidvalidity: int,
    uid: int,
    mail: IncomingMail,
    sla: SlaSetup | None = None,
    default_region: str = "RU",
    context: IntakeContext | None = None,
) -> IntakeResult:
    """Turn one converted message into a ticket or an event on one, plus its processed record."""
    session = uow.session
    now = uow.now()
    if mail.message_id and session.get_bind().dialect.name == "postgresql":
        # Two polls (overlapping runs, or two accounts given the same mail) taking in one Message-ID
        # under different UIDs: the second waits here until the first commits, then finds its record
        # below. Held to the end of the transaction. (SQLite has one writer at a time already.)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:message_id))"),
            {"namespace": MESSAGE_ID_LOCK, "message_id": mail.message_id},
        )
    same_uid = (
        (ProcessedMessage.account == mailbox.name)
        & (ProcessedMessage.uidvalidity == uidvalidity)
        & (ProcessedMessage.uid == uid)
    )
    # One indexed query for both keys (this UID, this Message-ID); the UID's own record first.
    seen = session.exec(
        select(ProcessedMessage.ticket_id, case((same_uid, 0), else_=1))
        .where(or_(same_uid, ProcessedMessage.message_id == mail.message_id) if mail.message_id else same_uid)
        .order_by(case((same_uid, 0), else_=1))
        .limit(1)
    ).first()
    if seen is not None:
        ticket_id, by_message_id = seen
        if by_message_id:
            _record_processed(uow, mailbox, uidvalidity, uid, mail.message_id, ticket_id, None, now)
        return IntakeResult(ticket_number=_number(uow, ticket_id), duplicate=True)

    sender = _normalised(mail.from_address)
    # Every read before the first write, so none of them has to flush the writes first.
    client = _find_client(uow, sender)
    ticket = _thread(uow, mail)
    sent_today = _acknowledgements_sent(uow, mailbox, mail, sender) if ticket is None else None
    if client is None:
        client = _new_client(uow, sender, mail, default_region)
    client_id = client.id if client is not None else None
    body = mail.new_text
    if mail.omitted:
        body += "\n\n" + "\n".join(f"[left out: {note}]" for note in mail.omitted)
    data: dict[str, Any] = {
        "subject": mail.subject,
        "from": mail.from_address,
        "from_name": mail.from_name,
        "to": list(mail.to_addresses),
        "cc": list(mail.cc_addresses),
        "date": mail.date.isoformat() if mail.date else None,
        "quoted_text": mail.quoted_text,
        "account": mail_account_key(mailbox.name, uidvalidity, uid),
        "size": mail.size,
    }
    if mail.omitted:
        data["omitted"] = list(mail.omitted)
    if mail.automated_kind:
        data["automated"] = {"kind": mail.automated_kind, "reasons": list(mail.automated_reasons)}
    author = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    created = ticket is None
    if ticket is None:
        ticket = create_ticket(
            uow,
            subject=mail.subject or NO_SUBJECT,
            queue=mailbox.queue,
            client_id=client_id,
            requester=sender,
            sla=sla,
            queue_row=context.queue if context is not None else None,
        )
    event = add_event(
        uow,
        ticket=ticket,
        kind=EventKind.MESSAGE_IN,
        body=body,
        data=data,
        message_id=mail.message_id,
        author=author[:320],
        sla=sla,
    )
    if mail.attachments:  # one statement for all of them (their ids are not needed here)
        session.execute(
            insert(Attachment.__table__),  # type: ignore[attr-defined]
            [
                {
                    "event_id": event.id or 0,
                    "filename": item.filename[:500],
                    "content_type": item.content_type[:200],
                    "size": item.size,
                    "content": item.content,
                }
                for item in mail.attachments
            ],
        )
    if client is not None:
        if ticket.client_id is None:
            ticket.client_id = client_id
            session.add(ticket)
        if client.last_interaction_at is None or client.last_interaction_at < now:
            client.last_interaction_at = now  # as clients.touch_last_interaction, without reloading
            session.add(client)
    _record_processed(uow, mailbox, uidvalidity, uid, mail.message_id, ticket.id, event.id, now)
    result = IntakeResult(ticket_number=ticket.number, created=created, event_id=event.id)
    if created:
        result.acknowledged = _acknowledge(uow, mailbox, ticket, mail, sender, result, sent_today)
    record_audit(
        uow,
        action="mail.intake",
        entity="ticket",
        entity_id=ticket.number,
        after={
            "account": mailbox.name,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "message_id": mail.message_id,
            "created": created,
            "acknowledged": result.acknowledged,
        },
    )
    return result


def mail_account_key(account: str, uidvalidity: int, uid: int) -> str:
    return f"{account}/{uidvalidity}/{uid}"


def _number(uow: UnitOfWork, ticket_id: int | None) -> int | None:
    if ticket_id is None:
        return None
    ticket = uow.session.get(Ticket, ticket_id)
    return ticket.number if ticket else None


def _normalised(address: str) -> str | None:
    try:
        return normalize_email(address)
    except HotlineError:
        return None


def _record_processed(
    uow: UnitOfWork,
    mailbox: MailboxRef,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    ticket_id: int | None,
    event_id: int | None,
    now: datetime,
) -> None:
    uow.session.execute(  # a plain insert, at once: a second run's record of this UID fails here
        insert(ProcessedMessage.__table__).values(  # type: ignore[attr-defined]
            account=mailbox.name,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=message_id,
            ticket_id=ticket_id,
            event_id=event_id,
            processed_at=now,
        )
    )


def _thread(uow: UnitOfWork, mail: IncomingMail) -> Ticket | None:
    """The ticket this message answers: by the Message-IDs it names, else by its ``[#N]`` tag."""
    ids = [message_id for message_id in mail.thread_ids if message_id][:50]
    if ids:
        found = uow.session.exec(
            select(TicketEvent.ticket_id)
            .where(col(TicketEvent.message_id).in_(ids))
            .order_by(col(TicketEvent.created_at).desc(), col(TicketEvent.id).desc())
            .limit(1)
        ).first()
        if found is None:
            found = uow.session.exec(
                select(OutboxMessage.ticket_id)
                .where(col(OutboxMessage.message_id).in_(ids), col(OutboxMessage.ticket_id).is_not(None))
                .limit(1)
            ).first()
        if found is not None:
            return uow.session.get(Ticket, found)
    if mail.ticket_number is not None:
        try:
            return get_ticket(uow, number=mail.ticket_number)
        except NotFound:
            return None
    return None


def _find_client(uow: UnitOfWork, sender: str | None) -> Client | None:
    """The client with this address."""
    if sender is None:
        return None
    found = uow.session.exec(  # one indexed query (find_clients_by_contact takes two)
        select(Client)
        .join(ClientEmail, col(ClientEmail.client_id) == col(Client.id))
        .where(ClientEmail.address == sender)
        .order_by(col(Client.id))
        .limit(1)
    ).first()
    return found


def _new_client(
    uow: UnitOfWork, sender: str | None, mail: IncomingMail, default_region: str
) -> Client | None:
    """An unknown person becomes a new client (machines do not)."""
    if sender is None:
        return None
    if mail.automated_kind not in (None, "auto-reply"):
        return None
    name = mail.from_name.strip() or sender
    return create_client(
        uow, draft=ClientDraft(name=name[:300], emails=[sender]), default_region=default_region
    )


def _acknowledgements_sent(
    uow: UnitOfWork, mailbox: MailboxRef, mail: IncomingMail, sender: str | None
) -> int | None:
    """Today's acknowledgements to ``sender``, read early; None when none would be sent anyway."""
    if not mailbox.acknowledge or mail.automated_kind or sender is None:
        return None
    if sender == _normalised(mailbox.from_address):
        return None
    return acknowledgements_today(
        uow, sender=sender, limit=mailbox.acknowledgements_per_day, domain=domain_of(mailbox.from_address)
    )


def _acknowledge(
    uow: UnitOfWork,
    mailbox: MailboxRef,
    ticket: Ticket,
    mail: IncomingMail,
    sender: str | None,
    result: IntakeResult,
    sent_today: int | None = None,
) -> bool:
    """Queue the acknowledgement of a new ticket, unless the mail came from a machine, from ourselves,
    or the sender has had today's share already."""
    if not mailbox.acknowledge:
        result.notes.append("acknowledgements off for this account")
        return False
    if mail.automated_kind:
        result.notes.append(f"not acknowledged: {mail.automated_kind}")
        return False
    if sender is None or sender == _normalised(mailbox.from_address):
        result.notes.append("not acknowledged: no usable sender address")
        return False
    domain = domain_of(mailbox.from_address)
    if sent_today is None:
        sent_today = acknowledgements_today(
            uow, sender=sender, limit=mailbox.acknowledgements_per_day, domain=domain
        )
    if sent_today >= mailbox.acknowledgements_per_day:
        result.notes.append(f"not acknowledged: {sender} had {sent_today} today")
        return False
    greeting = f" {mail.from_name}" if mail.from_name else ""
    body = ACKNOWLEDGEMENT.format(name=greeting, number=ticket.number, subject=ticket.subject)
    references = [mail.message_id] if mail.message_id else []
    try:
        with uow.session.begin_nested():
            enqueue_mail(
                uow,
                to=[sender],
                subject=ticket_subject(ticket.number, f"Re: {ticket.subject}"),
                body=body,
                kind="acknowledgement",
                account=mailbox.name,
                from_address=mailbox.from_address,
                ticket_id=ticket.id,
                in_reply_to=mail.message_id,
                references=references,
                headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
                message_id=acknowledgement_id(sender, uow.now(), sent_today + 1, domain),
            )
    except IntegrityError:
        result.notes.append("not acknowledged: a parallel run took the same slot")
        return False
    return True


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
    """Keep a message that could not be converted, whole, for a supervisor (idempotent per UID)."""
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
        reason=reason[:4000],
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
        after={"account": account, "uidvalidity": uidvalidity, "uid": uid, "reason": reason[:500]},
    )
    return failed


def list_failed(uow: UnitOfWork, *, account: str | None = None) -> list[FailedMessage]:
    query = select(FailedMessage).order_by(FailedMessage.received_at, FailedMessage.id)
    if account:
        query = query.where(FailedMessage.account == account)
    return list(uow.session.exec(query))


@dataclass(frozen=True)
class AccountState:
    uidvalidity: int | None
    last_uid: int


def account_state(uow: UnitOfWork, *, account: str) -> AccountState:
    row = uow.session.exec(select(MailAccountState).where(MailAccountState.account == account)).first()
    if row is None:
        return AccountState(uidvalidity=None, last_uid=0)
    return AccountState(uidvalidity=row.uidvalidity, last_uid=row.last_uid)


def save_account_state(uow: UnitOfWork, *, account: str, uidvalidity: int, last_uid: int) -> None:
    """Remember where the poll got to; a new UIDVALIDITY starts the count again (never goes back
    within one UIDVALIDITY, so two overlapping runs cannot move it backwards)."""
    session = uow.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(  # two first runs at once: one row, no unique-key failure
        insert(MailAccountState)
        .values(account=account, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=uow.now())
        .on_conflict_do_nothing(index_elements=["account"])
    )
    row = session.exec(
        select(MailAccountState).where(MailAccountState.account == account).with_for_update()
    ).one()
    session.refresh(row)
    if row.uidvalidity is None:
        row.uidvalidity = uidvalidity
    elif row.uidvalidity != uidvalidity:
        record_audit(
            uow,
            action="mail.uidvalidity_changed",
            entity="mail_account_state",
            entity_id=account,
            before={"uidvalidity": row.uidvalidity, "last_uid": row.last_uid},
            after={"uidvalidity": uidvalidity, "last_uid": last_uid},
        )
        row.uidvalidity = uidvalidity
        row.last_uid = last_uid
    else:
        row.last_uid = max(row.last_uid, last_uid)
    row.updated_at = uow.now()
    uow.session.add(row)


def forget_processed_before(uow: UnitOfWork, *, older_than: timedelta) -> int:
    """Housekeeping: processed records older than this (their Message-IDs stay on the events)."""
    cutoff = uow.now() - older_than
    result = uow.session.execute(delete(ProcessedMessage).where(col(ProcessedMessage.processed_at) < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
