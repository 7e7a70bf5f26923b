"""What a fetched group of messages needs from the database, read at once instead of per message.

Before the group's first message, a few set-based queries read what every message of the group would
otherwise ask for on its own: the processed records of its UIDs and Message-IDs and the outbox rows of
those Message-IDs (was it taken in before, is it our own mail come back), the clients by sender
address, the tickets its In-Reply-To/References and ``[#N]`` tags name, and the acknowledgements its
senders had today. Each message taken in adds what it wrote (its processed
record, its new client, its event's Message-ID, its ticket, its acknowledgement) once its savepoint is
released, so a later message of the same group sees it as it would have seen the database; a message
rolled back adds nothing. A run of messages written together (``intake_together``) adds each message's
writes the same way, in order, once the run's savepoint is released.

On PostgreSQL the group first takes the advisory locks of all its Message-IDs (in one order, so two
overlapping pollers cannot deadlock on them); the second poller's group waits for the first one's
commit and then reads its records: exactly-once holds as with the per-message lock. SQLite has one
writer at a time (the group's transaction begins IMMEDIATE). Acknowledgement counts read here may be
stale under an overlapping poller; the cap still holds because each acknowledgement's Message-ID names
its slot, and a slot taken by the other poller makes this one's insert fail (then none is sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlmodel import col, select

from hotline.core.models import Client, ClientEmail, OutboxMessage, ProcessedMessage, Ticket, TicketEvent
from hotline.core.services.mail.acknowledgement import acknowledgement_id, is_slot_id
from hotline.core.services.mail.duplicates import MESSAGE_ID_LOCK, EarlierDelivery
from hotline.core.services.mail.senders import normalised_address
from hotline.core.services.mail.threads import answer_ids, on_ticket
from hotline.core.services.outbox import domain_of

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef

_CHUNK = 500

# A Message-ID's latest event: (created_at, event id, ticket id); the latest is the greatest.
_EventKey = tuple[datetime, int, int]


@dataclass
class _Taken:
    """What one message wrote, kept until its savepoint is released."""

    uid: int
    message_id: str | None
    digest: str | None
    ticket: Ticket | None = None
    event: _EventKey | None = None
    client: tuple[str, Client] | None = None
    acknowledged: str | None = None
    audit: dict[str, Any] | None = None


@dataclass
class GroupReads:
    """The group's reads, and what its messages taken in so far wrote."""

    same_uid: dict[int, int | None] = field(default_factory=dict)
    """UIDs of the group already recorded → their ticket id."""
    deliveries: dict[str, list[tuple[str | None, int | None]]] = field(default_factory=dict)
    """Message-ID → its processed records' (content digest, ticket id)."""
    clients: dict[str, Client | None] = field(default_factory=dict)
    """Sender address → the oldest client with it (None: none)."""
    events: dict[str, _EventKey] = field(default_factory=dict)
    """Message-ID → the latest event carrying it."""
    outbox: dict[str, int] = field(default_factory=dict)
    """Message-ID → the ticket of an outbox row carrying it (our reply or acknowledgement)."""
    own: dict[str, int | None] = field(default_factory=dict)
    """Message-ID of a message of the group → the ticket of the outbox row with it (our own mail)."""
    tickets: dict[int, Ticket] = field(default_factory=dict)
    """Tickets the group may thread onto, by id (held: the session's identity map is weak)."""
    numbers: dict[int, Ticket] = field(default_factory=dict)
    """The same, by number (``[#N]`` in a subject)."""
    acknowledgements: dict[str, int] = field(default_factory=dict)
    """Sender → acknowledgements it had today (up to the cap)."""
    new_clients: list[int] = field(default_factory=list)
    """Clients the group created, indexed for the search together at the group's end."""
    audits: list[dict[str, Any]] = field(default_factory=list)
    """The messages' ``mail.intake`` audit entries, written together at the group's end."""
    pending: _Taken | None = None

    # The message being taken in ------------------------------------------------------------------

    def begin(self, uid: int, mail: IncomingMail) -> None:
        self.pending = _Taken(uid=uid, message_id=mail.message_id, digest=mail.content_digest)

    def drop(self) -> None:
        """The message was rolled back: nothing it wrote exists."""
        self.pending = None

    def keep(self) -> None:
        """The message's savepoint was released: later messages see what it wrote."""
        taken, self.pending = self.pending, None
        if taken is None:
            return
        ticket_id = taken.ticket.id if taken.ticket is not None else None
        self.same_uid[taken.uid] = ticket_id
        if taken.message_id:
            self.deliveries.setdefault(taken.message_id, []).append((taken.digest, ticket_id))
        if taken.ticket is not None:
            self._hold(taken.ticket)
        if taken.event is not None and taken.message_id:
            self.events[taken.message_id] = max(self.events.get(taken.message_id, taken.event), taken.event)
        if taken.client is not None:
            address, client = taken.client
            self.clients[address] = client
            if client.id is not None:
                self.new_clients.append(client.id)
        if taken.acknowledged is not None:
            self.acknowledgements[taken.acknowledged] = self.acknowledgements.get(taken.acknowledged, 0) + 1
        if taken.audit is not None:
            self.audits.append(taken.audit)

    def wrote(
        self,
        *,
        ticket: Ticket | None = None,
        event_id: int | None = None,
        at: datetime | None = None,
        client: tuple[str, Client] | None = None,
        acknowledged: str | None = None,
        audit: dict[str, Any] | None = None,
    ) -> None:
        """Note what the message being taken in wrote (or, for its audit entry, is to write)."""
        taken = self.pending
        if taken is None:
            return
        if ticket is not None:
            taken.ticket = ticket
            if event_id is not None and at is not None and ticket.id is not None:
                taken.event = (at, event_id, ticket.id)
        if client is not None:
            taken.client = client
        if acknowledged is not None:
            taken.acknowledged = acknowledged
        if audit is not None:
            taken.audit = audit

    # Answers from what was read ---------------------------------------------------------------------

    def earlier(self, uid: int, message_id: str | None, digest: str | None) -> EarlierDelivery | None:
        """As ``duplicates.earlier_delivery``: this UID's own record first, else the same Message-ID
        with the same content (or a record from before digests), else our own outbox mail's."""
        if uid in self.same_uid:
            return EarlierDelivery(ticket_id=self.same_uid[uid], same_uid=True)
        for recorded_digest, ticket_id in self.deliveries.get(message_id or "", []) if message_id else []:
            if recorded_digest is None or (digest is not None and recorded_digest == digest):
                return EarlierDelivery(ticket_id=ticket_id, same_uid=False)
        if message_id in self.own:
            return EarlierDelivery(ticket_id=self.own[message_id], same_uid=False)
        return None

    def client(self, address: str | None) -> Client | None:
        return self.clients.get(address) if address is not None else None

    def answered(self, uow: UnitOfWork, mail: IncomingMail) -> Ticket | None:
        """As ``threads.ticket_answered``: the ticket of the latest event carrying one of the message's
        thread ids, else of our outbox mail carrying one, else (the sender on it, ``on_ticket``) the
        ticket of an acknowledgement's computable id it names, else the ticket its subject's tag names."""
        ids = answer_ids(mail)
        proofs = [message_id for message_id in ids if not is_slot_id(message_id)]
        found = [self.events[message_id] for message_id in proofs if message_id in self.events]
        ticket_id: int | None = max(found)[2] if found else None
        if ticket_id is None:
            ticket_id = next(
                (self.outbox[message_id] for message_id in proofs if message_id in self.outbox), None
            )
        if ticket_id is not None:
            return self.tickets.get(ticket_id) or uow.session.get(Ticket, ticket_id)
        sender = normalised_address(mail.from_address)
        computed = next((self.outbox[message_id] for message_id in ids if message_id in self.outbox), None)
        for ticket in (
            self.tickets.get(computed) if computed is not None else None,
            self.numbers.get(mail.ticket_number) if mail.ticket_number is not None else None,
        ):
            if ticket is not None and on_ticket(uow, ticket, sender):
                return ticket
        return None

    def acknowledgements_today(self, sender: str) -> int:
        return self.acknowledgements.get(sender, 0)

    def _hold(self, ticket: Ticket) -> None:
        if ticket.id is not None:
            self.tickets[ticket.id] = ticket
        self.numbers[ticket.number] = ticket


def read_group(
    uow: UnitOfWork, *, mailbox: MailboxRef, uidvalidity: int, mails: list[tuple[int, IncomingMail]]
) -> GroupReads:
    """Read what the group's messages need, in a few queries (after locking their Message-IDs on
    PostgreSQL). Reads only."""
    reads = GroupReads()
    message_ids = sorted({mail.sender_message_id for _, mail in mails if mail.sender_message_id})
    _lock_message_ids(uow, message_ids)
    _read_processed(uow, reads, mailbox.name, uidvalidity, [uid for uid, _ in mails], message_ids)
    senders = {address for _, mail in mails if (address := normalised_address(mail.from_address))}
    _read_clients(uow, reads, senders)
    thread_ids = {message_id for _, mail in mails for message_id in answer_ids(mail)}
    numbers = {mail.ticket_number for _, mail in mails if mail.ticket_number is not None}
    _read_threads(uow, reads, sorted(thread_ids), sorted(numbers))
    if mailbox.acknowledge and mailbox.can_send:
        _read_acknowledgements(uow, reads, mailbox, senders)
    return reads


def _chunks(values: list[str] | list[int]) -> Iterable[list]:  # type: ignore[type-arg]
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _lock_message_ids(uow: UnitOfWork, message_ids: list[str]) -> None:
    """The per-Message-ID advisory locks ``earlier_delivery`` takes, all at once, in hash order."""
    if not message_ids or uow.session.get_bind().dialect.name != "postgresql":
        return
    uow.session.execute(
        text(
            "SELECT pg_advisory_xact_lock(:namespace, h) FROM"
            " (SELECT DISTINCT hashtext(m) AS h FROM unnest(CAST(:ids AS text[])) AS m ORDER BY h) AS k"
        ),
        {"namespace": MESSAGE_ID_LOCK, "ids": message_ids},
    )


def _read_processed(
    uow: UnitOfWork,
    reads: GroupReads,
    account: str,
    uidvalidity: int,
    uids: list[int],
    message_ids: list[str],
) -> None:
    session = uow.session
    for chunk in _chunks(uids):
        rows = session.exec(
            select(ProcessedMessage.uid, ProcessedMessage.ticket_id).where(
                ProcessedMessage.account == account,
                ProcessedMessage.uidvalidity == uidvalidity,
                col(ProcessedMessage.uid).in_(chunk),
            )
        )
        reads.same_uid.update({uid: ticket_id for uid, ticket_id in rows})
    for chunk in _chunks(message_ids):
        for message_id, digest, ticket_id in session.exec(
            select(ProcessedMessage.message_id, ProcessedMessage.content_digest, ProcessedMessage.ticket_id)
            .where(col(ProcessedMessage.message_id).in_(chunk))
            .order_by(col(ProcessedMessage.id))
        ):
            reads.deliveries.setdefault(message_id or "", []).append((digest, ticket_id))
        for message_id, ticket_id in session.exec(
            select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
                col(OutboxMessage.message_id).in_(chunk)
            )
        ):
            reads.own[message_id] = ticket_id


def _read_clients(uow: UnitOfWork, reads: GroupReads, senders: set[str]) -> None:
    reads.clients.update(dict.fromkeys(senders))
    for chunk in _chunks(sorted(senders)):
        rows = uow.session.exec(
            select(ClientEmail.address, Client)
            .join(Client, col(ClientEmail.client_id) == col(Client.id))
            .where(col(ClientEmail.address).in_(chunk))
            .order_by(col(Client.id).desc())  # the oldest last, so it is the one kept
        )
        for address, client in rows:
            reads.clients[address] = client


def _read_threads(uow: UnitOfWork, reads: GroupReads, thread_ids: list[str], numbers: list[int]) -> None:
    session = uow.session
    ticket_ids: set[int] = set()
    for chunk in _chunks(thread_ids):
        for message_id, created_at, event_id, ticket_id in session.exec(
            select(
                TicketEvent.message_id, TicketEvent.created_at, TicketEvent.id, TicketEvent.ticket_id
            ).where(col(TicketEvent.message_id).in_(chunk))
        ):
            key = (created_at, event_id or 0, ticket_id)
            if message_id not in reads.events or reads.events[message_id] < key:
                reads.events[message_id] = key
            ticket_ids.add(ticket_id)
        for message_id, ticket_id in session.exec(
            select(OutboxMessage.message_id, OutboxMessage.ticket_id)
            .where(col(OutboxMessage.message_id).in_(chunk), col(OutboxMessage.ticket_id).is_not(None))
            .order_by(col(OutboxMessage.id))
        ):
            if ticket_id is not None:
                reads.outbox.setdefault(message_id, ticket_id)
                ticket_ids.add(ticket_id)
    for chunk in _chunks(sorted(ticket_ids)):
        for ticket in session.exec(select(Ticket).where(col(Ticket.id).in_(chunk))):
            reads._hold(ticket)
    for chunk in _chunks(numbers):
        for ticket in session.exec(select(Ticket).where(col(Ticket.number).in_(chunk))):
            reads._hold(ticket)


def _read_acknowledgements(
    uow: UnitOfWork, reads: GroupReads, mailbox: MailboxRef, senders: set[str]
) -> None:
    """How many acknowledgements each sender had today: their slots' Message-IDs, looked up together."""
    today, domain = uow.now(), domain_of(mailbox.from_address)
    slots = {
        acknowledgement_id(sender, today, slot, domain): sender
        for sender in senders
        for slot in range(1, mailbox.acknowledgements_per_day + 1)
    }
    for chunk in _chunks(sorted(slots)):
        for message_id in uow.session.exec(
            select(OutboxMessage.message_id).where(col(OutboxMessage.message_id).in_(chunk))
        ):
            sender = slots[message_id]
            reads.acknowledgements[sender] = reads.acknowledgements.get(sender, 0) + 1
