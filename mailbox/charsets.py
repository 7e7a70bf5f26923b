"""Decoding bytes and header words of unknown or wrongly declared charsets into text.

Mail declares its charset, often wrongly or not at all; windows-1251 and koi8-r bodies arrive as raw
8-bit with no declaration. UTF-8 validates itself, so it is tried first; anything else is decoded with
every plausible candidate and the most plausible text wins (a Cyrillic or Latin word has one script and
a sane letter case; koi8-r read as windows-1251 gives the case inverted, and so on).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
import unicodedata

CYRILLIC_SINGLE_BYTE = ("cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic")
WESTERN_SINGLE_BYTE = ("cp1252", "iso8859_2", "iso8859_15")
EAST_ASIAN = ("gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "iso2022_jp")
ALIASES = {
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "default": None,
    "x-user-defined": None,
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "euc_kr",
    "win-1251": "cp1251",
    "windows-1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8_r",
    "x-mac-cyrillic": "mac_cyrillic",
    "iso-8859-8-i": "iso8859_8",
    "utf8": "utf-8",
}
_WORD = re.compile(r"[^\W\d_]+")
_LOWER_UPPER = re.compile(r"[^\W\d_]")


def codec_name(declared: str | None) -> str | None:
    """The Python codec for a declared MIME charset, or None when it is missing or unknown."""
    if not declared:
        return None
    label = declared.strip().strip("\"'").lower().split("*", 1)[0]
    if label in ALIASES:
        return ALIASES[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _script(char: str) -> str:
    code = ord(char)
    if code < 0x250:
        return "latin"
    if 0x370 <= code < 0x400:
        return "greek"
    if 0x400 <= code < 0x530:
        return "cyrillic"
    if (
        0x3040 <= code < 0x3100
        or 0x4E00 <= code < 0xA000
        or 0xAC00 <= code < 0xD7B0
        or 0x3400 <= code < 0x4DC0
    ):
        return "cjk"
    return "other"


def plausibility(text: str) -> float:
    """How much ``text`` looks like human writing: words of one script with a sane case pattern score."""
    score = 0.0
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Co", "Cn", "Cs") and char not in "\r\n\t":
            score -= 5
        elif category == "So" or category == "Sk":
            score -= 1
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        scripts = {_script(c) for c in word}
        if len(scripts) > 1 or "other" in scripts:
            score -= 2 * len(word)
            continue
        script = scripts.pop()
        if script == "cjk":
            score += 2 * len(word)
            continue
        body = word[1:]
        if word.islower() or word.isupper() or (word[0].isupper() and body.islower()):
            score += len(word)
            if word.isupper() and len(word) > 1:
                score -= 0.3 * len(word)  # capitals-only words are rarer than lower-case ones
            if script == "latin":
                # accented Latin letters are rarer than Cyrillic in text that has any non-ASCII at all
                score -= 0.5 * sum(1 for c in word if not c.isascii())
        else:
            score -= len(word)
    return score


def _candidates(declared: str | None, hint: str | None) -> list[str]:
    names: list[str] = []
    for name in (declared, hint):
        if name and name not in ("ascii", "utf-8") and name not in names:
            names.append(name)
    names.extend(c for c in (*CYRILLIC_SINGLE_BYTE, *WESTERN_SINGLE_BYTE, *EAST_ASIAN) if c not in names)
    return names


def decode_bytes(data: bytes, declared: str | None = None, *, hint: str | None = None) -> tuple[str, str]:
    """Decode ``data`` to text and say which codec did it; never raises, never loses a byte's meaning.

    ``declared`` is the MIME charset label as written; ``hint`` a charset seen elsewhere in the same
    message (raw 8-bit headers usually share the body's charset).
    """
    if data.isascii():
        if b"\x1b$" in data or b"\x1b(" in data:
            try:
                return data.decode("iso2022_jp"), "iso2022_jp"
            except UnicodeDecodeError:
                pass
        return data.decode("ascii"), "ascii"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared_codec = codec_name(declared)
    hint_codec = codec_name(hint)
    best: tuple[float, int, str, str] | None = None
    for rank, name in enumerate(_candidates(declared_codec, hint_codec)):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        bonus = 0.0
        if name == declared_codec:
            bonus = 3.0 + len(data) * 0.02
        elif name == hint_codec:
            bonus = 1.0
        score = plausibility(text) + bonus
        if best is None or (score, -rank) > (best[0], best[1]):
            best = (score, -rank, name, text)
    if best is not None:
        return best[3], best[2]
    fallback = declared_codec or "cp1252"
    try:
        return data.decode(fallback, errors="replace"), fallback
    except LookupError:
        return data.decode("latin-1"), "latin-1"


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"^\s*$")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "Bb":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return base64.b64decode(cleaned[: len(cleaned) // 4 * 4] or b"")
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "surrogateescape"), header=False)


def decode_header(value: str | None, *, hint: str | None = None) -> str:
    """Decode a raw header value: RFC 2047 encoded words (also broken ones) and raw 8-bit bytes.

    Adjacent encoded words in one charset are joined before decoding, so a multi-byte character split
    across two words survives; whitespace between encoded words is dropped as RFC 2047 says.
    """
    if not value:
        return ""
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    pieces: list[tuple[str | None, bytes]] = []  # (charset or None for literal text, bytes)
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
    out: list[str] = []
    for charset, data in pieces:
        if charset is None:
            out.append(_decode_literal(data, hint))
        else:
            out.append(decode_bytes(data, charset, hint=hint)[0])
    return "".join(out)


def _decode_literal(data: bytes, hint: str | None) -> str:
    """Literal header text: surrogate-escaped raw bytes are decoded like a body without a charset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, None, hint=hint)[0]
