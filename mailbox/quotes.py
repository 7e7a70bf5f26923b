"""Splitting the new text of a reply from the quoted history below (or, rarely, above) it."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*("
    r"On .{3,200}(wrote|writes)\s*:?"
    r"|.{0,200}\b(написал|написала|пишет|писал|писала)(\(а\))?\s*:"
    r"|Am .{3,200}schrieb.{0,100}:"
    r"|Le .{3,200}a écrit\s*:"
    r"|El .{3,200}escribió\s*:"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*("
    r"-{2,}\s*(Original Message|Исходное сообщение|Пересылаемое сообщение|Forwarded message"
    r"|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}"
    r"|_{10,}"
    r"|Begin forwarded message:"
    r")\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^\s*\**(From|От|Von|De|Отправлено|Sent|Date|Дата)\**\s*:\s*\S", re.IGNORECASE)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_header_at(lines: list[str], index: int) -> bool:
    """An Outlook-style 'From: … / Sent: … / To: … / Subject: …' block starts here."""
    if not re.match(r"^\s*\**(From|От|Von|De)\**\s*:", lines[index], re.IGNORECASE):
        return False
    following = lines[index + 1 : index + 5]
    return sum(1 for line in following if _HEADER_BLOCK.match(line) or ":" in line[:20]) >= 2


def split_reply(text: str) -> tuple[str, str]:
    """Return (new text, quoted history); the history is empty when nothing looks quoted.

    The cut is at the first attribution line ("On … wrote:", "… написал:"), separator ("-----Original
    Message-----"), Outlook header block, or the first run of ``>`` lines that is followed by nothing
    but more quotes and blank lines. When the quote comes first (top-quoting the other way round) the
    unquoted text after it is the new text.
    """
    lines = text.split("\n")
    cut: int | None = None
    for index, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _SEPARATOR.match(line) or _outlook_header_at(lines, index):
            cut = index
            break
        if _is_quoted(line):
            rest = [candidate for candidate in lines[index:] if candidate.strip()]
            if all(_is_quoted(candidate) for candidate in rest):
                cut = index
                break
    if cut is None:
        quoted_first = [index for index, line in enumerate(lines) if _is_quoted(line)]
        if quoted_first and quoted_first[0] == _first_non_blank(lines):
            last_quote = quoted_first[-1]
            new = "\n".join(line for line in lines[last_quote + 1 :] if not _is_quoted(line)).strip()
            if new:
                return new, "\n".join(lines[: last_quote + 1]).strip()
        return text.strip(), ""
    new_text = "\n".join(lines[:cut]).strip()
    history = "\n".join(lines[cut:]).strip()
    if not new_text:
        return text.strip(), ""
    return new_text, history


def _first_non_blank(lines: list[str]) -> int:
    return next((index for index, line in enumerate(lines) if line.strip()), -1)
