"""An operator's words on a ticket: an internal note, or a reply to the requester through the outbox.

Both are changes of the ticket like any other: the version the operator saw is checked (``Conflict``,
nothing written), the line is added to the chronology, the version is bumped and an audit entry
recorded, in the caller's unit of work. A reply's mail is queued in the outbox in that same unit, so
the reply and its mail commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import select

from hotline.core.contact_handout import hand_out
from hotline.core.enums import EventKind
from hotline.core.errors import InvalidInput
from hotline.core.models import ClientEmail, Queue, TicketEvent
from hotline.core.services.attachments import store_files
from hotline.core.services.mail.sending import MailSending, OutgoingFile
from hotline.core.services.outbox import enqueue_ticket_reply
from hotline.core.services.tickets._chronology import add_event
from hotline.core.services.tickets._guard import locked_ticket, record_change
from hotline.core.sla.policy import SlaSetup
from hotline.core.text import MAX_NOTES, checked_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def add_note(
    uow: UnitOfWork,
    *,
    number: int,
    expected_version: int | None,
    body: str,
    sla: SlaSetup | None,
    author: str | None = None,
) -> TicketEvent:
    """An internal note in the chronology (never mailed); counts as activity on the ticket.
    ``author``: who wrote it when not the actor (an event rule)."""
    body = body.strip()
    if not body:
        raise InvalidInput("a note needs text", where="--body")
    checked_text(body, what="a note", at_most=MAX_NOTES, where="--body", multiline=True)
    ticket = locked_ticket(uow, number=number, expected_version=expected_version)
    event = add_event(uow, ticket=ticket, kind=EventKind.NOTE, body=body, sla=sla, author=author)
    record_change(uow, ticket, action="ticket.note", before=None, after={"event_id": event.id})
    return event


def reply_ticket(
    uow: UnitOfWork,
    *,
    number: int,
    expected_version: int | None,
    body: str,
    sla: SlaSetup | None,
    sending: MailSending,
    attachments: Sequence[OutgoingFile] = (),
) -> TicketEvent:
    """An operator's answer to the requester: a message-out event (the first response, when it is),
    its attachments and its mail in the outbox, together. Refused, with nothing written, when no
    mail account can send it (``ConfigError``) or it is over the outgoing size limit."""
    body = body.strip()
    if not body:
        raise InvalidInput("a reply needs a body", where="--body")
    checked_text(body, what="a reply", at_most=MAX_NOTES, where="--body", multiline=True)
    sending.check_size(body, attachments)
    ticket = locked_ticket(uow, number=number, expected_version=expected_version)
    account = sending.account_for(_queue_name(uow, ticket.queue_id))
    recipient = ticket.requester or _client_email(uow, ticket.client_id)
    if not recipient:
        raise InvalidInput(f"ticket #{number} has no requester address to reply to", where="requester")
    event = add_event(uow, ticket=ticket, kind=EventKind.MESSAGE_OUT, body=body, sla=sla)
    if attachments:
        store_files(uow, event_id=event.id or 0, files=attachments)
    queued = enqueue_ticket_reply(
        uow,
        ticket=ticket,
        body=body,
        event_id=event.id,
        to=recipient,
        account=account.name,
        from_address=account.from_address,
    )
    after = {"to": recipient, "event_id": event.id, "outbox_id": queued.id, "account": account.name}
    if attachments:
        after["attachments"] = [{"filename": f.filename, "size": len(f.content)} for f in attachments]
    record_change(uow, ticket, action="ticket.reply", before=None, after=after)
    return event


def _queue_name(uow: UnitOfWork, queue_id: int) -> str:
    queue = uow.session.get(Queue, queue_id)
    return queue.name if queue is not None else ""


def _client_email(uow: UnitOfWork, client_id: int | None) -> str | None:
    if client_id is None:
        return None
    hand_out(uow, [client_id])  # the recipient is the role's to read (0021)
    return uow.session.exec(
        select(ClientEmail.address).where(ClientEmail.client_id == client_id).order_by(ClientEmail.id)
    ).first()
