"""Walking a message's MIME tree: the text parts the sender wrote (as sent, and for display), the
attachments and inline images, and what was left out for the size limit.

One alternative of a ``multipart/alternative`` is shown (plain text when there is one, else HTML); the
other alternatives' named parts and images are still kept as attachments. An inline image shows in the
text as ``[image: name]`` where the HTML placed it (``cid:``), or where the part stands.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32

from hotline.core.filenames import safe_filename
from hotline.mailbox.charsets import Decoded, decode_bytes
from hotline.mailbox.header_words import decode_header
from hotline.mailbox.html_text import html_to_text
from hotline.mailbox.message import MailAttachment
from hotline.mailbox.mime_params import raw_filename
from hotline.mailbox.mime_source import header_str, raw_first
from hotline.mailbox.textclean import clean_line


@dataclass(frozen=True, slots=True)
class TextPiece:
    """A piece of the message's text, in the order the parts stand: a text part as decoded (plain or
    HTML), or an inline image's place (``content_id`` and ``filename`` set)."""

    content_type: str
    text: str = ""
    content_id: str | None = None
    filename: str = ""


@dataclass
class Collected:
    """What the walk over the MIME tree gathers."""

    hint: str | None
    max_bytes: int
    pieces: list[TextPiece] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    part_types: list[str] = field(default_factory=list)
    kept_bytes: int = 0
    guesses: list[tuple[str, Decoded]] = field(default_factory=list)
    """Where a charset was guessed (a part, a file name) and how it was read."""

    def display_texts(self) -> list[str]:
        """The text to show, piece by piece: HTML as readable text with its images named, each inline
        image the HTML did not place as ``[image: name]`` where its part stands."""
        names = {item.content_id: item.filename for item in self.attachments if item.content_id}
        placed: set[str] = set()
        texts: list[str | TextPiece] = []
        for piece in self.pieces:
            if piece.content_type == "text/html":
                texts.append(html_to_text(piece.text, image_names=names, placed=placed))
            elif piece.content_type == "text/plain":
                texts.append(piece.text)
            else:
                texts.append(piece)
        return [
            item if isinstance(item, str) else f"[image: {item.filename}]"
            for item in texts
            if isinstance(item, str) or item.content_id not in placed
        ]

    def originals(self) -> tuple[tuple[str, str], ...]:
        """The text parts exactly as the sender wrote them (decoded, nothing rewritten)."""
        return tuple((p.content_type, p.text) for p in self.pieces if p.content_type.startswith("text/"))


def walk(part: Message, collected: Collected) -> None:
    """Gather the text, attachments and images of ``part`` and everything under it."""
    content_type = part.get_content_type()
    collected.part_types.append(content_type)
    if part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        if content_type == "multipart/alternative":
            _walk_alternative(children, collected)
            return
        if content_type.startswith("message/"):
            _keep_message_part(part, collected)
            return
        for child in children:
            walk(child, collected)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part, collected)
    is_body = content_type in ("text/plain", "text/html")
    if is_body and disposition != "attachment" and not filename:
        _keep_text(part, content_type, collected)
        return
    if content_type.startswith("message/") and not filename:
        _keep_message_part(part, collected)
        return
    _keep_attachment(part, filename, content_type, disposition, collected, show=True)


def _walk_alternative(children: list[Message], collected: Collected) -> None:
    """Show one alternative (plain text when there is any, else HTML, else the last one); the named
    parts and images of the others are kept as attachments, not dropped."""
    plain = [c for c in children if c.get_content_type() == "text/plain" and not _filename(c)]
    html = [c for c in children if c.get_content_type() == "text/html" and not _filename(c)]
    nested = [c for c in children if c.is_multipart()]
    shown = plain[-1] if plain else nested[-1] if nested else html[-1] if html else None
    shown = shown if shown is not None else (children[-1] if children else None)
    for candidate in html:
        if candidate is not shown:
            collected.html.append(_decode_part(candidate, collected))
    if shown is not None:
        walk(shown, collected)
    for child in children:
        if child is not shown and child not in plain and child not in html:
            _walk_attachments_only(child, collected)


def _walk_attachments_only(part: Message, collected: Collected) -> None:
    """The files and images of an alternative that is not shown as text are still kept."""
    for child in part.walk():
        if child.is_multipart():
            continue
        filename = _filename(child, collected)
        if child.get_content_type() in ("text/plain", "text/html") and not filename:
            continue
        disposition = (child.get_content_disposition() or "").lower()
        _keep_attachment(child, filename, child.get_content_type(), disposition, collected, show=False)


def _keep_text(part: Message, content_type: str, collected: Collected) -> None:
    text = _decode_part(part, collected)
    if content_type == "text/html":
        collected.html.append(text)
    collected.pieces.append(TextPiece(content_type=content_type, text=text))


def _decode_part(part: Message, collected: Collected) -> str:
    data = _payload_bytes(part)
    charset = part.get_param("charset")
    decoded = decode_bytes(data, header_str(charset) if charset else None, hint=collected.hint)
    if decoded.guessed:
        collected.guesses.append((f"{part.get_content_type()} part", decoded))
    return decoded.text


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("ascii", "surrogateescape")
    if isinstance(payload, list):
        return b"\n".join(_message_bytes(item) for item in payload if isinstance(item, Message))
    return b""


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=compat32)
    except Exception:
        return message.as_string(policy=compat32).encode("utf-8", "surrogateescape")


def _keep_message_part(part: Message, collected: Collected) -> None:
    """An attached message (message/rfc822) or a delivery report is kept as an attachment."""
    filename = _filename(part)
    content_type = part.get_content_type()
    if not filename:
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            subject = ""
            if isinstance(inner_message, Message):
                subject = clean_line(
                    decode_header(raw_first(list(inner_message.raw_items()), "Subject"), hint=collected.hint)
                )
            filename = safe_filename(subject or "message") + ".eml"
        else:
            filename = content_type.split("/", 1)[1] + ".txt"
    _store(collected, filename, content_type, _payload_bytes(part), inline=False, content_id=None)


def _keep_attachment(
    part: Message,
    filename: str,
    content_type: str,
    disposition: str,
    collected: Collected,
    *,
    show: bool,
) -> None:
    """A file or image; an inline image among shown parts marks its place in the text (``show``)."""
    content_id = header_str(part.get("Content-ID")).strip().strip("<>") or None
    if not filename:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        filename = f"part-{len(collected.attachments) + 1}{extension}"
    inline = disposition == "inline" or (disposition == "" and content_id is not None)
    _store(collected, filename, content_type, _payload_bytes(part), inline=inline, content_id=content_id)
    if show and inline and content_type.startswith("image/"):
        collected.pieces.append(
            TextPiece(content_type=content_type, content_id=content_id, filename=filename)
        )


def _store(
    collected: Collected,
    filename: str,
    content_type: str,
    data: bytes,
    *,
    inline: bool,
    content_id: str | None,
) -> None:
    size = len(data)
    content: bytes | None = data
    if collected.kept_bytes + size > collected.max_bytes:
        content = None
        collected.omitted.append(
            f"attachment {filename!r} ({size} bytes) left out: over the {collected.max_bytes}-byte limit"
        )
    else:
        collected.kept_bytes += size
    collected.attachments.append(
        MailAttachment(
            filename=filename,
            content_type=content_type,
            size=size,
            content=content,
            inline=inline,
            content_id=content_id,
        )
    )


def _filename(part: Message, collected: Collected | None = None) -> str:
    """The part's file name, decoded and made safe; "" when it names none."""
    guesses: list[Decoded] = []
    name = raw_filename(part, guesses)
    if collected is not None:
        collected.guesses.extend(("file name", decoded) for decoded in guesses)
    return safe_filename(clean_line(name)) if name else ""
