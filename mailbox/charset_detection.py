"""Guessing the charset of bytes whose label is missing, unknown or wrong, with charset-normalizer.

charset-normalizer decodes a sample with every plausible code page and measures how messy each text
is (its mess detector) and which languages it reads as. On a paragraph its best match is right; on a
subject line or a name several code pages tie (a few CJK bytes read as GB18030, Korean and Japanese
alike), and then the code pages mail really arrives in come first: the message's own other labels,
then those of ``COMMON_IN_MAIL``.
"""

from __future__ import annotations

import charset_normalizer
from charset_normalizer.md import mess_ratio

MESS_LIMIT = 0.2
"""A decoding messier than this (charset-normalizer's own default threshold) is not text."""
SAMPLE_BYTES = 64 * 1024
"""Detection reads at most this much of a body (charset-normalizer samples within it)."""
SHORT = 48
"""With fewer non-ASCII bytes than this, the detector's order among equally clean readings is noise."""
COMMON_IN_MAIL = (
    "cp1251", "koi8_r", "cp1252", "gb18030", "big5", "cp932", "euc_jp", "cp949",
    "iso8859_2", "cp1250", "koi8_u", "iso8859_5", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp874", "iso8859_7", "iso8859_15", "mac_cyrillic", "cp866",
)  # fmt: skip
# Decodings that only fit by accident in mail without a byte-order mark.
_NEVER = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
_TIE = 0.02


def is_clean(text: str) -> bool:
    """Whether ``text`` reads as text, not mojibake (charset-normalizer's mess detector, on a sample)."""
    return mess_ratio(text[:4096], MESS_LIMIT) < MESS_LIMIT


def detect(data: bytes, preferred: tuple[str, ...] = ()) -> str | None:
    """The codec ``data`` is most probably in (``preferred``: the message's labels, first among
    equals), or None when no code page reads it cleanly."""
    sample = data[:SAMPLE_BYTES]
    matches = charset_normalizer.from_bytes(sample, cp_exclusion=_NEVER)
    readings = [(match.encoding, match.chaos) for match in matches]
    non_ascii = sum(1 for byte in sample if byte > 0x7F)
    if readings and non_ascii >= SHORT:
        best = matches.best()
        return best.encoding if best is not None else None
    return _first_among_equals(sample, readings, preferred)


def _first_among_equals(
    sample: bytes, readings: list[tuple[str, float]], preferred: tuple[str, ...]
) -> str | None:
    """Among the cleanest readings, the first in the order of the message's labels, then of the code
    pages common in mail; code pages the detector did not offer are tried by its mess detector."""
    order = [*preferred, *COMMON_IN_MAIL]
    offered = dict(readings)
    for codec in order:
        if codec not in offered:
            chaos = _chaos(sample, codec)
            if chaos is not None:
                offered[codec] = chaos
    if not offered:
        return None
    cleanest = min(offered.values())
    if cleanest >= MESS_LIMIT:
        return None
    tied = [codec for codec, chaos in offered.items() if chaos <= cleanest + _TIE]
    ranked = sorted(tied, key=lambda codec: order.index(codec) if codec in order else len(order))
    return ranked[0]


def _chaos(sample: bytes, codec: str) -> float | None:
    try:
        text = sample.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return mess_ratio(text[:4096], 1.0)
