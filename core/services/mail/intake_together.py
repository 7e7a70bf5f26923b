"""Taking a run of a fetched group's messages in together: each planned as ``take_in`` would take it
in, then all of them written with a few statements (one INSERT each for the new clients, the tickets,
the events, the attachments, the processed records and the acknowledgements).

The plan follows the messages in order over the group's reads (``GroupReads``) and what the run's
earlier messages are to write, so the outcome is what taking them in one by one gives: the same
clients, tickets and numbers, events, records, acknowledgements and audit entries. A message whose plan
needs what the run has not written yet (a duplicate of one of its messages, a ``[#N]`` tag that may
name one of its new tickets) ends the run; the next run starts with it. A message a run does not take
(a bounce, a subject that is refused, a failure while planning) is taken in alone (``take_in``). The run
is written in one savepoint: when that fails, nothing of it stays and its messages are taken in one by
one, each failing alone as it would have. Event rules see each message's ticket as the messages before
it left it, so where rules listen to what the intake raises, every message is taken in alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from hotline.core.db import classify_database_error
from hotline.core.errors import Unavailable
from hotline.core.models import Ticket
from hotline.core.rules.engine import rule_book
from hotline.core.services.audit import audit_row
from hotline.core.services.mail.acknowledgement import (
    Acknowledgement,
    acknowledgement_mail,
    decide_acknowledgement,
    is_slot_id,
)
from hotline.core.services.mail.duplicates import processed_row, record_processed_rows, restored_copy
from hotline.core.services.mail.intake import (
    NO_SUBJECT,
    TAKEN_IN_BEFORE,
    IntakeContext,
    IntakeOutcome,
    IntakeResult,
    MessagePlace,
    intake_audit_after,
)
from hotline.core.services.mail.message_event import add_message_events
from hotline.core.services.mail.senders import (
    is_person,
    new_clients_for,
    normalised_address,
    note_contact,
    our_addresses,
)
from hotline.core.services.mail.threads import answer_ids
from hotline.core.services.outbox import enqueue_mails
from hotline.core.services.tickets import TicketDraft, WrittenEvent, create_tickets
from hotline.core.services.tickets.create import clean_subject

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.models import Client, Queue
    from hotline.core.services.mail.duplicates import EarlierDelivery
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
    from hotline.core.services.mail.intake_group import GroupReads
    from hotline.core.sla.policy import SlaSetup

log = logging.getLogger("hotline.mail")

RULE_EVENTS = ("ticket.created", "mail.received", "client.created")
"""What the intake raises: where rules listen to any of these, messages are taken in one by one."""


@dataclass(frozen=True)
class Together:
    """What one call of ``take_in_together`` did."""

    results: list[IntakeResult]
    """The results of the first messages, taken in together, in order."""
    alone: int
    """How many of the messages after those to take in one by one (``take_in``) before the next run."""


class _Verdict(Enum):
    JOINS = "joins"
    ENDS_RUN = "ends the run"
    ALONE = "alone"


@dataclass
class _Message:
    """One message of the run: what its plan decided, and what writing it gave."""

    place: MessagePlace
    mail: IncomingMail
    sender: str | None = None
    earlier: EarlierDelivery | None = None
    client: Client | None = None
    new_client: int | None = None
    """Index of the run's new client that is its sender."""
    introduces_client: bool = False
    """Whether the run creates that client for this message (its sender's first in the group)."""
    ticket: Ticket | None = None
    """The ticket it goes onto (or, for a duplicate, the earlier delivery's)."""
    opens: int | None = None
    """Index of the run's new ticket it goes onto."""
    created: bool = False
    event: WrittenEvent | None = None
    acknowledgement: Acknowledgement = TAKEN_IN_BEFORE


def take_in_together(
    uow: UnitOfWork,
    *,
    mailbox: MailboxRef,
    uidvalidity: int,
    mails: list[tuple[int, IncomingMail]],
    sla: SlaSetup | None,
    context: IntakeContext,
) -> Together:
    """Take in the longest run of ``mails`` (UID, message), from the first, that can be taken in
    together, and say how many of the messages after it go alone. Messages are taken in alone when the
    group has no reads or no queue (``prepare_intake`` failed) or when rules listen to the intake."""
    if not mails:
        return Together(results=[], alone=0)
    if context.reads is None or context.queue is None or _rules_listen(uow):
        return Together(results=[], alone=len(mails))
    run = _Run(uow, mailbox=mailbox, sla=sla, reads=context.reads, queue=context.queue)
    verdict = _Verdict.JOINS
    for uid, mail in mails:
        verdict = run.plan(MessagePlace(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid), mail)
        if verdict is not _Verdict.JOINS:
            break
    if not run.messages:
        return Together(results=[], alone=1)
    try:
        results = run.write()
    except Exception as error:
        if isinstance(classify_database_error(error), Unavailable):
            raise
        log.info("%s: %d messages taken in one by one: %s", mailbox.name, len(run.messages), error)
        return Together(results=[], alone=len(run.messages))
    run.tell_reads()
    return Together(results=results, alone=1 if verdict is _Verdict.ALONE else 0)


def _rules_listen(uow: UnitOfWork) -> bool:
    book = rule_book(uow)
    return book is not None and any(book.for_event(event) for event in RULE_EVENTS)


class _Run:
    """The messages planned so far, and the clients and tickets they are to create."""

    def __init__(
        self, uow: UnitOfWork, *, mailbox: MailboxRef, sla: SlaSetup | None, reads: GroupReads, queue: Queue
    ) -> None:
        self.uow, self.mailbox, self.sla, self.reads, self.queue = uow, mailbox, sla, reads, queue
        self.messages: list[_Message] = []
        self.people: list[tuple[str, IncomingMail]] = []
        """The new clients to create: (address, the mail that introduced them)."""
        self.new_client_of: dict[str, int] = {}
        self.openers: list[_Message] = []
        """The messages that open a new ticket, in order."""
        self.event_of: dict[str, int] = {}
        """Message-ID → the latest message of the run whose event carries it (index)."""
        self.digests: dict[str, list[str | None]] = {}
        """Message-ID → the content digests of the run's messages carrying it."""

    # Planning: reads only ---------------------------------------------------------------------------

    def plan(self, place: MessagePlace, mail: IncomingMail) -> _Verdict:
        """Plan one message as ``take_in`` would take it in, after the run's earlier messages."""
        try:
            return self._plan(place, mail)
        except Exception as error:
            if isinstance(classify_database_error(error), Unavailable):
                raise
            return _Verdict.ALONE

    def _plan(self, place: MessagePlace, mail: IncomingMail) -> _Verdict:
        reads, message = self.reads, _Message(place=place, mail=mail)
        earlier = reads.earlier(place.uid, mail.sender_message_id, mail.content_digest)
        if earlier is None and self._duplicate_in_run(mail):
            return _Verdict.ENDS_RUN
        if earlier is None and mail.sender_message_id is None and mail.message_id:
            restored = restored_copy(
                self.uow,
                account=place.mailbox.name,
                uidvalidity=place.uidvalidity,
                message_id=mail.message_id,
            )
            if restored is not None:  # counted against what is written: alone, after the run
                return _Verdict.ALONE
        if earlier is not None:
            message.earlier = earlier
            if earlier.ticket_id is not None:
                message.ticket = reads.tickets.get(earlier.ticket_id) or self.uow.session.get(
                    Ticket, earlier.ticket_id
                )
            self._add(message)
            return _Verdict.JOINS
        if mail.bounce is not None:
            return _Verdict.ALONE
        answered_in_run = self._answered_in_run(mail)
        if answered_in_run is not None:
            message.ticket, message.opens = answered_in_run.ticket, answered_in_run.opens
        else:
            message.ticket = reads.answered(self.uow, mail)
            if message.ticket is None and mail.ticket_number is not None and self.messages:
                # the tag may name one of the run's new tickets, or one its sender wrote on in the run
                return _Verdict.ENDS_RUN
        if message.ticket is None and message.opens is None:
            # Refused when blank: InvalidInput, and the message goes alone.
            clean_subject(mail.subject or NO_SUBJECT, typed=False)
            message.created = True
        message.sender = normalised_address(mail.from_address)
        self._choose_client(message)
        if message.created:
            message.opens = len(self.openers)
            self.openers.append(message)
        self._add(message)
        return _Verdict.JOINS

    def _duplicate_in_run(self, mail: IncomingMail) -> bool:
        """Whether an earlier message of the run is this one again (``GroupReads.earlier``'s rule)."""
        if not mail.sender_message_id:
            return False
        return any(
            digest is None or (mail.content_digest is not None and digest == mail.content_digest)
            for digest in self.digests.get(mail.sender_message_id, [])
        )

    def _answered_in_run(self, mail: IncomingMail) -> _Message | None:
        """The latest message of the run whose Message-ID this one's thread ids name: its event is
        newer than any the group read, so it is the one ``GroupReads.answered`` would find."""
        ids = answer_ids(mail)
        found = [
            self.event_of[message_id]
            for message_id in ids
            if message_id in self.event_of and not is_slot_id(message_id)
        ]
        return self.messages[max(found)] if found else None

    def _choose_client(self, message: _Message) -> None:
        sender = message.sender
        message.client = self.reads.client(sender)
        if message.client is not None or sender is None:
            return
        if sender in self.new_client_of:
            message.new_client = self.new_client_of[sender]
        elif is_person(sender, message.mail, ours=our_addresses(self.mailbox)):
            message.new_client = self.new_client_of[sender] = len(self.people)
            message.introduces_client = True
            self.people.append((sender, message.mail))

    def _add(self, message: _Message) -> None:
        index = len(self.messages)
        self.messages.append(message)
        message_id = message.mail.message_id
        if message_id:
            if message.mail.sender_message_id:
                self.digests.setdefault(message_id, []).append(message.mail.content_digest)
            if message.earlier is None:
                self.event_of[message_id] = index

    # Writing: all at once ---------------------------------------------------------------------------

    def write(self) -> list[IntakeResult]:
        """Write the run in one savepoint: every message's writes, as ``take_in`` makes them."""
        uow = self.uow
        with uow.session.begin_nested():
            clients = new_clients_for(uow, self.people)
            for message in self.messages:
                if message.new_client is not None:
                    message.client = clients[message.new_client]
            self._open_tickets()
            taken = [message for message in self.messages if message.earlier is None]
            events = add_message_events(
                uow, [(message.ticket, message.mail, message.place.key) for message in taken], sla=self.sla
            )
            for message, event in zip(taken, events, strict=True):
                message.event = event
                if message.client is not None:
                    note_contact(uow, client=message.client, ticket=message.ticket)  # type: ignore[arg-type]
            record_processed_rows(
                uow, [self._processed(message) for message in self.messages if _recorded(message)]
            )
            self._acknowledge(taken)
        return [self._result(message) for message in self.messages]

    def _open_tickets(self) -> None:
        drafts = [
            TicketDraft(
                subject=message.mail.subject or NO_SUBJECT,
                queue=self.mailbox.queue,
                client_id=message.client.id if message.client is not None else None,
                requester=message.sender,
                typed=False,
            )
            for message in self.openers
        ]
        tickets = create_tickets(
            self.uow, drafts, sla=self.sla, queues={self.mailbox.queue: self.queue}, run_rules=False
        )
        for message in self.messages:
            if message.opens is not None:
                message.ticket = tickets[message.opens]

    def _processed(self, message: _Message) -> dict[str, object]:
        ticket = message.ticket
        if message.earlier is not None:
            ticket_id = message.earlier.ticket_id
        else:
            ticket_id = ticket.id if ticket is not None else None
        return processed_row(
            self.uow,
            account=self.mailbox.name,
            uidvalidity=message.place.uidvalidity,
            uid=message.place.uid,
            message_id=message.mail.message_id,
            content_digest=message.mail.content_digest,
            ticket_id=ticket_id,
            event_id=message.event.id if message.event is not None else None,
        )

    def _acknowledge(self, taken: list[_Message]) -> None:
        """Each message's verdict, in order, counting the run's acknowledgements to the same sender;
        then the acknowledgements due, queued together."""
        uow, sent = self.uow, Counter[str]()
        due = []
        for message in taken:
            sender = message.sender
            message.acknowledgement = decide_acknowledgement(
                uow,
                mailbox=self.mailbox,
                mail=message.mail,
                sender=sender,
                answers=None if message.created else message.ticket,
                sent_today=self.reads.acknowledgements_today(sender) + sent[sender] if sender else None,
            )
            if message.acknowledgement.due and sender:
                sent[sender] += 1
                due.append(message)
        enqueue_mails(
            uow,
            [
                acknowledgement_mail(
                    uow,
                    message.acknowledgement,
                    mailbox=self.mailbox,
                    ticket=message.ticket,  # type: ignore[arg-type]
                    mail=message.mail,
                )
                for message in due
            ],
        )

    def _result(self, message: _Message) -> IntakeResult:
        ticket = message.ticket
        number = ticket.number if ticket is not None else None
        if message.earlier is not None:
            return IntakeResult(outcome=IntakeOutcome.DUPLICATE, ticket_number=number)
        outcome = IntakeOutcome.CREATED if message.created else IntakeOutcome.THREADED
        event = message.event
        return IntakeResult(
            outcome=outcome,
            ticket_number=number,
            event_id=event.id if event is not None else None,
            acknowledgement=message.acknowledgement,
        )

    # After the write: what later messages of the group see -----------------------------------------

    def tell_reads(self) -> None:
        """Tell the group's reads what each message wrote, in order, as ``take_in`` does after each."""
        reads = self.reads
        for message in self.messages:
            reads.begin(message.place.uid, message.mail)
            ticket, event = message.ticket, message.event
            if message.earlier is not None:
                if ticket is not None:
                    reads.wrote(ticket=ticket)
                reads.keep()
                continue
            if message.introduces_client and message.sender is not None and message.client is not None:
                reads.wrote(client=(message.sender, message.client))
            outcome = IntakeOutcome.CREATED if message.created else IntakeOutcome.THREADED
            after = intake_audit_after(
                message.place, message.mail, outcome=outcome, acknowledgement=message.acknowledgement
            )
            reads.wrote(
                ticket=ticket,
                event_id=event.id if event is not None else None,
                at=event.created_at if event is not None else None,
                acknowledged=message.acknowledgement.to,
                audit=audit_row(
                    self.uow,
                    action="mail.intake",
                    entity="ticket",
                    entity_id=ticket.number if ticket is not None else None,
                    after=after,
                ),
            )
            reads.keep()


def _recorded(message: _Message) -> bool:
    """Whether the message gets a processed record (a duplicate under its own UID has one)."""
    return message.earlier is None or not message.earlier.same_uid
