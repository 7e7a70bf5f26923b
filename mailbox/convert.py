"""From raw message bytes to a display-safe ``ParsedMessage``: a pure function, tested on its own.

It never raises on bad mail it can read at all: broken MIME, wrong or missing charsets, encoded words
cut in half and raw 8-bit headers are decoded as well as they can be; what was left out for the size
limit is named in ``omitted``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from hotline.mailbox.charsets import Decoded
from hotline.mailbox.header_words import decode_header
from hotline.mailbox.message import ParsedMessage
from hotline.mailbox.mime_source import header_str, parse_source, raw_all, raw_first
from hotline.mailbox.mime_walk import Collected, walk
from hotline.mailbox.quotes import split_reply
from hotline.mailbox.textclean import clean_line, clean_text

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
TICKET_TAG = re.compile(r"\[#(\d{1,9})\]")
# Message-ID characters: no brackets, spaces, line breaks or controls (they would break the headers
# of our answers, the terminal, and the database).
_ID_CHARS = r"[^<>\s\x00-\x1f\x7f-\x9f]{1,990}"
_MESSAGE_ID = re.compile(f"<({_ID_CHARS})>")
_BARE_ID = re.compile(_ID_CHARS)
_MAX_HEADERS = 500
_ANGLE_ADDRESS = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>\s@]+@[^<>\s@]+)>")


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Parse one message; ``max_bytes`` bounds what is kept (attachments beyond it keep only metadata)."""
    size = len(raw)
    omitted: list[str] = []
    source = raw
    if size > 4 * max_bytes:
        source = raw[: 4 * max_bytes]
        omitted.append(f"message of {size} bytes: only its first {len(source)} bytes were read")
    message = parse_source(source)
    hint = _charset_hint(message)
    collected = Collected(hint=hint, max_bytes=max_bytes)
    walk(message, collected)
    omitted.extend(collected.omitted)
    body = _display_body(collected, max_bytes, omitted)
    new_text, quoted = split_reply(body)
    raw_headers = list(message.raw_items())[:_MAX_HEADERS]
    headers = tuple(
        (name, clean_line(decode_header(header_str(value), hint=hint))) for name, value in raw_headers
    )
    subject_guesses: list[Decoded] = []
    subject = clean_line(decode_header(raw_first(raw_headers, "Subject"), hint=hint, guesses=subject_guesses))
    collected.guesses.extend(("subject", decoded) for decoded in subject_guesses)
    from_name, from_address = _first_address(raw_all(raw_headers, "From"), hint, collected)
    references = tuple(_ids(raw_first(raw_headers, "References")))
    reply_ids = _ids(raw_first(raw_headers, "In-Reply-To"))
    message_ids = _ids(raw_first(raw_headers, "Message-ID"))
    tag = TICKET_TAG.search(subject)
    report_type = header_str(message.get_param("report-type")) if message.get_param("report-type") else ""
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=references,
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        reply_to=_first_address(raw_all(raw_headers, "Reply-To"), hint, None)[1] or None,
        to_addresses=tuple(_addresses(raw_all(raw_headers, "To"), hint)),
        cc_addresses=tuple(_addresses(raw_all(raw_headers, "Cc"), hint)),
        date=_date(raw_first(raw_headers, "Date")),
        body=body,
        new_text=new_text,
        quoted_text=quoted,
        html="\n".join(collected.html) or None,
        attachments=tuple(collected.attachments),
        ticket_number=int(tag.group(1)) if tag else None,
        size=size,
        omitted=tuple(omitted),
        defects=tuple(sorted({type(defect).__name__ for part in message.walk() for defect in part.defects})),
        headers=headers,
        content_type=message.get_content_type(),
        report_type=report_type or None,
        return_path=raw_first(raw_headers, "Return-Path").strip() or None,
        part_types=tuple(collected.part_types),
        charset_guesses=tuple(dict.fromkeys(decoded.note(where) for where, decoded in collected.guesses)),
        original=_originals(collected, max_bytes),
    )


def _display_body(collected: Collected, max_bytes: int, omitted: list[str]) -> str:
    """The text to show: every piece made printable, joined by blank lines, cut at the size limit."""
    cleaned = (clean_text(text).strip("\n").rstrip() for text in collected.display_texts())
    body = "\n\n".join(text for text in cleaned if text.strip())
    if len(body) > max_bytes:
        omitted.append(f"text cut at {max_bytes} of {len(body)} characters")
        body = body[:max_bytes]
    return body


def _originals(collected: Collected, max_bytes: int) -> tuple[tuple[str, str], ...]:
    """The text parts as sent (nothing rewritten), within the size limit."""
    kept: list[tuple[str, str]] = []
    room = max_bytes
    for content_type, text in collected.originals():
        if room <= 0:
            break
        kept.append((content_type, text[:room]))
        room -= len(text)
    return tuple(kept)


def _charset_hint(message: Message) -> str | None:
    for part in message.walk():
        charset = part.get_param("charset")
        if charset and not part.is_multipart():
            name = header_str(charset).lower()
            if name not in ("us-ascii", "ascii", "utf-8"):
                return name
    return None


def _first_address(values: list[object], hint: str | None, collected: Collected | None) -> tuple[str, str]:
    guesses: list[Decoded] = []
    pairs = _pairs(values, hint, guesses)
    if collected is not None:
        collected.guesses.extend(("sender", decoded) for decoded in guesses)
    return pairs[0] if pairs else ("", "")


def _addresses(values: list[object], hint: str | None) -> list[str]:
    return [address for _, address in _pairs(values, hint) if address]


def _pairs(
    values: list[object], hint: str | None, guesses: list[Decoded] | None = None
) -> list[tuple[str, str]]:
    raw_values = [re.sub(r"\r?\n(?=[ \t])", "", header_str(value)) for value in values]
    pairs: list[tuple[str, str]] = []
    for name, address in (pair for raw in raw_values for pair in _split_addresses(raw)):
        decoded_name = clean_line(decode_header(name, hint=hint, guesses=guesses)).strip("\"' ")
        decoded_address = clean_line(decode_header(address, hint=hint))
        pairs.append((decoded_name, decoded_address.lower()))
    return [pair for pair in pairs if pair[0] or pair[1]]


def _split_addresses(raw: str) -> list[tuple[str, str]]:
    """(name, address) pairs of one header value. A display name with a bare comma or semicolon (some
    mailers write ``Smith, John <j@x>`` unquoted, or inside an encoded word) reads as an address list
    with a non-address in it; then each ``<address>`` is taken with the text before it as its name."""
    found = getaddresses([raw])
    if all("@" in address and "=?" not in address for _, address in found if address):
        return found
    angled = [
        (match.group("name").strip(" \t,;\"'"), match.group("address"))
        for match in _ANGLE_ADDRESS.finditer(raw)
    ]
    return angled or found


def _ids(value: str) -> list[str]:
    """The Message-IDs in a raw header value, in angle brackets; raw 8-bit bytes (surrogate escapes)
    read as UTF-8, any that are not written as ``\\xNN``; an id with controls or line breaks is none."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    found = [f"<{match}>" for match in _MESSAGE_ID.findall(value)]
    bare = value.strip().strip("<>")[:990]
    if not found and _BARE_ID.fullmatch(bare):
        found = [f"<{bare}>"]
    return found


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
