"""Untrusted text made safe to show: no control characters, no escape sequences.

Email subjects, CSV cells and client names pass through ``printable`` before any face displays them;
the faces also never read them as markup (``rich.text.Text``, ``markup=False``). JSON keeps the data
whole: ``json_safe`` writes what ``printable`` would drop as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def printable(text: str | None, *, multiline: bool = False) -> str:
    """``text`` with escape sequences removed and every other control character dropped.

    Newlines and tabs are kept when ``multiline``; otherwise they become single spaces.
    """
    if not text:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", text)
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
