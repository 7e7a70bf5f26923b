"""Taking one converted message in: a new ticket, or an event on the ticket it answers, exactly once.

``take_in`` works in its own savepoint of the caller's unit of work. It reads first (was the message
taken in before, who wrote, which ticket it answers, whether it is acknowledged), then writes the
ticket or event with its attachments, a client for a new person, the processed record, the
acknowledgement and the audit entry. A failure rolls back that message alone; a crash leaves either
nothing or all of it, and the server is told only after the commit (the poller's part).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from hotline.core.models import Client, OutboxMessage, Queue, Ticket
from hotline.core.rules.engine import conduct
from hotline.core.search import reindex_clients
from hotline.core.services.audit import audit_row, record_audit, record_audits
from hotline.core.services.mail.acknowledgement import (
    Acknowledgement,
    decide_acknowledgement,
    send_acknowledgement,
)
from hotline.core.services.mail.delivery import outbox_row_bounced, record_bounce
from hotline.core.services.mail.duplicates import (
    EarlierDelivery,
    already_processed,
    earlier_delivery,
    record_processed,
    restored_copy,
)
from hotline.core.services.mail.intake_group import GroupReads, read_group
from hotline.core.services.mail.message_event import add_message_event
from hotline.core.services.mail.senders import (
    client_by_address,
    new_client_for,
    normalised_address,
    note_contact,
    our_addresses,
)
from hotline.core.services.mail.threads import ticket_answered
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import create_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
    from hotline.core.sla.policy import SlaSetup

NO_SUBJECT = "(no subject)"
TAKEN_IN_BEFORE = Acknowledgement(reason="taken in before")


class IntakeOutcome(StrEnum):
    """What became of one message (the poller counts them)."""

    CREATED = "created"
    """A new ticket."""
    THREADED = "threaded"
    """An event on the ticket it answers."""
    DUPLICATE = "duplicate"
    """Taken in before; at most recorded again under this UID."""
    BOUNCED = "bounced"
    """A bounce of our own mail: its outbox row marked failed, no ticket opened."""
    FAILED = "failed"
    """Kept as a failed message (``hotline mail failed``)."""


@dataclass(frozen=True)
class IntakeResult:
    """One message taken in: its outcome, its ticket and the verdict on acknowledging it."""

    outcome: IntakeOutcome
    ticket_number: int | None = None
    event_id: int | None = None
    acknowledgement: Acknowledgement = TAKEN_IN_BEFORE

    @property
    def created(self) -> bool:
        return self.outcome is IntakeOutcome.CREATED

    @property
    def duplicate(self) -> bool:
        return self.outcome is IntakeOutcome.DUPLICATE

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement.due


@dataclass
class IntakeContext:
    """What stays the same for a group of messages taken in in one unit of work, looked up once: the
    account's queue (held here, so the session keeps it and reads of it need no query), and what the
    group's messages need from the database, read together (``intake_group``)."""

    queue: Queue | None = None
    reads: GroupReads | None = None


@dataclass(frozen=True)
class MessagePlace:
    """The message's place on the server: account, folder generation and UID."""

    mailbox: MailboxRef
    uidvalidity: int
    uid: int

    @property
    def key(self) -> str:
        return f"{self.mailbox.name}/{self.uidvalidity}/{self.uid}"


def prepare_intake(
    uow: UnitOfWork,
    *,
    mailbox: MailboxRef,
    uidvalidity: int | None = None,
    mails: list[tuple[int, IncomingMail]] | None = None,
) -> IntakeContext:
    """Look up (or create) the account's queue once for a group, and read what the group's ``mails``
    (UID, message) need (``read_group``), each in its own savepoint; call it outside the messages'
    savepoints, so a message rolled back alone cannot take the queue with it. Without ``mails`` each
    message reads for itself."""
    with uow.session.begin_nested():
        queue = ensure_queue(uow, name=mailbox.queue)
    if mails is None or uidvalidity is None:
        return IntakeContext(queue=queue)
    with uow.session.begin_nested():
        reads = read_group(uow, mailbox=mailbox, uidvalidity=uidvalidity, mails=mails)
    return IntakeContext(queue=queue, reads=reads)


def finish_intake(uow: UnitOfWork, context: IntakeContext) -> None:
    """After the group's last message: write its messages' ``mail.intake`` audit entries and index the
    clients it created for the search, each in one go (the trail and the lookup have them once the
    group commits, as they would have had each)."""
    if context.reads is not None:
        record_audits(uow, context.reads.audits)
    if context.reads is not None and context.reads.new_clients:
        uow.session.flush()
        reindex_clients(uow.session, context.reads.new_clients)


def take_in(
    uow: UnitOfWork,
    *,
    mailbox: MailboxRef,
    uidvalidity: int,
    uid: int,
    mail: IncomingMail,
    sla: SlaSetup | None,
    context: IntakeContext | None = None,
) -> IntakeResult:
    """Turn one converted message into a ticket or an event on one, plus its processed record, in its
    own savepoint: on failure this message alone is rolled back and the error raised. A UID that an
    overlapping run recorded first is a duplicate."""
    where = MessagePlace(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
    reads = context.reads if context is not None else None
    if reads is not None:
        reads.begin(uid, mail)
    try:
        with uow.session.begin_nested():
            result = _take_in(uow, where, mail, sla, context)
    except IntegrityError:
        if reads is not None:
            reads.drop()
        if not already_processed(uow, account=mailbox.name, uidvalidity=uidvalidity, uids=[uid]):
            raise
        return IntakeResult(outcome=IntakeOutcome.DUPLICATE)
    except BaseException:
        if reads is not None:
            reads.drop()
        raise
    if reads is not None:
        reads.keep()
    return result


def _take_in(
    uow: UnitOfWork,
    where: MessagePlace,
    mail: IncomingMail,
    sla: SlaSetup | None,
    context: IntakeContext | None,
) -> IntakeResult:
    reads = context.reads if context is not None else None
    if reads is not None:
        earlier = reads.earlier(where.uid, mail.sender_message_id, mail.content_digest)
    else:
        earlier = earlier_delivery(
            uow,
            account=where.mailbox.name,
            uidvalidity=where.uidvalidity,
            uid=where.uid,
            message_id=mail.sender_message_id,
            content_digest=mail.content_digest,
        )
    if earlier is None and mail.sender_message_id is None and mail.message_id:
        earlier = restored_copy(
            uow, account=where.mailbox.name, uidvalidity=where.uidvalidity, message_id=mail.message_id
        )
    if earlier is not None:
        return _duplicate(uow, where, mail, earlier, reads)
    if mail.bounce is not None and (bounced := _bounce_of_ours(uow, where, mail, reads)) is not None:
        return bounced
    # Every read before the first write, so none of them has to flush the writes first.
    sender = normalised_address(mail.from_address)
    if reads is not None:
        client, answered = reads.client(sender), reads.answered(uow, mail)
    else:
        client, answered = client_by_address(uow, sender), ticket_answered(uow, mail)
    verdict = decide_acknowledgement(
        uow,
        mailbox=where.mailbox,
        mail=mail,
        sender=sender,
        answers=answered,
        sent_today=reads.acknowledgements_today(sender) if reads is not None and sender else None,
    )
    if client is None:
        client = new_client_for(
            uow,
            address=sender,
            mail=mail,
            default_region=where.mailbox.default_region,
            index=reads is None,  # the group's new clients are indexed together at its end
            ours=our_addresses(where.mailbox),
        )
        if client is not None and reads is not None and sender is not None:
            reads.wrote(client=(sender, client))
    if answered is not None:
        ticket, outcome = answered, IntakeOutcome.THREADED
    else:
        ticket, outcome = _open_ticket(uow, where, mail, client, sender, sla, context), IntakeOutcome.CREATED
    event = add_message_event(uow, ticket=ticket, mail=mail, account_key=where.key, sla=sla)
    if client is not None:
        note_contact(uow, client=client, ticket=ticket)
    _conduct(uow, mail, ticket, sender, created=outcome is IntakeOutcome.CREATED)
    _record(uow, where, mail, ticket_id=ticket.id, event_id=event.id)
    verdict = send_acknowledgement(uow, decision=verdict, mailbox=where.mailbox, ticket=ticket, mail=mail)
    if reads is not None:
        reads.wrote(ticket=ticket, event_id=event.id, at=event.created_at, acknowledged=verdict.to)
    _audit(
        uow, where, mail, ticket_number=ticket.number, outcome=outcome, acknowledgement=verdict, reads=reads
    )
    return IntakeResult(
        outcome=outcome, ticket_number=ticket.number, event_id=event.id, acknowledgement=verdict
    )


def _duplicate(
    uow: UnitOfWork,
    where: MessagePlace,
    mail: IncomingMail,
    earlier: EarlierDelivery,
    reads: GroupReads | None,
) -> IntakeResult:
    """The same message again: recorded under this UID too when it was taken in under another."""
    if not earlier.same_uid:
        _record(uow, where, mail, ticket_id=earlier.ticket_id, event_id=None)
    ticket = uow.session.get(Ticket, earlier.ticket_id) if earlier.ticket_id is not None else None
    if reads is not None and ticket is not None:
        reads.wrote(ticket=ticket)
    return IntakeResult(outcome=IntakeOutcome.DUPLICATE, ticket_number=ticket.number if ticket else None)


def _bounce_of_ours(
    uow: UnitOfWork, where: MessagePlace, mail: IncomingMail, reads: GroupReads | None
) -> IntakeResult | None:
    """A bounce that names a message of our outbox marks it failed (shown on its ticket) instead of
    opening a ticket; a bounce that names none of ours is taken in like other mail."""
    bounce = mail.bounce
    if bounce is None:
        return None
    outbox_id = outbox_row_bounced(uow, original_ids=bounce.original_ids, verp_ids=bounce.verp_ids)
    if outbox_id is None:
        return None
    record_bounce(uow, outbox_id=outbox_id, reason=bounce.reason, bounce_message_id=mail.message_id)
    row = uow.session.get(OutboxMessage, outbox_id)
    ticket = uow.session.get(Ticket, row.ticket_id) if row is not None and row.ticket_id else None
    _record(uow, where, mail, ticket_id=ticket.id if ticket else None, event_id=None)
    if reads is not None and ticket is not None:
        reads.wrote(ticket=ticket)
    after = {
        "account": where.mailbox.name,
        "uid": where.uid,
        "message_id": mail.message_id,
        "outbox": outbox_id,
    }
    record_audit(uow, action="mail.bounce", entity="outbox", entity_id=outbox_id, after=after)
    return IntakeResult(outcome=IntakeOutcome.BOUNCED, ticket_number=ticket.number if ticket else None)


def _open_ticket(
    uow: UnitOfWork,
    where: MessagePlace,
    mail: IncomingMail,
    client: Client | None,
    sender: str | None,
    sla: SlaSetup | None,
    context: IntakeContext | None,
) -> Ticket:
    """A new ticket in the account's queue, for the client (if any), answered to the sender."""
    return create_ticket(
        uow,
        subject=mail.subject or NO_SUBJECT,
        queue=where.mailbox.queue,
        client_id=client.id if client is not None else None,
        requester=sender,
        sla=sla,
        queue_row=context.queue if context is not None else None,
        run_rules=False,
        typed=False,
    )


def _conduct(
    uow: UnitOfWork, mail: IncomingMail, ticket: Ticket, sender: str | None, *, created: bool
) -> None:
    """The event rules: ``ticket.created`` for a new ticket (now that its message is written), then
    ``mail.received`` for every message taken in."""
    subject, body = mail.subject or NO_SUBJECT, mail.new_text
    facts = {"ticket": ticket, "channel": "email", "subject": subject, "body": body, "sender": sender}
    facts |= {"from_mail": True, "automated": mail.automated_kind}
    if created:
        conduct(uow, "ticket.created", **facts)
    extra = {"mail.from": sender or "", "mail.subject": subject}
    conduct(uow, "mail.received", extra=extra, **facts)


def _record(
    uow: UnitOfWork, where: MessagePlace, mail: IncomingMail, *, ticket_id: int | None, event_id: int | None
) -> None:
    record_processed(
        uow,
        account=where.mailbox.name,
        uidvalidity=where.uidvalidity,
        uid=where.uid,
        message_id=mail.message_id,
        content_digest=mail.content_digest,
        ticket_id=ticket_id,
        event_id=event_id,
    )


def _audit(
    uow: UnitOfWork,
    where: MessagePlace,
    mail: IncomingMail,
    *,
    ticket_number: int,
    outcome: IntakeOutcome,
    acknowledgement: Acknowledgement,
    reads: GroupReads | None,
) -> None:
    """The ``mail.intake`` entry; a group's are written together at its end (``finish_intake``)."""
    after = intake_audit_after(where, mail, outcome=outcome, acknowledgement=acknowledgement)
    if reads is not None:
        reads.wrote(
            audit=audit_row(uow, action="mail.intake", entity="ticket", entity_id=ticket_number, after=after)
        )
        return
    record_audit(uow, action="mail.intake", entity="ticket", entity_id=ticket_number, after=after)


def intake_audit_after(
    where: MessagePlace, mail: IncomingMail, *, outcome: IntakeOutcome, acknowledgement: Acknowledgement
) -> dict[str, Any]:
    """What a ``mail.intake`` audit entry records of a message taken in."""
    after: dict[str, Any] = {
        "account": where.mailbox.name,
        "uidvalidity": where.uidvalidity,
        "uid": where.uid,
        "message_id": mail.message_id,
        "created": outcome is IntakeOutcome.CREATED,
        "acknowledged": acknowledgement.due,
    }
    if not acknowledgement.due:
        after["not_acknowledged"] = acknowledgement.reason  # why not, for a supervisor asking
    return after
