"""Decoding mail bytes into text: by the charset label where it fits, by a detector where it does not.

The label is believed when the bytes decode with it (or with the superset mail software really means
by it: windows-1252 for ISO-8859-1 and US-ASCII, GB18030 for GB2312 and GBK, as the WHATWG Encoding
standard reads them) and the result reads as text. Bytes that are valid UTF-8 are UTF-8 whatever the
label says. A part labelled UTF-8 with a few invalid bytes keeps its UTF-8 and only those bytes are
detected. Everything else — no label, a label no codec knows, a label that lies — goes to the
detector (``charset_detection``), and the result says so (``Decoded.guessed``), so the event can be
marked. ISO-2022 text is recognised by its escape sequences, UTF-7 by its label.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from hotline.mailbox.charset_detection import SAMPLE_BYTES, detect, is_clean
from hotline.mailbox.iso2022 import decode_iso2022, iso2022_codec

UTF8 = "utf_8"
UTF7 = "utf_7"
_ALIASES = {
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "default": None,
    "x-user-defined": None,
    "unicode-1-1-utf-7": UTF7,
    "x-unicode-2-0-utf-7": UTF7,
    "iso-2022-cn": "iso2022_cn",
    "iso-2022-cn-ext": "iso2022_cn",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-gbk": "gbk",
    "win-1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8_r",
    "x-mac-cyrillic": "mac_cyrillic",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "windows-874": "cp874",
    "utf8": UTF8,
}
# What senders mean by a label when the bytes do not fit the label itself (WHATWG Encoding standard).
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}
# Labels whose superset decodes the same bytes the same way, and C1 bytes as the sender's € or “ ”.
_SUPERSET_FIRST = frozenset({"ascii", "iso8859_1", "iso8859_9", "iso8859_11", "tis_620"})
_SURROGATES = re.compile("[\udc80-\udcff]+")
# Code pages in which most byte strings do not decode: a strict decode that succeeds is evidence.
MULTI_BYTE = frozenset({
    "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "shift_jis_2004",
    "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "euc_kr", "cp949", "johab", "hz", UTF8,
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text and how it was read: ``guessed`` when the label was missing, unknown or wrong."""

    text: str
    codec: str
    guessed: bool = False
    label: str | None = None

    def note(self, where: str) -> str:
        """A line for the event: where in the message a guess was made, and what it was."""
        said = f"labelled {self.label!r}" if self.label else "no charset label"
        return f"{where}: {said}; read as {self.codec} (detected)"


def codec_name(declared: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is missing or no codec knows it."""
    if not declared:
        return None
    label = declared.strip().strip("\"'").lower().split("*", 1)[0].strip()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None, *, hint: str | None = None) -> Decoded:
    """Decode ``data``; never raises. ``declared`` is the label as written; ``hint`` a label seen
    elsewhere in the message (raw 8-bit headers usually share the body's charset)."""
    label = declared.strip() if declared and declared.strip() else None
    codec = codec_name(label)
    if data.isascii():
        return _decode_ascii(data, codec, label)
    text = _valid_utf8(data)
    if text is not None:
        return Decoded(text, UTF8, guessed=codec not in (UTF8, None) and label is not None, label=label)
    if codec == UTF8:
        return _decode_broken_utf8(data, label, codec_name(hint))
    for candidate in _label_readings(codec):
        if (text := _fitting(data, candidate)) is not None:
            return Decoded(text, candidate, label=label)
    hinted = codec_name(hint)
    for candidate in _label_readings(hinted) if codec is None else ():
        if (text := _fitting(data, candidate)) is not None:
            return Decoded(text, candidate, guessed=True, label=label)  # another part's label
    return _detected(data, label, codec, hinted)


def _label_readings(codec: str | None) -> tuple[str, ...]:
    """The codecs a label stands for, in the order to try them."""
    if codec is None or codec == UTF8:
        return ()
    superset = _SUPERSETS.get(codec)
    if superset is None:
        return (codec,)
    return (superset, codec) if codec in _SUPERSET_FIRST else (codec, superset)


def _decode_ascii(data: bytes, codec: str | None, label: str | None) -> Decoded:
    """7-bit data: ISO-2022 by its escapes, UTF-7 by its label, else ASCII."""
    family = iso2022_codec(data)
    if family is not None:
        return Decoded(decode_iso2022(data, family), family, guessed=codec != family, label=label)
    if codec == UTF7:
        try:
            return Decoded(data.decode(UTF7), UTF7, label=label)
        except UnicodeDecodeError:
            pass
    return Decoded(data.decode("ascii"), "ascii", label=label)


def _valid_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _fitting(data: bytes, codec: str) -> str | None:
    """The text in ``codec`` when the bytes decode in it and, for a single-byte code page (where any
    byte decodes to something), the result reads as text."""
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return text if codec in MULTI_BYTE or is_clean(text) else None


def _decode_broken_utf8(data: bytes, label: str | None, hint: str | None) -> Decoded:
    """Labelled UTF-8 but not all of it: the valid UTF-8 kept, the other bytes (Latin-1 lines pasted
    into UTF-8 mail, a cut character) read in the charset detected for them all together."""
    text = data.decode("utf-8", errors="surrogateescape")
    # The other bytes in their context (the ASCII around them), without the UTF-8 characters.
    context = "".join(
        char if ord(char) < 0x80 or 0xDC80 <= ord(char) <= 0xDCFF else " " for char in text[:SAMPLE_BYTES]
    )
    preferred = tuple(c for c in (hint,) if c and c != UTF8)
    codec = detect(context.encode("utf-8", "surrogateescape"), preferred)
    if codec is None:  # bytes no charset reads as text (binary pasted into a text part): say so
        mixed = _SURROGATES.sub(lambda match: f"[{len(match.group())} bytes not text]", text)
        return Decoded(mixed, "utf_8+binary", guessed=True, label=label)
    mixed = _SURROGATES.sub(
        lambda match: match.group().encode("utf-8", "surrogateescape").decode(codec, errors="replace"), text
    )
    return Decoded(mixed, f"utf_8+{codec}", guessed=True, label=label)


def _detected(data: bytes, label: str | None, codec: str | None, hint: str | None) -> Decoded:
    """The detector's reading; failing that, the label's (or windows-1252's) with replacements."""
    preferred = tuple(c for c in (codec, _SUPERSETS.get(codec or ""), hint) if c and c not in (UTF8, "ascii"))
    found = detect(data, preferred)
    if found is not None:
        try:
            return Decoded(data.decode(found, errors="replace"), found, guessed=True, label=label)
        except LookupError:
            pass
    fallback = codec if codec and codec not in (UTF8, "ascii", "iso2022_cn") else "cp1252"
    try:
        return Decoded(data.decode(fallback, errors="replace"), fallback, guessed=True, label=label)
    except LookupError:
        return Decoded(data.decode("latin_1"), "latin_1", guessed=True, label=label)
