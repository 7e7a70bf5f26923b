"""Which ticket a message answers: by the Message-IDs it names, else by the ``[#N]`` tag in its subject.

A Message-ID names a ticket when one of its events carries it (a message that came in) or when an
outbox row about the ticket does (our reply or acknowledgement). A tag alone is a guessable number, so
it counts only for a sender who is on that ticket (``on_ticket``): its requester, an address of its
client or of the client's contact persons, or someone who wrote on it before. So does the Message-ID
of an acknowledgement or a rule's answer, computed from the address and the day (``is_slot_id``).
Anyone else's mail opens a new ticket, which says that it named #N (``message_event``), for an
operator to merge by hand.
A message that answers nothing we know opens a new ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from hotline.core.enums import EventKind
from hotline.core.errors import NotFound
from hotline.core.models import Client, ClientEmail, OutboxMessage, Ticket, TicketEvent
from hotline.core.services.mail.acknowledgement import is_slot_id
from hotline.core.services.mail.incoming import is_synthetic_id
from hotline.core.services.mail.senders import normalised_address
from hotline.core.services.tickets import get_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail

MAX_THREAD_IDS = 50  # In-Reply-To and the newest References: enough for any real thread


def answer_ids(mail: IncomingMail) -> list[str]:
    """The Message-IDs ``mail`` answers, nearest first, at most ``MAX_THREAD_IDS``; never the stand-in
    of mail that had none (``synthetic_message_id``): no real answer can name one, so one that does was
    computed from the content."""
    return [message_id for message_id in mail.thread_ids if message_id and not is_synthetic_id(message_id)][
        :MAX_THREAD_IDS
    ]


def ticket_answered(uow: UnitOfWork, mail: IncomingMail) -> Ticket | None:
    """The ticket this message answers, or None for a new matter."""
    ids = answer_ids(mail)
    proofs = [message_id for message_id in ids if not is_slot_id(message_id)]
    ticket_id = _ticket_naming(uow, proofs) if proofs else None
    if ticket_id is not None:
        return uow.session.get(Ticket, ticket_id)
    sender = normalised_address(mail.from_address)
    computed = _outbox_ticket(uow, [message_id for message_id in ids if is_slot_id(message_id)])
    answered = uow.session.get(Ticket, computed) if computed is not None else None
    if answered is not None and on_ticket(uow, answered, sender):
        return answered
    if mail.ticket_number is not None:
        try:
            tagged = get_ticket(uow, number=mail.ticket_number)
        except NotFound:
            return None
        return tagged if on_ticket(uow, tagged, sender) else None
    return None


def on_ticket(uow: UnitOfWork, ticket: Ticket, sender: str | None) -> bool:
    """Whether ``sender`` (normalised) may thread onto ``ticket`` by its tag alone: its requester, an
    address of its client or of one of the client's contact persons, or an author of its mail."""
    if sender is None:
        return False
    if ticket.requester is not None and normalised_address(ticket.requester) == sender:
        return True
    if ticket.client_id is not None:
        found = uow.session.exec(
            select(ClientEmail.id)
            .join(Client, col(ClientEmail.client_id) == col(Client.id))
            .where(
                ClientEmail.address == sender,
                (col(Client.id) == ticket.client_id) | (col(Client.organisation_id) == ticket.client_id),
            )
            .limit(1)
        ).first()
        if found is not None:
            return True
    authors = uow.session.exec(
        select(TicketEvent.author).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.MESSAGE_IN.value
        )
    )
    return any(_address_of(author) == sender for author in authors)


def _address_of(author: str | None) -> str | None:
    """The address in an incoming message's author line (``Name <address>`` or the address alone)."""
    if not author:
        return None
    inside = author.rsplit("<", 1)[-1].rstrip(">") if author.endswith(">") else author
    return normalised_address(inside)


def _ticket_naming(uow: UnitOfWork, message_ids: list[str]) -> int | None:
    """The ticket whose latest event, or else whose outbox mail, carries one of these Message-IDs."""
    found = uow.session.exec(
        select(TicketEvent.ticket_id)
        .where(col(TicketEvent.message_id).in_(message_ids))
        .order_by(col(TicketEvent.created_at).desc(), col(TicketEvent.id).desc())
        .limit(1)
    ).first()
    return found if found is not None else _outbox_ticket(uow, message_ids)


def _outbox_ticket(uow: UnitOfWork, message_ids: list[str]) -> int | None:
    """The ticket of an outbox mail carrying one of these Message-IDs."""
    if not message_ids:
        return None
    return uow.session.exec(
        select(OutboxMessage.ticket_id)
        .where(col(OutboxMessage.message_id).in_(message_ids), col(OutboxMessage.ticket_id).is_not(None))
        .limit(1)
    ).first()
