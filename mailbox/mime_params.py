"""A part's file name from its raw headers, in every form mail clients write it.

RFC 2231 (``filename*=utf-8''r%C3%A9sum%C3%A9.txt``, continuations ``filename*0*=…; filename*1*=…``),
RFC 2047 encoded words inside a quoted ``name=`` (as Outlook writes them), and raw 8-bit bytes in a
quoted value (as many clients send UTF-8 or a local code page): each decoded by ``charsets`` with
the label where there is one. The standard library's parser reads raw 8-bit values as U+FFFD, so the
parameters are read here from the header as stored.
"""

from __future__ import annotations

import re
from email.message import Message
from urllib.parse import unquote_to_bytes

from hotline.mailbox.charsets import Decoded, decode_bytes
from hotline.mailbox.header_words import decode_header

_PARAMETER = re.compile(
    r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)', re.DOTALL
)  # name = "quoted" | token
_SECTION = re.compile(r"^(?P<name>[^*]+)(?:\*(?P<index>\d+))?(?P<extended>\*)?$")
_WHERE = (("content-disposition", "filename"), ("content-type", "name"))


def raw_filename(part: Message, guesses: list[Decoded] | None = None) -> str:
    """The file name as the sender wrote it (not yet made safe), or "" when the part names none."""
    for header, wanted in _WHERE:
        for key, value in part.raw_items():
            if key.lower() != header:
                continue
            name = parameter(str(value), wanted, guesses)
            if name:
                return name
    return ""


def parameter(header_value: str, wanted: str, guesses: list[Decoded] | None = None) -> str:
    """One parameter of a raw header value, decoded; "" when absent."""
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", header_value)
    sections: dict[int, tuple[str, bool]] = {}
    plain: str | None = None
    for match in _PARAMETER.finditer(unfolded):
        section = _SECTION.match(match.group(1).strip().lower())
        if section is None or section.group("name") != wanted:
            continue
        value = _unquote(match.group(2).strip())
        if section.group("index") is None and not section.group("extended"):
            plain = plain if plain is not None else value
            continue
        index = int(section.group("index") or 0)
        sections.setdefault(index, (value, bool(section.group("extended"))))
    if sections:
        return _rfc2231(sections, guesses)
    return decode_header(plain, guesses=guesses) if plain else ""


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:])
    return value.strip()


def _rfc2231(sections: dict[int, tuple[str, bool]], guesses: list[Decoded] | None) -> str:
    """Join RFC 2231 sections in order; the first extended one carries ``charset'language'``."""
    charset: str | None = None
    data = bytearray()
    for position, index in enumerate(sorted(sections)):
        value, extended = sections[index]
        if extended and position == 0 and value.count("'") >= 2:
            charset, _, value = value.split("'", 2)
        chunk = value.encode("utf-8", "surrogateescape")
        data += unquote_to_bytes(chunk) if extended else chunk
    decoded = decode_bytes(bytes(data), charset or None)
    if decoded.guessed and guesses is not None:
        guesses.append(decoded)
    return decoded.text
