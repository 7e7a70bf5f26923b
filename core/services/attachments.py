"""Attachments of a ticket's chronology: storing an event's files, and reading them back with their
bytes to save or open (the read model lists them without bytes).

Names are unique per ticket when read back (``report.pdf``, ``report-2.pdf``), so that saving all of
a ticket's files to one directory never writes one over another and a name picks exactly one file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, literal
from sqlmodel import col, select

from hotline.core.errors import NotFound
from hotline.core.filenames import unique_names
from hotline.core.models import Attachment, Ticket, TicketEvent

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.sending import OutgoingFile

MAX_FILENAME_CHARS = 500
MAX_CONTENT_TYPE_CHARS = 200


@dataclass(frozen=True)
class StoredFile:
    """One attachment of a ticket with its bytes; ``content`` None when it was left out for size."""

    id: int
    event_id: int
    name: str
    """Safe to write and unique within the ticket."""
    content_type: str
    size: int
    content: bytes | None
    stored: bool = True
    """Whether its bytes are kept (False: left out for the size limit when the mail came in)."""


def store_files(uow: UnitOfWork, *, event_id: int, files: Sequence[OutgoingFile]) -> None:
    """Keep the files of an event (a reply's attachments) in one statement."""
    uow.session.execute(
        insert(Attachment.__table__),  # type: ignore[attr-defined]
        [
            {
                "event_id": event_id,
                "filename": item.filename[:MAX_FILENAME_CHARS],
                "content_type": item.content_type[:MAX_CONTENT_TYPE_CHARS],
                "size": len(item.content),
                "content": item.content,
            }
            for item in files
        ],
    )


def ticket_files(
    uow: UnitOfWork, *, number: int, name: str | None = None, with_content: bool = True
) -> list[StoredFile]:
    """The attachments of ticket ``number``, oldest first; only the one called ``name`` when given
    (``NotFound`` for a ticket or name that does not exist, listing the names there are). Without
    ``with_content`` their bytes are not read (a listing). With a ``name``, only that file's bytes are
    read: the names first (they are numbered over the whole ticket), then its bytes by its id (every
    file's bytes were read to keep one: 200 MB for one file of a ticket of ten 20 MB scans)."""
    ticket_id = uow.session.exec(select(Ticket.id).where(Ticket.number == number)).first()
    if ticket_id is None:
        raise NotFound(f"no ticket #{number}")
    files = _uniquely_named(
        uow.session.exec(
            select(
                Attachment.id,
                Attachment.event_id,
                Attachment.filename,
                Attachment.content_type,
                Attachment.size,
                col(Attachment.content) if with_content and name is None else literal(None),
                col(Attachment.content).is_not(None),
            )
            .join(TicketEvent, col(TicketEvent.id) == Attachment.event_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(Attachment.id))
        ).all()
    )
    if name is None:
        return files
    # The names kept are NFC (``safe_filename``); a macOS terminal types 'é' as e + a combining accent.
    wanted = unicodedata.normalize("NFC", name)
    chosen = [item for item in files if item.name == wanted] or [
        item for item in files if item.name.casefold() == wanted.casefold()
    ]
    if len(chosen) != 1:
        names = ", ".join(item.name for item in files) or "none"
        raise NotFound(f"ticket #{number} has no attachment named {name!r} (it has: {names})")
    if not with_content:
        return chosen
    [item] = chosen
    content = uow.session.exec(select(Attachment.content).where(col(Attachment.id) == item.id)).one()
    return [replace(item, content=content)]


def _uniquely_named(rows: Sequence[Any]) -> list[StoredFile]:
    names = unique_names(row[2] for row in rows)
    return [
        StoredFile(
            id=int(attachment_id),
            event_id=int(event_id),
            name=name,
            content_type=content_type,
            size=int(size),
            content=content,
            stored=bool(stored),
        )
        for (attachment_id, event_id, _, content_type, size, content, stored), name in zip(
            rows, names, strict=True
        )
    ]
