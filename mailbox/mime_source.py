"""Raw message bytes into the standard library's ``Message`` (compat32, so raw 8-bit header bytes stay
as surrogate escapes for our own decoding), and the raw header values read from it."""

from __future__ import annotations

import re
import secrets
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from hotline.mailbox.base64_decode import decode_base64

_BLANK_LINE = re.compile(rb"\n\r?\n")
_BASE64_ENCODING = re.compile(
    rb"^content-transfer-encoding:[ \t]*base64[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)
_BASE64_TEXT = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n"
_HEADER_WINDOW = 16 * 1024
_SET_ASIDE_FROM = 16 * 1024
_NONCE_CHARS = 24
_TOKEN = re.compile(r"[0-9a-f]+")


def parse_source(source: bytes) -> Message:
    """The standard parser, spared the long base64 bodies: it reads a body line by line, and a 5 MB
    attachment is 70,000 lines. Each such body is set aside, a short placeholder parsed in its place,
    and the body put back into its part afterwards, exactly as the parser would have kept it. A
    top-level Content-Type whose folding swallowed the headers after it (so the parser finds no
    boundary) is unfolded and the message parsed again."""
    message = _parse(source)
    lost = {type(defect).__name__ for defect in message.defects} & _BOUNDARY_LOST
    if message.get_content_maintype() == "multipart" and lost:
        repaired = _unswallowed_headers(source)
        if repaired is not None:
            return _parse(repaired)
    return message


_BOUNDARY_LOST = {"NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect"}
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE = re.compile(rb"^content-type:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)
_SWALLOWED = re.compile(rb"^[ \t]+(?=[A-Za-z][A-Za-z0-9-]{0,60}:[ \t])", re.MULTILINE)


def _unswallowed_headers(source: bytes) -> bytes | None:
    """The message with the continuation lines of its Content-Type that look like headers of their own
    (``\tX-Priority: 3``) made headers again; None when there is nothing to repair."""
    split = _HEAD_END.search(source)
    head = source[: split.start() + 1] if split else source
    found = _CONTENT_TYPE.search(head)
    if found is None or b"boundary" not in found.group().lower():
        return None
    fixed = _SWALLOWED.sub(b"", found.group())
    if fixed == found.group():
        return None
    return source[: found.start()] + fixed + source[found.end() :]


class SourceMessage(Message):
    """A ``Message`` that decodes a body set aside before parsing from that body's own bytes: the same
    value and defects as ``Message.get_payload(decode=True)`` (``decode_b``'s on the same characters,
    see ``decode_base64``), without its passes over the text (a str checked and turned back into bytes, split
    into lines and joined again; a 5 MB attachment is 70,000 lines)."""

    set_aside: tuple[str, bytes] | None = None
    """The payload as set after parsing, and the base64 body it begins with, as bytes."""

    def get_payload(self, i: int | None = None, decode: bool = False) -> Any:
        kept = self.set_aside
        if (
            not decode
            or i is not None
            or kept is None
            or kept[0] is not self._payload  # set again since: read it as the standard code does
            or not kept[0].isascii()  # what the parser kept after the body is not: the standard way too
            or str(self.get("content-transfer-encoding", "")).lower() != "base64"
        ):
            return super().get_payload(i, decode)
        payload, body = kept
        rest = payload[len(body) :].encode("ascii")  # what the parser kept after the body (a line break)
        value, defects = decode_base64((body + rest if rest else body).translate(None, b"\r\n"))
        for defect in defects:
            self.policy.handle_defect(self, defect)
        return value


def _parse(source: bytes) -> Message:
    stripped, bodies = _set_aside_base64_bodies(source)
    message = BytesParser(SourceMessage, policy=compat32).parsebytes(stripped)
    if bodies:
        nonce = next(iter(bodies))[:_NONCE_CHARS]
        for part in message.walk():
            payload = part.get_payload()
            if isinstance(payload, str) and payload.startswith(nonce):
                token = _TOKEN.match(payload)
                body = bodies.get(token.group()) if token else None
                if body is not None and token is not None:  # the line break the parser kept stays after it
                    text = body.decode("ascii") + payload[token.end() :]
                    part.set_payload(text)
                    if isinstance(part, SourceMessage):
                        part.set_aside = (text, body)
    return message


def _set_aside_base64_bodies(raw: bytes) -> tuple[bytes, dict[str, bytes]]:
    """``raw`` with every long body that is wholly base64 text (padding at its end only), right after
    the headers of a part that declare ``Content-Transfer-Encoding: base64``, replaced by a unique
    token; and the bodies by token (without their last line break, which stays in the message). Once
    a body is set aside the search for blank lines goes on after it (a blank line inside it could not
    start another: its part's headers would hold the blank line before it)."""
    if len(raw) < _SET_ASIDE_FROM:
        return raw, {}
    pieces: list[bytes] = []
    bodies: dict[str, bytes] = {}
    nonce = secrets.token_hex(_NONCE_CHARS // 2)
    done = 0
    position = 0
    while (blank := _BLANK_LINE.search(raw, position)) is not None:
        start = position = blank.end()
        end = _next_dash_line(raw, start)
        end = len(raw) if end < 0 else end + 1
        if end - start < _SET_ASIDE_FROM or not _declares_base64(raw, blank.start()):
            continue
        ending = (
            b"\r\n"
            if raw.endswith(b"\r\n", start, end)
            else b"\n"
            if raw.endswith(b"\n", start, end)
            else b""
        )
        core = raw[start : end - len(ending)]
        if not _base64_text(core):
            continue  # not base64 text throughout, or padding inside: leave it to the parser
        token = f"{nonce}{len(bodies)}"
        bodies[token] = core
        pieces.append(raw[done:start])
        pieces.append(token.encode("ascii") + ending)
        done = position = end
    if not pieces:
        return raw, {}
    pieces.append(raw[done:])
    return b"".join(pieces), bodies


def _next_dash_line(raw: bytes, start: int) -> int:
    """Where the first line break followed by ``--`` at or after ``start`` is (-1: none). Its dashes
    come at or after the first dash, found at memchr speed: base64 text has none."""
    dash = raw.find(b"-", start)
    return -1 if dash < 0 else raw.find(b"\n--", max(start, dash - 1))


def _base64_text(core: bytes) -> bool:
    """Whether ``core`` is base64 text and line breaks only, its ``=`` padding at its end (line breaks
    may follow it), without a copy of the body: one pass for the characters, memchr for the padding."""
    if core.translate(None, _BASE64_TEXT + b"="):
        return False
    padding = core.find(b"=")
    return padding < 0 or not core[padding:].rstrip(b"\r\n").lstrip(b"=")


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


def raw_all(raw_headers: list[tuple[str, object]], name: str) -> list[object]:
    """Every value of a header as stored (raw 8-bit kept as surrogate escapes for our own decoding)."""
    wanted = name.lower()
    return [value for key, value in raw_headers if key.lower() == wanted]


def raw_first(raw_headers: list[tuple[str, object]], name: str) -> str:
    values = raw_all(raw_headers, name)
    return header_str(values[0]) if values else ""


def header_str(value: object) -> str:
    """A header value as a str (compat32 may hand back a Header object or a tuple for parameters)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return str(value[-1])
    return str(value)
