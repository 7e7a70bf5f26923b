"""The ISO-2022 family of 7-bit encodings: which one a text is in (by its escape sequences), and
ISO-2022-CN, which Python has no codec for.

ISO-2022-JP and ISO-2022-KR decode with Python's codecs. ISO-2022-CN (RFC 1922) designates GB 2312
(``ESC $ ) A``) or CNS 11643 planes 1 and 2 (``ESC $ ) G``, ``ESC $ * H``) and shifts in and out with
SO/SI (plane 2 by the single shift ``ESC N``). GB 2312 is decoded here; Python has no CNS 11643 table,
so a character from those planes becomes U+FFFD (and the caller notes that the text was not all read).
"""

from __future__ import annotations

import re

ESCAPE = b"\x1b"
_KR = re.compile(rb"\x1b\$\)C")
_CN = re.compile(rb"\x1b\$[)*+][AGHE]")
_JP = re.compile(rb"\x1b(\$[@B]|\$\(D|\([BJI])")
_SO, _SI = 0x0E, 0x0F
_REPLACEMENT = "\ufffd"


def iso2022_codec(data: bytes) -> str | None:
    """The ISO-2022 variant whose escape sequences ``data`` carries: iso2022_cn, iso2022_kr,
    iso2022_jp, or None when it carries none."""
    if ESCAPE not in data:
        return None
    if _CN.search(data):
        return "iso2022_cn"
    if _KR.search(data):
        return "iso2022_kr"
    if _JP.search(data):
        return "iso2022_jp"
    return None


def decode_iso2022(data: bytes, codec: str) -> str:
    """Decode ISO-2022 text; a broken sequence becomes U+FFFD rather than an error."""
    if codec == "iso2022_cn":
        return decode_iso2022_cn(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode(codec, errors="replace")


def decode_iso2022_cn(data: bytes) -> str:
    """ISO-2022-CN / ISO-2022-CN-EXT text: ASCII, GB 2312 in G1; CNS 11643 characters as U+FFFD."""
    out: list[str] = []
    g1: str | None = None  # "A" GB 2312, "G" CNS plane 1, "E" ISO-IR-165 (a GB 2312 superset)
    shifted = False
    index = 0
    length = len(data)
    while index < length:
        byte = data[index]
        if byte == 0x1B:
            index, designated = _escape(data, index, out)
            g1 = designated or g1
            continue
        if byte in (0x0A, 0x0D):
            shifted = False  # RFC 1922: a shift ends with its line (a designation is kept: senders forget)
            out.append(chr(byte))
            index += 1
            continue
        if byte == _SO:
            shifted, index = True, index + 1
            continue
        if byte == _SI:
            shifted, index = False, index + 1
            continue
        if shifted and 0x21 <= byte <= 0x7E and index + 1 < length:
            out.append(_g1_char(g1, byte, data[index + 1]))
            index += 2
            continue
        out.append(chr(byte) if byte < 0x80 else _REPLACEMENT)
        index += 1
    return "".join(out)


def _escape(data: bytes, index: int, out: list[str]) -> tuple[int, str | None]:
    """Handle the escape sequence at ``index``: the next index, and the set it designated to G1."""
    sequence = data[index + 1 : index + 4]
    if sequence in (b"$)A", b"$)G", b"$)E"):
        return index + 4, chr(sequence[-1])
    if sequence[:2] in (b"$*", b"$+"):
        return index + 4, None  # G2/G3 designations: CNS planes, read by single shifts
    if sequence[:1] in (b"N", b"O"):
        out.append(_REPLACEMENT)  # a single-shifted CNS 11643 character: no table for it
        return index + 4, None
    out.append(_REPLACEMENT)
    return index + 1, None


def _g1_char(g1: str | None, first: int, second: int) -> str:
    if g1 in ("A", "E"):
        try:
            return bytes((first | 0x80, second | 0x80)).decode("gb2312")
        except UnicodeDecodeError:
            return _REPLACEMENT
    return _REPLACEMENT
