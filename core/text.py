"""Untrusted text made safe to show: no control characters, no escape sequences.

Email subjects, CSV cells and client names pass through ``printable`` before any face displays them;
the faces also never read them as markup (``rich.text.Text``, ``markup=False``). JSON keeps the data
whole: ``json_safe`` writes what ``printable`` would drop as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import re
import unicodedata

from hotline.core.errors import InvalidInput

_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def without_escape_sequences(text: str) -> str:
    """``text`` without terminal escape sequences, whole (colours, links), as ``printable`` drops them."""
    return _ESCAPE_SEQUENCE.sub("", text) if "\x1b" in text else text


def printable(text: str | None, *, multiline: bool = False) -> str:
    """``text`` with escape sequences removed and every other control character dropped.

    Newlines and tabs are kept when ``multiline``; otherwise they become single spaces.
    """
    if not text:
        return ""
    text = without_escape_sequences(text)
    kept = []
    for char in text:
        if char in "\n\t" and multiline:
            kept.append(char)
        elif char in "\n\r\t\v\f" and not multiline:
            kept.append(" ")
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"} and char not in "\u200d":
            continue
        else:
            kept.append(char)
    result = "".join(kept)
    return result if multiline else " ".join(result.split())


def printable_path(path: object) -> str:
    """A file's path to show whole: a byte that was not UTF-8 (a lone surrogate, as Python reads a
    koi8-r folder name) is written ``\\xff`` and a character ``printable`` would drop (a control, an
    escape, a bidi override) ``\\x1b`` or ``\\u202e``, so the path said is the one written, nothing
    left out and nothing raw on the terminal."""
    text = str(path)
    if text.isprintable():
        return text
    shown = []
    for char in text:
        if char.isprintable():
            shown.append(char)
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # surrogateescape: the byte it stands for
            shown.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif ord(char) <= 0xFF:
            shown.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            shown.append(f"\\u{ord(char):04x}")
        else:
            shown.append(f"\\U{ord(char):08x}")
    return "".join(shown)


def json_safe(json_text: str) -> str:
    """JSON text with every character that is not printable (controls, bidi overrides, odd spaces) written
    as a ``\\uXXXX`` escape; outside strings JSON has only spaces and newlines, which are kept."""
    if json_text.isprintable() or all(char.isprintable() or char in "\n" for char in json_text):
        return json_text
    return "".join(
        char if char == "\n" or char.isprintable() else "".join(f"\\u{unit:04x}" for unit in _utf16(char))
        for char in json_text
    )


def _utf16(char: str) -> list[int]:
    encoded = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(encoded[index : index + 2], "big") for index in range(0, len(encoded), 2)]


def is_utf8_text(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: a byte that was not UTF-8 in an argument (typed in a
    koi8-r terminal) reaches Python as a lone surrogate, which no database takes and no stored name holds."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def format_duration(seconds: float) -> str:
    """A call's length as the console and the timeline write it: ``m:ss`` below an hour, ``h:mm:ss`` above."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


MAX_NOTES = 100_000
"""The most characters of typed notes (a client's, a call's, a ticket's): far above any written by hand."""

MAX_TAG = 50
"""The most characters of a tag (a client's, a ticket's)."""

MAX_CLIENT_TAGS = 100
"""The most tags of one client: written ``, ``-joined by the export (at most 5,200 characters), they are
read back by the import, which takes 10,000 characters of a field."""

TAG_SEPARATORS = ",;"
"""What separates a client's tags in an import or export cell: never inside a tag."""

MAX_REMINDER_TEXT = 1000
"""The most characters of a reminder's text."""

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def checked_text(
    text: str, *, what: str, at_most: int, where: str | None = None, multiline: bool = False
) -> str:
    """``text`` unchanged if it is at most ``at_most`` printable characters, else ``InvalidInput`` naming
    the field: typed text (a face, the CLI, a script) is refused, never cut or stored with a NUL (a
    database error on PostgreSQL). ``multiline`` keeps newlines and tabs. Mail-borne text is cleaned
    instead (mailbox/textclean.py): a message cannot be refused."""
    rule = f"{what} is at most {at_most} printable characters"
    if len(text) > at_most:
        raise InvalidInput(f"{rule} (this one has {len(text):,})", where=where or what)
    control = next((char for char in text if _control(char, multiline)), None)
    if control is not None:  # said, not only counted: a NUL in a short name is no length problem
        raise InvalidInput(f"{rule} (this one holds U+{ord(control):04X})", where=where or what)
    return text


def _control(char: str, multiline: bool) -> bool:
    if char.isprintable():
        return False
    if multiline and char in "\n\r\t":
        return False
    category = unicodedata.category(char)
    return category in {"Cc", "Cs", "Zl", "Zp"} or char in _BIDI_CONTROLS
