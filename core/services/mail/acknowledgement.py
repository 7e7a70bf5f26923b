"""The acknowledgement of a new ticket: whether one is sent (one rule) and the mail itself.

``decide_acknowledgement`` is the only place that decides; the intake asks it once, before its first
write, and ``send_acknowledgement`` queues what it allowed. Answering machines is how two systems end
up mailing each other thousands of times, so mail a machine sent is never acknowledged, and no sender
gets more than the daily share, whatever it sends.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from hotline.core.models import OutboxMessage, Ticket
from hotline.core.services.mail.senders import our_addresses
from hotline.core.services.outbox import MailDraft, domain_of, enqueue_mails, new_message_id, ticket_subject

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef

ACKNOWLEDGEMENT = """\
Hello{name},

thank you for your message. We have registered it as ticket #{number}:

    {subject}

Please keep [#{number}] in the subject when you write to us about it.
This is an automatic acknowledgement; please do not reply to it only to confirm.
"""
LOOP_HEADERS = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
_SLOT_ID = re.compile(r"<(?:ack|rule)\.\d{8}\.[0-9a-f]{20}\.\d+@")


@dataclass(frozen=True)
class Acknowledgement:
    """The verdict on acknowledging one message."""

    slot: int | None = None
    """Which of today's acknowledgements to the sender this is (1 for the first); None: none is sent."""
    to: str | None = None
    """The sender's normalised address, when one is sent."""
    reason: str = ""
    """Why none is sent."""

    @property
    def due(self) -> bool:
        return self.slot is not None


def decide_acknowledgement(
    uow: UnitOfWork,
    *,
    mailbox: MailboxRef,
    mail: IncomingMail,
    sender: str | None,
    answers: Ticket | None,
    sent_today: int | None = None,
) -> Acknowledgement:
    """Whether the sender of ``mail`` is acknowledged: only for a new ticket (``answers`` is the ticket
    the mail threads onto, if any), only where the account acknowledges and can send (has an SMTP
    server), never for mail a machine sent
    (bounce, auto-reply, list or bulk mail), never without a usable address or to ourselves (any of our
    accounts' addresses), and at most
    ``acknowledgements_per_day`` times a day per sender. Reads only: the intake asks before it writes.
    ``sent_today``: the sender's count today, when the caller read it already (a group's intake)."""
    if answers is not None:
        return Acknowledgement(reason=f"answers ticket #{answers.number}")
    if not mailbox.acknowledge:
        return Acknowledgement(reason="acknowledgements off for this account")
    if not mailbox.can_send:
        return Acknowledgement(reason="the account has no SMTP server to send it")
    if mail.automated_kind:
        return Acknowledgement(reason=f"sent by a machine ({mail.automated_kind})")
    if sender is None:
        return Acknowledgement(reason="no usable sender address")
    if sender in our_addresses(mailbox):
        return Acknowledgement(reason="sent from our own address")
    limit = mailbox.acknowledgements_per_day
    sent = sent_today
    if sent is None:
        sent = acknowledgements_today(uow, sender=sender, limit=limit, domain=domain_of(mailbox.from_address))
    if sent >= limit:
        return Acknowledgement(reason=f"{sender} had {sent} today")
    return Acknowledgement(slot=sent + 1, to=sender)


def send_acknowledgement(
    uow: UnitOfWork,
    *,
    decision: Acknowledgement,
    mailbox: MailboxRef,
    ticket: Ticket,
    mail: IncomingMail,
) -> Acknowledgement:
    """Queue the acknowledgement ``decision`` allows, in its own savepoint. Its Message-ID names the
    sender, the day and the slot, so a parallel run that took the same slot first wins and this one is
    not sent (the verdict returned says so)."""
    if decision.slot is None or decision.to is None:
        return decision
    try:
        with uow.session.begin_nested():
            enqueue_mails(
                uow, [acknowledgement_mail(uow, decision, mailbox=mailbox, ticket=ticket, mail=mail)]
            )
    except IntegrityError:
        return Acknowledgement(reason="a parallel run took the same slot")
    return decision


def acknowledgement_mail(
    uow: UnitOfWork, decision: Acknowledgement, *, mailbox: MailboxRef, ticket: Ticket, mail: IncomingMail
) -> MailDraft:
    """The acknowledgement ``decision`` allows (it has a slot and an address), as a mail to queue. A
    caller queuing several together (``enqueue_mails``) has no savepoint for each: a slot a parallel
    run took makes them all fail, and the caller takes the messages in one by one."""
    to, slot = decision.to or "", decision.slot or 0
    greeting = f" {mail.from_name}" if mail.from_name else ""
    domain = domain_of(mailbox.from_address)
    return MailDraft(
        to=[to],
        subject=ticket_subject(ticket.number, f"Re: {ticket.subject}"),
        body=ACKNOWLEDGEMENT.format(name=greeting, number=ticket.number, subject=ticket.subject),
        kind="acknowledgement",
        account=mailbox.name,
        from_address=mailbox.from_address,
        ticket_id=ticket.id,
        in_reply_to=mail.message_id,
        references=[mail.message_id] if mail.message_id else [],
        headers=dict(LOOP_HEADERS),
        message_id=acknowledgement_id(to, uow.now(), slot, domain),
    )


def acknowledgement_id(
    sender: str, day: datetime, slot: int, domain: str | None, *, kind: str = "ack"
) -> str:
    """The Message-ID of the ``slot``-th automatic mail of ``kind`` (``ack``: an acknowledgement,
    ``rule``: a rule's mail answering a message) to ``sender`` on ``day``: deterministic, so the
    per-sender daily cap is a lookup of a few unique keys, and a parallel run's mail in the same slot
    makes this one's insert fail."""
    digest = hashlib.sha256(sender.lower().encode()).hexdigest()[:20]
    return new_message_id(domain, local=f"{kind}.{day:%Y%m%d}.{digest}.{slot}")


def is_slot_id(message_id: str) -> bool:
    """Whether ``message_id`` has the form of ``acknowledgement_id``'s: anyone who knows an address and
    the day can compute one, so mail naming it proves no more than a ``[#N]`` tag does."""
    return _SLOT_ID.match(message_id) is not None


def acknowledgements_today(
    uow: UnitOfWork, *, sender: str, limit: int, domain: str | None, kind: str = "ack"
) -> int:
    """How many automatic mails of ``kind`` ``sender`` got today (UTC), counting up to ``limit``."""
    today = uow.now()
    keys = [acknowledgement_id(sender, today, slot, domain, kind=kind) for slot in range(1, limit + 1)]
    if not keys:
        return 0
    return uow.session.exec(
        select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.message_id).in_(keys))
    ).one()
