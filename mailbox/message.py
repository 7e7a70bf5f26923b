"""The parsed form of one email: what the poller, threading and the ticket services need."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A file or inline image; ``content`` is None when it was left out for the size limit."""

    filename: str
    content_type: str
    size: int
    content: bytes | None
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """One email turned into display-safe text and metadata; built by ``convert.parse_message``."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    reply_to: str | None
    to_addresses: tuple[str, ...]
    cc_addresses: tuple[str, ...]
    date: datetime | None
    body: str
    new_text: str
    quoted_text: str
    html: str | None
    attachments: tuple[MailAttachment, ...]
    ticket_number: int | None
    size: int
    omitted: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    content_type: str = "text/plain"
    report_type: str | None = None
    return_path: str | None = None
    part_types: tuple[str, ...] = ()
    charset_guesses: tuple[str, ...] = ()
    """Where a charset was guessed (label missing, unknown or wrong) and how it was read."""
    original: tuple[tuple[str, str], ...] = ()
    """The text parts exactly as the sender wrote them: (content type, decoded text), in order."""

    def header(self, name: str) -> str | None:
        """The first header of that name (decoded), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, nearest first: In-Reply-To, then References newest first."""
        ids: list[str] = []
        for message_id in (self.in_reply_to, *reversed(self.references)):
            if message_id and message_id not in ids:
                ids.append(message_id)
        return tuple(ids)
