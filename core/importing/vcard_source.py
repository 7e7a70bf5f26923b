"""Streaming vCard (.vcf, versions 2.1, 3.0 and 4.0) reader producing rows under a fixed header.

Handles line folding, vCard 2.1 quoted-printable values with their own CHARSET, escaped ``\\,`` ``\\;``
``\\n``, several TEL/EMAIL per card, a card inside a card (a 2.1 AGENT: both are read); photos and other
binary properties are skipped.
"""

from __future__ import annotations

import quopri
from collections.abc import Iterator
from io import TextIOWrapper
from pathlib import Path

from hotline.core.errors import InvalidInput
from hotline.core.importing.encoding import binary_kind, file_encoding, read_sample
from hotline.core.importing.records import MAX_LINE_CHARS, SourceRow, where

VCARD_HEADER = (
    "name", "last_name", "first_name", "middle_name", "organisation", "phones", "emails", "birthday", "notes",
    "tags",
)  # fmt: skip
_SKIPPED = {"PHOTO", "LOGO", "SOUND", "KEY"}
_COLUMN = {name: index for index, name in enumerate(VCARD_HEADER)}


def split_unescaped(value: str, separator: str) -> list[str]:
    """Split a vCard value on ``separator`` where it is not escaped, then unescape each part."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append({"n": "\n", "N": "\n"}.get(char, char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return split_unescaped(value, "\x00")[0]


class VcardSource:
    """A .vcf file read card by card; each card becomes one row under :data:`VCARD_HEADER`."""

    nothing_read = "there is no card in the file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header = VCARD_HEADER
        sample = read_sample(path)
        if not sample.strip():
            raise InvalidInput("the file is empty", where=str(path))
        kind = binary_kind(sample)
        if kind:
            raise InvalidInput(f"this is {kind}, not a vCard file", where=str(path))
        self.encoding = file_encoding(path)
        if b"BEGIN:VCARD" not in sample.upper() and "BEGIN:VCARD" not in _safe_upper(sample, self.encoding):
            raise InvalidInput("no BEGIN:VCARD found; this is not a vCard file", where=str(path))
        self._stream: TextIOWrapper = path.open("r", encoding=self.encoding, errors="strict", newline="")
        self._size = path.stat().st_size
        self.yearless_birthdays = 0
        """Cards whose BDAY has no year (``--0415``, Apple's ``X-APPLE-OMIT-YEAR``): imported without it."""

    @property
    def ignored_keys(self) -> list[str]:
        """What was left out of the cards, named with the ignored columns once the file is read."""
        count = self.yearless_birthdays
        if not count:
            return []
        cards = f"{count} card{'s' if count != 1 else ''}"
        return [f"BDAY without a year (a birthday needs one; left out of {cards})"]

    def close(self) -> None:
        self._stream.close()

    def fraction(self) -> float | None:
        return min(1.0, self._stream.buffer.tell() / self._size) if self._size else None

    def _physical_lines(self) -> Iterator[tuple[int, str]]:
        number = 0
        while True:
            try:
                text = self._stream.readline(MAX_LINE_CHARS + 1)
            except UnicodeDecodeError as error:
                raise InvalidInput(
                    f"bytes that are not valid {self.encoding} ({error.reason})",
                    where=where(self.path, number + 1),
                ) from None
            if not text:
                return
            number += 1
            if len(text) > MAX_LINE_CHARS and not text.endswith(("\n", "\r")):
                if _parse_property(text[:1000])[0] not in _SKIPPED:
                    raise InvalidInput(
                        f"the line is longer than {MAX_LINE_CHARS:,} characters",
                        where=where(self.path, number),
                    )
                text = text[:1000]  # a photo not folded: skipped, so the rest of its line is never kept
                while (rest := self._read_line(number)) and not rest.endswith(("\n", "\r")):
                    pass
            yield number, text.rstrip("\r\n")

    def _read_line(self, number: int) -> str:
        """The rest of line ``number`` (at most a bound's worth)."""
        try:
            return self._stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as error:
            raise InvalidInput(
                f"bytes that are not valid {self.encoding} ({error.reason})", where=where(self.path, number)
            ) from None

    def _logical_lines(self) -> Iterator[tuple[int, str]]:
        """Unfolded property lines: a leading space or tab continues, so does a quoted-printable ``=`` end."""
        start, parts = 0, []
        length = 0  # of the parts, counted as they come (a photo's are 100,000s)
        for number, text in self._physical_lines():
            soft_break = bool(parts) and parts[-1].endswith("=") and "QUOTED-PRINTABLE" in parts[0].upper()
            if parts and (soft_break or text[:1] in (" ", "\t")):
                if length < MAX_LINE_CHARS:
                    if soft_break:
                        parts[-1] = parts[-1][:-1]
                    parts.append(text if soft_break else text[1:])
                    length += len(parts[-1])
                continue
            if parts:
                yield start, "".join(parts)
            start, parts = number, [text] if text.strip() else []
            length = len(text)
        if parts:
            yield start, "".join(parts)

    def __iter__(self) -> Iterator[SourceRow]:
        card: dict[str, list[str]] | None = None
        card_line = 0
        problem: str | None = None  # the card's first value that cannot be read
        outer: list[tuple[dict[str, list[str]], int, str | None]] = []  # cards holding a card (AGENT)
        orphaned = False  # a property read outside any card was reported since the last BEGIN:VCARD
        for number, text in self._logical_lines():
            name, params, value = _parse_property(text)
            if name == "BEGIN" and value.strip().upper() == "VCARD":
                orphaned = False
                if card is not None:
                    outer.append((card, card_line, problem))
                card, card_line, problem = {}, number, None
            elif name == "END" and value.strip().upper() == "VCARD" and card is not None:
                yield self._row(card, card_line, problem)
                card, card_line, problem = outer.pop() if outer else (None, 0, None)
            elif card is None:
                if name in _READ and not orphaned:  # once for the lines up to the next BEGIN:VCARD
                    orphaned = True
                    problem_text = f"{name} outside a card: no BEGIN:VCARD before it"
                    yield SourceRow(number, ("",) * len(VCARD_HEADER), problem=problem_text)
            elif name == "BDAY" and _yearless(params, value):
                self.yearless_birthdays += 1  # the model holds a full date: left out, said once
            elif name not in _SKIPPED:
                try:
                    _add_property(card, name, params, value)
                except ValueError as error:
                    problem = problem or f"{name}: {error}"
        if card is not None:
            outer.append((card, card_line, problem))
        for _card, line, _problem in outer:
            yield SourceRow(line, ("",) * len(VCARD_HEADER), problem="the card has no END:VCARD")

    def _row(self, card: dict[str, list[str]], line: int, problem: str | None) -> SourceRow:
        cells = [""] * len(VCARD_HEADER)
        for field, values in card.items():
            joiner = "\n" if field == "notes" else ", "
            cells[_COLUMN[field]] = joiner.join(value for value in values if value)
        return SourceRow(line, tuple(cells), problem=problem)


def _safe_upper(sample: bytes, encoding: str) -> str:
    return sample.decode(encoding, errors="replace").upper()


def _parse_property(text: str) -> tuple[str, dict[str, str], str]:
    """``group.NAME;PARAM=x;BARE:value`` → (``NAME``, params upper-cased, raw value)."""
    head, _, value = text.partition(":")
    name, *raw_params = head.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, equals, param_value = raw.partition("=")
        if equals:
            params[key.strip().upper()] = param_value.strip().strip('"')
        else:
            params.setdefault("TYPE", key.strip())  # vCard 2.1 bare parameters: CELL, QUOTED-PRINTABLE
            if key.strip().upper() == "QUOTED-PRINTABLE":
                params["ENCODING"] = "QUOTED-PRINTABLE"
    return name.rpartition(".")[2].strip().upper(), params, value


def _decode_value(params: dict[str, str], value: str) -> str:
    """The value, its quoted-printable bytes decoded in their CHARSET (UTF-8 when none is said);
    ``ValueError`` when they are not that charset (they were read with '�' for each letter)."""
    if params.get("ENCODING", "").upper() != "QUOTED-PRINTABLE":
        return value
    charset = params.get("CHARSET") or "utf-8"
    raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
    try:
        return raw.decode(charset)
    except LookupError:
        raise ValueError(f"unknown CHARSET {charset!r}") from None
    except UnicodeDecodeError:
        said = "its CHARSET" if params.get("CHARSET") else "no CHARSET: UTF-8 was tried"
        raise ValueError(f"the quoted-printable value is not valid {charset.upper()} ({said})") from None


_READ = frozenset({"FN", "N", "ORG", "TEL", "EMAIL", "BDAY", "NOTE", "CATEGORIES"})


def _add_property(card: dict[str, list[str]], name: str, params: dict[str, str], value: str) -> None:
    if name not in _READ:
        return  # an address, a URL: not read, so never a reason to refuse the card
    value = _decode_value(params, value)
    if name == "FN":
        card.setdefault("name", []).append(unescape(value).strip())
    elif name == "N":
        parts = [*split_unescaped(value, ";"), "", "", ""]
        for field, part in zip(("last_name", "first_name", "middle_name"), parts, strict=False):
            card.setdefault(field, []).append(part.strip())
    elif name == "ORG":
        card.setdefault("organisation", []).append(split_unescaped(value, ";")[0].strip())
    elif name == "TEL":
        card.setdefault("phones", []).append(_tel(unescape(value).strip()))
    elif name == "EMAIL":
        card.setdefault("emails", []).append(unescape(value).removeprefix("mailto:").strip())
    elif name == "BDAY":
        card.setdefault("birthday", []).append(unescape(value).strip())
    elif name == "NOTE":
        card.setdefault("notes", []).append(unescape(value).strip())
    elif name == "CATEGORIES":
        card.setdefault("tags", []).extend(part.strip() for part in split_unescaped(value, ","))


def _yearless(params: dict[str, str], value: str) -> bool:
    """A BDAY without a year: vCard 4.0's ``--MMDD`` / ``--MM-DD``, or Apple's year placeholder
    (``BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15``)."""
    text = value.strip()
    if text.startswith("--"):
        return True
    omitted = params.get("X-APPLE-OMIT-YEAR", "").strip()
    return bool(omitted) and text.startswith(omitted)


def _tel(value: str) -> str:
    """A TEL value as typed: vCard 4.0 writes a ``tel:`` URI (``tel:+1-555-555-5555;ext=5555``), whose
    parameters were split off as a second, unparseable phone and the whole card refused."""
    if value[:4].lower() != "tel:":
        return value
    number, *params = value[4:].split(";")
    extension = next((p.partition("=")[2] for p in params if p.lower().startswith("ext=")), "")
    return f"{number} ext. {extension}" if extension.strip() else number
