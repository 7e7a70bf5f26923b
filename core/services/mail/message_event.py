"""An incoming message as a line of its ticket's chronology: the text the client wrote, the headers and
the quoted rest kept beside it, and the attachments (what was left out for the size limit is named).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from hotline.core.models import Attachment, Ticket
from hotline.core.models.enums import EventKind
from hotline.core.services.tickets import EventDraft, WrittenEvent, add_events

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail, MailFile
    from hotline.core.sla.policy import SlaSetup

MAX_AUTHOR_CHARS = 320
MAX_FILENAME_CHARS = 500
MAX_CONTENT_TYPE_CHARS = 200
WRITTEN_BY_A_PERSON = (None, "list")
"""Loop verdicts of mail a person wrote (a list only relays it): it brings a client back to a ticket."""


def add_message_event(
    uow: UnitOfWork, *, ticket: Ticket, mail: IncomingMail, account_key: str, sla: SlaSetup | None
) -> WrittenEvent:
    """The message as an event on its ticket (``account_key`` says where on the server it was), with
    its attachments."""
    return add_message_events(uow, [(ticket, mail, account_key)], sla=sla)[0]


def add_message_events(
    uow: UnitOfWork, messages: Sequence[tuple[Ticket, IncomingMail, str]], *, sla: SlaSetup | None
) -> list[WrittenEvent]:
    """Messages as events on their tickets, in order (``add_message_event`` for each), with one INSERT
    for the events and one for all their attachments. A machine's message (an out-of-office answer to
    our reply) is kept on its ticket but reopens nothing: only a person's message brings a client back."""
    events = add_events(
        uow,
        [
            EventDraft(
                ticket=ticket,
                kind=EventKind.MESSAGE_IN,
                body=_mention(ticket, mail) + _event_body(mail),
                data=_event_data(ticket, mail, account_key),
                message_id=mail.message_id,
                author=_author(mail),
                by_machine=mail.automated_kind not in WRITTEN_BY_A_PERSON,
            )
            for ticket, mail, account_key in messages
        ],
        sla=sla,
    )
    files = [
        _attachment_row(event.id, item)
        for event, (_, mail, _) in zip(events, messages, strict=True)
        for item in mail.attachments
    ]
    if files:
        uow.session.execute(insert(Attachment.__table__), files)  # type: ignore[attr-defined]
    return events


def _author(mail: IncomingMail) -> str:
    author = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    return author[:MAX_AUTHOR_CHARS]


def _event_body(mail: IncomingMail) -> str:
    """The new text of the message, then what was left out of it (for the size limit)."""
    if not mail.omitted:
        return mail.new_text
    return mail.new_text + "\n\n" + "\n".join(f"[left out: {note}]" for note in mail.omitted)


def _named(ticket: Ticket, mail: IncomingMail) -> int | None:
    """The ticket number the subject's ``[#N]`` names when the message went onto another ticket (its
    sender is not on #N, ``threads.on_ticket``), so an operator can merge it by hand."""
    number = mail.ticket_number
    return number if number is not None and number != ticket.number else None


def _mention(ticket: Ticket, mail: IncomingMail) -> str:
    number = _named(ticket, mail)
    if number is None:
        return ""
    return (
        f"[The subject names ticket #{number}; this mail was not added to it (a tag alone does not"
        " thread mail from a sender not on that ticket). Merge by hand if it belongs there.]\n\n"
    )


def _event_data(ticket: Ticket, mail: IncomingMail, account_key: str) -> dict[str, Any]:
    """The message's headers and the rest of its text, kept on the event."""
    data: dict[str, Any] = {
        "subject": mail.subject,
        "from": mail.from_address,
        "from_name": mail.from_name,
        "to": list(mail.to_addresses),
        "cc": list(mail.cc_addresses),
        "date": mail.date.isoformat() if mail.date else None,
        "quoted_text": mail.quoted_text,
        "account": account_key,
        "size": mail.size,
    }
    if mail.omitted:
        data["omitted"] = list(mail.omitted)
    if (named := _named(ticket, mail)) is not None:
        data["names_ticket"] = named
    if mail.original:
        data["original"] = [{"content_type": kind, "text": text} for kind, text in mail.original]
    if mail.charset_guesses:
        data["charset_guessed"] = list(mail.charset_guesses)
    if mail.automated_kind:
        data["automated"] = {"kind": mail.automated_kind, "reasons": list(mail.automated_reasons)}
    return data


def _attachment_row(event_id: int, item: MailFile) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "filename": item.filename[:MAX_FILENAME_CHARS],
        "content_type": item.content_type[:MAX_CONTENT_TYPE_CHARS],
        "size": item.size,
        "content": item.content,
    }
