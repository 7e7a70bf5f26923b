"""File names from untrusted mail made safe to show and to write to any file system.

An attachment's name is the sender's: it may carry directories (``../../.bashrc``), control characters,
bidirectional overrides that make ``exe.pdf`` read as ``fdp.exe``, characters Windows forbids, a
reserved device name (``CON``, ``lpt1.txt``), or be hundreds of bytes long. ``safe_filename`` keeps
what the sender meant (letters of every script, spaces, the extension) and drops the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_NAME_BYTES = 200
"""Below every common file system's limit (255 bytes) with room for a ``-2`` suffix."""
FALLBACK = "attachment"
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str, *, fallback: str = FALLBACK) -> str:
    """``name`` without directories, control or format characters, characters a file system forbids,
    leading dots (hidden files, ``..``) or trailing dots and spaces; a reserved device name gets a
    ``_`` in front; too long a name is shortened keeping its extension. Never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        " " if char in "\t\r\n" else char
        for char in unicodedata.normalize("NFC", base)
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn") or char in "\t\r\n"
    )
    kept = _FORBIDDEN.sub("_", kept)
    kept = re.sub(r" {2,}", " ", kept).strip(" ").lstrip(".").rstrip(". ")
    if not kept:
        return fallback
    if _RESERVED.match(kept):
        kept = "_" + kept
    return _shortened(kept)


def unique_names(filenames: Iterable[str]) -> list[str]:
    """Each of ``filenames`` made safe, in order, none the same as an earlier one whatever its case: the
    second ``report.pdf`` is ``report-2.pdf``. How a ticket's attachments are named to list, show, pick
    and save (the same names everywhere, the order being that of the attachments' ids)."""
    taken: set[str] = set()
    names: list[str] = []
    for filename in filenames:
        base = safe_filename(filename)
        name, counter = base, 1
        while name.casefold() in taken:
            counter += 1
            name = numbered_filename(base, counter)
        taken.add(name.casefold())
        names.append(name)
    return names


def numbered_filename(name: str, number: int) -> str:
    """A safe ``name`` with ``-number`` before its extension (``report.pdf``, ``report-2.pdf``), still within
    ``MAX_NAME_BYTES``: the stem is cut to make room, so the numbered name stays itself when made safe
    again (appended to a name at the limit, the suffix was cut off on saving, back to the first name)."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    suffix = f"-{number}" + (f".{extension}" if extension else "")
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    if room < 1:  # an extension as long as the limit: the whole name is the stem
        stem, suffix = name, f"-{number}"
        room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return (cut or FALLBACK) + suffix


def _shortened(name: str) -> str:
    """At most ``MAX_NAME_BYTES`` bytes of UTF-8, the extension kept (whole characters only)."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return (cut or FALLBACK) + suffix
