"""JSON reader: an array of client objects as ``clients export --format json`` writes them.

Each object becomes one row under :data:`JSON_HEADER`; lists (phones, emails, tags) are joined as the
CSV export joins them, phones given as ``{"raw", "e164", "label"}`` are read by their E.164, with the
number as typed (extension included) and the label kept. The row's line is the line its object starts
on. A key that is no client field is ignored and named in ``ignored_keys`` (the import reports it with
the ignored columns), never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hotline.core.errors import InvalidInput
from hotline.core.exporting import keep_apostrophe
from hotline.core.importing.records import SourceRow, where

JSON_HEADER = (
    "kind", "name", "last_name", "first_name", "middle_name", "organisation", "phones", "emails", "group",
    "birthday", "notes", "tags", "source", "campaign", "owner", "created_at", "group_colour",
    "group_contract_level", "id", "organisation_id",
)  # fmt: skip
_ABSENT_MATTERS = ("owner",)
"""A key whose absence is not a blank: an object without ``owner`` (an older export) is owned by the
importer, one with ``"owner": null`` by nobody."""
_PER_PHONE = ("phones_as_typed", "phone_labels")
"""Made from the phones' objects (``raw``, ``label``), as the CSV export writes them."""


class JsonSource:
    """A JSON array of objects, decoded one object at a time from the file's text."""

    nothing_read = "the array holds no client"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header = JSON_HEADER + _PER_PHONE
        self.ignored_keys: dict[str, None] = {}  # keys that are no client field, in order of appearance
        text = self._text = read_utf8(path)
        self._position = 0
        start = _skip_space(text, 0)
        if text[start : start + 1] != "[":
            raise InvalidInput("a JSON import is an array of client objects", where=where(path, 1))
        self._position = start + 1

    def close(self) -> None:
        self._text = ""

    def fraction(self) -> float | None:
        return min(1.0, self._position / len(self._text)) if self._text else None

    def __iter__(self) -> Iterator[SourceRow]:
        decoder = json.JSONDecoder(object_pairs_hook=_one_value_per_key, parse_constant=_not_json)
        text = self._text
        index = _skip_space(text, self._position)
        if text[index : index + 1] == "]":
            self._check_end(index + 1)
            return
        while True:
            line = text.count("\n", 0, index) + 1
            try:
                value, index = decoder.raw_decode(text, index)
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    f"malformed JSON ({error.msg})", where=where(self.path, error.lineno)
                ) from None
            except _KeyGivenTwice as error:  # the last one won silently
                raise InvalidInput(
                    f"the key {error.key!r} is given twice in one object", where=where(self.path, line)
                ) from None
            except _NotJson as error:  # NaN and Infinity: Python's reader takes them, "nan" became a name
                raise InvalidInput(
                    f"malformed JSON ({error.constant} is not JSON)", where=where(self.path, line)
                ) from None
            except RecursionError:  # arrays in arrays past the interpreter's depth: it was a traceback
                raise InvalidInput(
                    "malformed JSON (nested too deeply for client objects)", where=where(self.path, line)
                ) from None
            self._position = index
            if not isinstance(value, dict):
                raise InvalidInput("each element must be a client object", where=where(self.path, line))
            self.ignored_keys.update(dict.fromkeys(str(key) for key in value if key not in JSON_HEADER))
            cells = tuple(_cell(value.get(name)) for name in JSON_HEADER)
            absent = frozenset(name for name in _ABSENT_MATTERS if name not in value)
            problem = next(filter(None, (_type_problem(name, value.get(name)) for name in JSON_HEADER)), None)
            yield SourceRow(line, cells + _per_phone(value.get("phones")), problem=problem, absent=absent)
            index = _skip_space(text, index)
            separator = text[index : index + 1]
            if separator == "]":
                self._check_end(index + 1)
                return
            index = _skip_space(text, index + 1)
            if separator != ",":
                raise InvalidInput(
                    "malformed JSON (expected , or ] after an object)",
                    where=where(self.path, text.count("\n", 0, index) + 1),
                )

    def _check_end(self, index: int) -> None:
        """Only white space may follow the array: a second one (two exports in one file) was dropped."""
        index = _skip_space(self._text, index)
        if index < len(self._text):
            raise InvalidInput(
                "malformed JSON (more after the array's end)",
                where=where(self.path, self._text.count("\n", 0, index) + 1),
            )


def read_utf8(path: Path) -> str:
    """The whole file as UTF-8 (JSON's one encoding); a byte that is not names its line."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read the file: {error.strerror or error}", where=str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInput(
            f"bytes that are not valid UTF-8 ({error.reason})", where=where(path, line)
        ) from None


class _KeyGivenTwice(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise _KeyGivenTwice(key)
        value[key] = item
    return value


class _NotJson(Exception):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _not_json(constant: str) -> Any:
    raise _NotJson(constant)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


_SEVERAL = frozenset({"phones", "emails", "tags", "notes"})
"""The keys whose value may be a list (a phone in it may be the export's object)."""


def _type_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be what the key ``name`` holds (a hand-edited ``true`` became the text 'True'),
    or None: text, a number (an id, a phone), null, a list of them where the field holds several."""
    if isinstance(value, list) and name in _SEVERAL:
        for item in value:
            if isinstance(item, list):
                return f"{name}: a list in a list"
            if not (name == "phones" and isinstance(item, dict)) and (problem := _type_problem(name, item)):
                return problem
        return None
    if isinstance(value, bool):
        return f"{name}: {json.dumps(value)} is not text"
    if isinstance(value, list):
        return f"{name}: a list where one value goes"
    if isinstance(value, dict):
        return f"{name}: an object where text goes"
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return keep_apostrophe(", ".join(_text(item) for item in value if item is not None))
    return keep_apostrophe(_text(value))


def _per_phone(phones: Any) -> tuple[str, str]:
    """The phones as typed and their labels, a line each, when a phone is an export's object (one given as
    text beside them, added by hand, is typed so and has no label)."""
    if not isinstance(phones, list) or not any(isinstance(p, dict) for p in phones):
        return ("", "")
    phones = [p if isinstance(p, dict) else {"raw": p} for p in phones if p is not None]
    typed = "\n".join(str(p.get("raw") or p.get("e164") or "") for p in phones)
    labels = "\n".join(str(p.get("label") or "") for p in phones)
    return (keep_apostrophe(typed), keep_apostrophe(labels) if labels.strip() else "")


def _text(value: Any) -> str:
    if isinstance(value, dict):  # a phone as the export writes it
        return str(value.get("e164") or value.get("raw") or "")
    return str(value)
