"""Decoding raw header values: RFC 2047 encoded words (broken ones too) and raw 8-bit or 7-bit
ISO-2022 text, each piece by ``charsets.decode_bytes``; guesses are noted for the event."""

from __future__ import annotations

import base64
import binascii
import quopri
import re

from hotline.mailbox.charsets import Decoded, decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"^\s*$")


def decode_header(value: str | None, *, hint: str | None = None, guesses: list[Decoded] | None = None) -> str:
    """Decode a raw header value (raw 8-bit bytes kept as surrogate escapes by the parser).

    Adjacent encoded words in one charset are joined before decoding, so a multi-byte character split
    across two words survives; whitespace between encoded words is dropped as RFC 2047 says. Each
    piece whose charset was guessed is appended to ``guesses``.
    """
    if not value:
        return ""
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    out: list[str] = []
    for charset, data in _pieces(value):
        if charset is None and data.isascii() and b"\x1b" not in data:
            out.append(data.decode("ascii"))
            continue
        decoded = decode_bytes(data, charset, hint=hint)
        if decoded.guessed and guesses is not None:
            guesses.append(decoded)
        out.append(decoded.text)
    return "".join(out)


def _pieces(value: str) -> list[tuple[str | None, bytes]]:
    """(charset, bytes) of each encoded word (adjacent ones in one charset joined), (None, bytes) for
    literal text."""
    pieces: list[tuple[str | None, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        literal = value[position : match.start()]
        if literal and not (_BETWEEN_WORDS.match(literal) and pieces and pieces[-1][0] is not None):
            pieces.append((None, literal.encode("utf-8", "surrogateescape")))
        charset = match.group(1).split("*", 1)[0]
        data = _word_bytes(match.group(2), match.group(3))
        if pieces and pieces[-1][0] is not None and pieces[-1][0].lower() == charset.lower():
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    tail = value[position:]
    if tail:
        pieces.append((None, tail.encode("utf-8", "surrogateescape")))
    return pieces


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "Bb":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return base64.b64decode(cleaned[: len(cleaned) // 4 * 4] or b"")
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "surrogateescape"), header=False)
