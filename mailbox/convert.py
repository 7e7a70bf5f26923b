"""From raw message bytes to a display-safe ``ParsedMessage``: a pure function, tested on its own.

It never raises on bad mail it can read at all: broken MIME, wrong or missing charsets, encoded words
cut in half and raw 8-bit headers are decoded as well as they can be; what was left out for the size
limit is named in ``omitted``.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from hotline.mailbox.charsets import Decoded, decode_bytes
from hotline.mailbox.header_words import decode_header
from hotline.mailbox.html_text import html_to_text
from hotline.mailbox.message import MailAttachment, ParsedMessage
from hotline.mailbox.mime_params import raw_filename
from hotline.mailbox.quotes import split_reply
from hotline.mailbox.textclean import clean_line, clean_text

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
TICKET_TAG = re.compile(r"\[#(\d{1,9})\]")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")
_MAX_HEADERS = 500


@dataclass
class _Collected:
    """What the walk over the MIME tree gathers."""

    hint: str | None
    max_bytes: int
    texts: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    part_types: list[str] = field(default_factory=list)
    kept_bytes: int = 0
    guesses: list[tuple[str, Decoded]] = field(default_factory=list)
    """Where a charset was guessed (a part, a file name) and how it was read."""


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Parse one message; ``max_bytes`` bounds what is kept (attachments beyond it keep only metadata)."""
    size = len(raw)
    omitted: list[str] = []
    source = raw
    if size > 4 * max_bytes:
        source = raw[: 4 * max_bytes]
        omitted.append(f"message of {size} bytes: only its first {len(source)} bytes were read")
    message = _parse(source)
    hint = _charset_hint(message)
    collected = _Collected(hint=hint, max_bytes=max_bytes)
    _walk(message, collected)
    omitted.extend(collected.omitted)

    cleaned = (clean_text(text).strip("\n").rstrip() for text in collected.texts)
    body = "\n\n".join(text for text in cleaned if text.strip())
    if len(body) > max_bytes:
        omitted.append(f"text cut at {max_bytes} of {len(body)} characters")
        body = body[:max_bytes]
    new_text, quoted = split_reply(body)
    raw_headers = list(message.raw_items())[:_MAX_HEADERS]
    headers = tuple((name, clean_line(decode_header(_str(value), hint=hint))) for name, value in raw_headers)
    subject_guesses: list[Decoded] = []
    subject = clean_line(
        decode_header(_raw_first(raw_headers, "Subject"), hint=hint, guesses=subject_guesses)
    )
    collected.guesses.extend(("subject", decoded) for decoded in subject_guesses)
    from_name, from_address = _first_address(_raw_all(raw_headers, "From"), hint, collected)
    references = tuple(_ids(_raw_first(raw_headers, "References")))
    reply_ids = _ids(_raw_first(raw_headers, "In-Reply-To"))
    message_ids = _ids(_raw_first(raw_headers, "Message-ID"))
    tag = TICKET_TAG.search(subject)
    reply_to = _first_address(_raw_all(raw_headers, "Reply-To"), hint, None)[1] or None
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=references,
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to,
        to_addresses=tuple(_addresses(_raw_all(raw_headers, "To"), hint)),
        cc_addresses=tuple(_addresses(_raw_all(raw_headers, "Cc"), hint)),
        date=_date(_raw_first(raw_headers, "Date")),
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
        report_type=(_str(message.get_param("report-type")) or None)
        if message.get_param("report-type")
        else None,
        return_path=_raw_first(raw_headers, "Return-Path").strip() or None,
        part_types=tuple(collected.part_types),
        charset_guesses=tuple(dict.fromkeys(decoded.note(where) for where, decoded in collected.guesses)),
    )


_BLANK_LINE = re.compile(rb"\n\r?\n")
_BASE64_ENCODING = re.compile(
    rb"^content-transfer-encoding:[ \t]*base64[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)
_BASE64_TEXT = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n"
_HEADER_WINDOW = 16 * 1024
_SET_ASIDE_FROM = 16 * 1024
_NONCE_CHARS = 24
_TOKEN = re.compile(r"[0-9a-f]+")


def _parse(source: bytes) -> Message:
    """The standard parser, spared the long base64 bodies: it reads a body line by line, and a 5 MB
    attachment is 70,000 lines. Each such body is set aside, a short placeholder parsed in its place,
    and the body put back into its part afterwards, exactly as the parser would have kept it."""
    stripped, bodies = _set_aside_base64_bodies(source)
    message = BytesParser(policy=compat32).parsebytes(stripped)
    if bodies:
        nonce = next(iter(bodies))[:_NONCE_CHARS]
        for part in message.walk():
            payload = part.get_payload()
            if isinstance(payload, str) and payload.startswith(nonce):
                token = _TOKEN.match(payload)
                body = bodies.get(token.group()) if token else None
                if body is not None:  # the line break the parser kept, if any, stays after it
                    part.set_payload(body + payload[token.end() :])
    return message


def _set_aside_base64_bodies(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """``raw`` with every long body that is wholly base64 text (padding at its end only), right after
    the headers of a part that declare ``Content-Transfer-Encoding: base64``, replaced by a unique
    token; and the bodies by token (without their last line break, which stays in the message)."""
    if len(raw) < _SET_ASIDE_FROM:
        return raw, {}
    pieces: list[bytes] = []
    bodies: dict[str, str] = {}
    nonce = secrets.token_hex(_NONCE_CHARS // 2)
    done = 0
    for blank in _BLANK_LINE.finditer(raw):
        start = blank.end()
        if start < done:
            continue
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end + 1
        if end - start < _SET_ASIDE_FROM or not _declares_base64(raw, blank.start()):
            continue
        body = raw[start:end]
        ending = b"\r\n" if body.endswith(b"\r\n") else b"\n" if body.endswith(b"\n") else b""
        core = body[: len(body) - len(ending)]
        if core.rstrip(b"\r\n").rstrip(b"=").translate(None, _BASE64_TEXT):
            continue  # not base64 text throughout, or padding inside: leave it to the parser
        token = f"{nonce}{len(bodies)}"
        bodies[token] = core.decode("ascii")
        pieces.append(raw[done:start])
        pieces.append(token.encode("ascii") + ending)
        done = end
    if not pieces:
        return raw, {}
    pieces.append(raw[done:])
    return b"".join(pieces), bodies


def _declares_base64(raw: bytes, headers_end: int) -> bool:
    """Whether the header block ending at ``headers_end`` (a part's, after its boundary line, or the
    message's own) declares base64."""
    window_start = max(0, headers_end - _HEADER_WINDOW)
    boundary = raw.rfind(b"\n--", window_start, headers_end)
    if boundary < 0 and window_start > 0:
        return False
    headers = raw[boundary + 1 if boundary >= 0 else 0 : headers_end + 1]
    if b"\n\n" in headers or b"\n\r\n" in headers:
        return False  # not the first blank line after the headers: inside a body
    return _BASE64_ENCODING.search(headers) is not None


def _raw_all(raw_headers: list[tuple[str, object]], name: str) -> list[object]:
    """Every value of a header as stored (raw 8-bit kept as surrogate escapes for our own decoding)."""
    wanted = name.lower()
    return [value for key, value in raw_headers if key.lower() == wanted]


def _raw_first(raw_headers: list[tuple[str, object]], name: str) -> str:
    values = _raw_all(raw_headers, name)
    return _str(values[0]) if values else ""


def _str(value: object) -> str:
    """A header value as a str (compat32 may hand back a Header object or a tuple for parameters)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return str(value[-1])
    return str(value)


def _charset_hint(message: Message) -> str | None:
    for part in message.walk():
        charset = part.get_param("charset")
        if charset and not part.is_multipart():
            name = _str(charset).lower()
            if name not in ("us-ascii", "ascii", "utf-8"):
                return name
    return None


def _walk(part: Message, collected: _Collected) -> None:
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
            _walk(child, collected)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    is_body = content_type in ("text/plain", "text/html") or content_type.startswith("multipart/")
    if is_body and disposition != "attachment" and not filename:
        _keep_text(part, content_type, collected)
        return
    if content_type.startswith("message/") and not filename:
        _keep_message_part(part, collected)
        return
    _keep_attachment(part, filename, content_type, disposition, collected)


def _walk_alternative(children: list[Message], collected: _Collected) -> None:
    """Pick one readable alternative: plain text when there is any, else HTML, else the last one."""
    plain = [c for c in children if c.get_content_type() == "text/plain" and not _filename(c)]
    html = [c for c in children if c.get_content_type() == "text/html" and not _filename(c)]
    nested = [c for c in children if c.is_multipart()]
    for candidate in html:
        collected.html.append(_decode_part(candidate, collected))
    if plain:
        _keep_text(plain[-1], "text/plain", collected)
        for child in nested:
            _walk_attachments_only(child, collected)
    elif nested:
        _walk(nested[-1], collected)
    elif html:
        collected.texts.append(html_to_text(collected.html[-1]))
    elif children:
        _walk(children[-1], collected)


def _walk_attachments_only(part: Message, collected: _Collected) -> None:
    """Inline images of an HTML alternative that was not shown as text are still kept."""
    for child in part.walk():
        if child.is_multipart() or child.get_content_type() in ("text/plain", "text/html"):
            continue
        disposition = (child.get_content_disposition() or "").lower()
        _keep_attachment(child, _filename(child), child.get_content_type(), disposition, collected)


def _keep_text(part: Message, content_type: str, collected: _Collected) -> None:
    text = _decode_part(part, collected)
    if content_type == "text/html" or (content_type != "text/plain" and "<html" in text[:2000].lower()):
        collected.html.append(text)
        text = html_to_text(text)
    collected.texts.append(text)


def _decode_part(part: Message, collected: _Collected) -> str:
    data = _payload_bytes(part)
    charset = part.get_param("charset")
    decoded = decode_bytes(data, _str(charset) if charset else None, hint=collected.hint)
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


def _keep_message_part(part: Message, collected: _Collected) -> None:
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
                    decode_header(_raw_first(list(inner_message.raw_items()), "Subject"), hint=collected.hint)
                )
            filename = _safe_filename(subject or "message") + ".eml"
        else:
            filename = content_type.split("/", 1)[1] + ".txt"
    _store(collected, filename, content_type, _payload_bytes(part), inline=False, content_id=None)


def _keep_attachment(
    part: Message, filename: str, content_type: str, disposition: str, collected: _Collected
) -> None:
    content_id = _str(part.get("Content-ID")).strip().strip("<>") or None
    if not filename:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        filename = f"part-{len(collected.attachments) + 1}{extension}"
    inline = disposition == "inline" or (disposition == "" and content_id is not None)
    _store(collected, filename, content_type, _payload_bytes(part), inline=inline, content_id=content_id)


def _store(
    collected: _Collected,
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


def _filename(part: Message, collected: _Collected | None = None) -> str:
    """The part's file name, decoded and made safe; "" when it names none."""
    guesses: list[Decoded] = []
    name = raw_filename(part, guesses)
    if collected is not None:
        collected.guesses.extend(("file name", decoded) for decoded in guesses)
    return _safe_filename(clean_line(name)) if name else ""


def _safe_filename(name: str) -> str:
    """A file name without directories or characters that mean something to a file system."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*\x00-\x1f]', "_", name).strip(" .")
    return name[:200] or "attachment"


def _first_address(values: list[object], hint: str | None, collected: _Collected | None) -> tuple[str, str]:
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
    raw_values = [re.sub(r"\r?\n(?=[ \t])", "", _str(value)) for value in values]
    pairs: list[tuple[str, str]] = []
    for name, address in getaddresses(raw_values):
        decoded_name = clean_line(decode_header(name, hint=hint, guesses=guesses)).strip("\"' ")
        decoded_address = clean_line(decode_header(address, hint=hint))
        pairs.append((decoded_name, decoded_address.lower()))
    return [pair for pair in pairs if pair[0] or pair[1]]


def _ids(value: str) -> list[str]:
    found = [f"<{match}>" for match in _MESSAGE_ID.findall(value)]
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')[:990]}>"]
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
