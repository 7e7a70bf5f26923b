"""One source row checked and turned into a typed client draft, or into the reasons it cannot be."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import phonenumbers

from hotline.core.clock import EARLIEST_YEAR
from hotline.core.dates import DateOrder, date_pattern, parse_date
from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.exporting import ESCAPED_BY_APOSTROPHE
from hotline.core.importing.headers import NAME_FIELDS, PER_PHONE, ColumnMap
from hotline.core.importing.records import MAX_CELL_CHARS, SourceRow
from hotline.core.phones import (
    MAX_PHONE_LENGTH,
    NormalizedPhone,
    dials_8_for_plus_7,
    digits_of,
    normalize_phone,
)
from hotline.core.services.clients import display_name
from hotline.core.services.groups import clean_colour, clean_contract_level
from hotline.core.text import MAX_CLIENT_TAGS, MAX_TAG

if TYPE_CHECKING:
    from hotline.core.importing.identity import Target

_LIMITS = {"name": 300, "first_name": 100, "middle_name": 100, "last_name": 100, "organisation": 300,
           "group": 100, "notes": 100_000, "source": 100, "campaign": 100, "owner": 64,
           "group_contract_level": 50, "id": 100, "organisation_id": 100}  # fmt: skip
_KINDS = {
    "person": "person", "физлицо": "person", "физическоелицо": "person", "частноелицо": "person",
    "персона": "person", "человек": "person", "контакт": "person", "individual": "person",
    "organisation": "organisation", "organization": "organisation", "company": "organisation",
    "org": "organisation", "юрлицо": "organisation", "юридическоелицо": "organisation",
    "организация": "organisation", "компания": "organisation",
}  # fmt: skip
_BIDI_AND_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_PHONE_SEPARATORS = re.compile(r"[,;/\n]+")
_EMAIL_SEPARATORS = re.compile(r"[,;\s]+")
_TAG_SEPARATORS = re.compile(r"[,;\n]+")
_PLAIN_PHONE = re.compile(r"\+?[0-9 ()\-]{10,24}")
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row cannot be imported: where (line, column) and the reason in words."""

    line: int
    column: str
    reason: str

    def describe(self, path: str) -> str:
        place = f"{path}:{self.line}"
        return f"{place}: {self.column}: {self.reason}" if self.column else f"{place}: {self.reason}"


@dataclass(slots=True)
class ClientDraft:
    """A client as a row describes it, every value cleaned and normalised, not yet stored."""

    line: int
    kind: str
    name: str
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    organisation: str | None = None
    phones: list[NormalizedPhone] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    group: str | None = None
    birthday: date | None = None
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    campaign: str | None = None
    owner: str | None = None
    """The owning operator's login; blank is nobody. Read only when the file has an owner column."""
    owner_given: bool = False
    owner_id: int | None = None
    """Set by the import from ``owner`` (``ImportRun``); without an owner column the importer owns."""
    created_at: datetime | None = None
    group_colour: str | None = None
    group_contract_level: str | None = None
    ref: str | None = None
    """The row's ``id`` in the file (an export's client id): what ``organisation_ref`` names."""
    organisation_ref: str | None = None
    """The ``id`` of the person's organisation in the same file: same-named organisations stay apart."""
    organisation_target: Target | None = None
    """The organisation the import links the person to (set by ``ImportRun``), else found by name."""


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Untrusted cell text made safe to store and show: control and bidi characters gone, a leading
    apostrophe that neutralised a formula (or protected an apostrophe) on export removed, whitespace
    trimmed."""
    if (  # the common case, answered quickly: nothing to remove, change or trim
        text.isprintable()
        and text[:1] not in ("'", " ")
        and text[-1:] != " "
        and unicodedata.is_normalized("NFC", text)
    ):
        return text
    if text[:1] == "'" and text[1:2] in ESCAPED_BY_APOSTROPHE:
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    text = unicodedata.normalize("NFC", _BIDI_AND_CONTROL.sub("", text))
    return text.strip()


def quick_plus7_phone(raw: str, *, trunk_8: bool) -> NormalizedPhone | None:
    """The common ``+7`` shapes (``+7 …``, and ``8 …`` with ten digits after where ``trunk_8``: see
    ``dials_8_for_plus_7``) without the cost of a full parse; None for anything else, which then goes
    through ``normalize_phone``.

    Gives exactly what ``normalize_phone`` gives for these shapes (a test compares the two): for
    country code 7 every ten-digit national number is a possible one.
    """
    typed = " ".join(raw.split())
    if not _PLAIN_PHONE.fullmatch(typed):
        return None
    digits = _NOT_DIGIT.sub("", typed)
    if len(digits) != 11:
        return None
    international = typed.startswith("+") and digits[0] == "7"
    national = (  # "8 10 …" is the international prefix of those regions, not a trunk 8
        trunk_8 and not typed.startswith("+") and digits[0] == "8" and digits[1:3] != "10"
    )
    if not (international or national):
        return None
    return NormalizedPhone(raw=typed, e164=f"+7{digits[1:]}", digits=f"7{digits[1:]}")


def _same_number(typed: str, e164: str) -> bool:
    """Whether a number as typed is ``e164`` (its national digits, with a trunk prefix or extension
    around them): what an export's ``phones_as_typed`` must agree with."""
    national = str(phonenumbers.parse(e164).national_number)
    return national in _NOT_DIGIT.sub("", digits_of(typed))


def parse_instant(text: str, *, today: date | None = None) -> datetime:
    """A moment as an export writes it (ISO-8601; without an offset: UTC). Raises ValueError with a
    reason for anything else, or a day after ``today``."""
    try:
        moment = datetime.fromisoformat(text.strip())
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: its UTC is past the year 9999
        raise ValueError(
            f"{text!r} is not a date and time (expected ISO-8601, as an export writes)"
        ) from None
    if moment.year < EARLIEST_YEAR:
        raise ValueError(
            f"{text!r} is before {EARLIEST_YEAR}: not when a client was created (a program's empty date?)"
        )
    if today is not None and moment.date() > today:
        raise ValueError(f"{text!r} is in the future")
    return moment


def parse_birthday(text: str, *, order: DateOrder = "dmy", today: date | None = None) -> date:
    """A birth date from ISO, ``YYYYMMDD``, an ISO date-time or as people write it in ``order`` (the
    settings' ``date_order``: ``DD.MM.YYYY`` and ``DD/MM/YYYY`` day-first).

    Raises ValueError with a reason for a two-digit or missing year, an impossible or a future date.
    """
    value = text.strip().split("T")[0].split(" ")[0]
    if value.startswith("--"):
        raise ValueError(f"birthday {text!r} has no year")
    if match := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value):
        value = "-".join(match.groups())
    elif match := re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})", value):
        if len(match.group(1)) == 2:
            raise ValueError(f"birthday {text!r} has a two-digit year; write the year in full")
    elif not re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}", value):
        raise ValueError(f"birthday {text!r} is not a date (expected {date_pattern(order)} or YYYY-MM-DD)")
    try:
        born = parse_date(value, order)
    except InvalidInput as error:
        reason = error.message.split(": ", 1)[-1]
        raise ValueError(f"birthday {text!r} is an impossible date: {reason}") from None
    if born.year < 1900 or (today is not None and born > today):
        raise ValueError(f"birthday {text!r} is not a plausible birth date")
    return born


SPREADSHEET_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)
"""What a spreadsheet shows (and saves, in the workbook and in a CSV) for a formula that failed."""


class DraftBuilder:
    """Turns rows into drafts with the phone region and "today" fixed for the whole import."""

    def __init__(
        self,
        columns: ColumnMap,
        *,
        default_region: str,
        date_order: DateOrder = "dmy",
        today: date | None = None,
    ) -> None:
        self.columns = columns
        self.default_region = default_region
        self.date_order = date_order
        self.today = today
        self._trunk_8 = dials_8_for_plus_7(default_region)
        self._unnamed = tuple(index for index, name in enumerate(columns.header) if not name)
        self.unnamed_with_cells: set[int] = set()
        """The columns without a header in which a row had something: the import names them as ignored."""

    def build(self, row: SourceRow) -> ClientDraft | list[RowError]:
        """The draft for ``row``, or every problem the row has (never just the first)."""
        errors: list[RowError] = []
        for index in self._unnamed:
            if index < len(row.cells) and row.cells[index].strip():
                self.unnamed_with_cells.add(index)
        if row.problem:
            errors.append(RowError(row.line, "", row.problem))
        if max(map(len, row.cells), default=0) > MAX_CELL_CHARS:
            errors.extend(self._overlong_cells(row))
        values = self.columns.values(row.cells)
        sole: list[RowError] = []  # all there is to say of their column: its other errors would repeat them
        for name, cells in values.items():
            failed = next((text.strip() for _, text in cells if text.strip() in SPREADSHEET_ERRORS), None)
            if failed:
                reason = f"{failed} is a spreadsheet's error (a formula that failed), not a value"
                sole.append(self._error(row.line, name, reason))
        for index in self.columns.columns.get("phones", ()):
            if index in row.inexact:
                reason = (
                    f"the number {row.cells[index]} cannot be read exactly as a phone (a spreadsheet keeps"
                    " 15 digits, and no fraction is a phone): format the cell as text and type it again"
                )
                sole.append(self._error(row.line, "phones", reason))
                break
        texts: dict[str, str] = {}
        for name, cells in values.items():
            multiline = name == "notes"
            joiner = "\n" if multiline else ", "
            if name in PER_PHONE:  # a line per phone: blank lines hold their place
                lines = "\n".join(text for _, text in cells).replace("\r\n", "\n").split("\n")
                texts[name] = "\n".join(clean_text(line) for line in lines)
            else:
                cleaned = (clean_text(text, multiline=multiline) for _, text in cells)
                texts[name] = joiner.join(part for part in cleaned if part)
            limit = _LIMITS.get(name, 10_000)
            # Too long a field is said once: not again when one of its cells was refused above.
            if len(texts[name]) > limit and all(len(text) <= MAX_CELL_CHARS for _, text in cells):
                sole.append(self._error(row.line, name, f"longer than {limit} characters"))
        errors.extend(sole)
        draft = ClientDraft(line=row.line, kind="person", name="")
        self._names(draft, texts, errors)
        self._phones(draft, texts, errors)
        self._emails(draft, texts.get("emails", ""), errors)
        if texts.get("birthday"):
            try:
                draft.birthday = parse_birthday(texts["birthday"], order=self.date_order, today=self.today)
            except ValueError as error:
                errors.append(self._error(row.line, "birthday", str(error)))
        draft.group = texts.get("group") or None
        draft.notes = texts.get("notes", "")
        draft.source = texts.get("source") or None
        draft.campaign = texts.get("campaign") or None
        draft.ref = texts.get("id") or None
        draft.organisation_ref = texts.get("organisation_id") or None
        if draft.organisation_ref and draft.kind == "person" and not draft.organisation:
            # The id only tells same-named organisations apart: alone, the person was linked to none.
            reason = "names an organisation but the organisation column is empty: give its name too"
            errors.append(self._error(row.line, "organisation_id", reason))
        draft.owner_given = "owner" in self.columns.columns and "owner" not in row.absent
        draft.owner = texts.get("owner") or None
        self._created_and_group(draft, texts, errors)
        tags = (tag.strip() for tag in _TAG_SEPARATORS.split(texts.get("tags", "")))
        draft.tags = list(dict.fromkeys(tag for tag in tags if tag))
        self._check_tags(draft, errors)
        if sole:
            said = {error.column for error in sole}
            errors = [error for error in errors if error.column not in said or error in sole]
        return errors or draft

    def _created_and_group(self, draft: ClientDraft, texts: dict[str, str], errors: list[RowError]) -> None:
        if texts.get("created_at"):
            try:
                draft.created_at = parse_instant(texts["created_at"], today=self.today)
            except ValueError as error:
                errors.append(self._error(draft.line, "created_at", str(error)))
        for name, clean in (("group_colour", clean_colour), ("group_contract_level", clean_contract_level)):
            if texts.get(name):
                try:
                    setattr(draft, name, clean(texts[name], where=""))
                except InvalidInput as error:
                    errors.append(self._error(draft.line, name, error.message))

    def _check_tags(self, draft: ClientDraft, errors: list[RowError]) -> None:
        """Tags as a client holds them (what a card accepts, the export writes): one past 50 characters
        was cut at 100, silently, and stored past the card's own bound."""
        long = next((tag for tag in draft.tags if len(tag) > MAX_TAG), None)
        if long is not None:
            reason = f"a tag is at most {MAX_TAG} characters ({long[:20]!r}… has {len(long):,})"
            errors.append(self._error(draft.line, "tags", reason))
        if len(draft.tags) > MAX_CLIENT_TAGS:
            reason = f"a client has at most {MAX_CLIENT_TAGS} tags (this row gives {len(draft.tags):,})"
            errors.append(self._error(draft.line, "tags", reason))

    def _overlong_cells(self, row: SourceRow) -> list[RowError]:
        """A cell past the readers' bound is refused wherever it is, read into a field or not."""
        header = self.columns.header
        return [
            RowError(
                row.line, header[index] or f"column {index + 1}", f"longer than {MAX_CELL_CHARS:,} characters"
            )
            for index, cell in enumerate(row.cells)
            if len(cell) > MAX_CELL_CHARS
        ]

    def _error(self, line: int, field_name: str, reason: str) -> RowError:
        return RowError(line, self.columns.label(field_name), reason)

    def _names(self, draft: ClientDraft, texts: dict[str, str], errors: list[RowError]) -> None:
        first, middle, last = (texts.get(key) or None for key in ("first_name", "middle_name", "last_name"))
        organisation = texts.get("organisation") or None
        kind_text = texts.get("kind", "")
        kind = _KINDS.get(re.sub(r"[^a-zа-я]", "", kind_text.lower())) if kind_text else None
        if kind_text and kind is None:
            errors.append(
                self._error(draft.line, "kind", f"unknown kind {kind_text!r} (person or organisation)")
            )
        name = texts.get("name") or display_name(first, middle, last)
        if not name and organisation and kind != "person":
            name, organisation, kind = organisation, None, "organisation"
        if not name:
            named = next((key for key in NAME_FIELDS if key in self.columns.columns), "name")
            errors.append(self._error(draft.line, named, "missing name"))
        draft.kind = kind or "person"
        if draft.kind == "organisation" and organisation == name:
            organisation = None
        draft.name, draft.first_name, draft.middle_name, draft.last_name = name, first, middle, last
        draft.organisation = organisation

    def _phones(self, draft: ClientDraft, texts: dict[str, str], errors: list[RowError]) -> None:
        parts = [part for part in _PHONE_SEPARATORS.split(texts.get("phones", "")) if part.strip()]
        typed, labels = (self._per_phone(draft.line, texts, name, len(parts), errors) for name in PER_PHONE)
        seen: set[str] = set()
        for index, part in enumerate(parts):
            try:
                phone = quick_plus7_phone(part, trunk_8=self._trunk_8) or normalize_phone(
                    part.strip(), default_region=self.default_region
                )
            except InvalidInput as error:
                errors.append(self._error(draft.line, "phones", f"unparseable phone: {error.message}"))
                continue
            raw = typed[index] if typed and typed[index] else phone.raw
            if raw != phone.raw:
                if not _same_number(raw, phone.e164):
                    reason = f"{raw!r} is not the number {phone.e164} of the phones column"
                    errors.append(self._error(draft.line, "phones_as_typed", reason))
                    continue
                phone = NormalizedPhone(raw=raw, e164=phone.e164, digits=phone.digits)
            label = labels[index] if labels and labels[index] else None
            if label is not None:
                phone = NormalizedPhone(raw=phone.raw, e164=phone.e164, digits=phone.digits, label=label)
            if phone.e164 not in seen:  # one number is one phone of a client, as the client card has it
                seen.add(phone.e164)
                draft.phones.append(phone)

    def _per_phone(
        self, line: int, texts: dict[str, str], name: str, count: int, errors: list[RowError]
    ) -> list[str]:
        """An export's column of a line per phone (as typed, labels): at most one line for each phone
        (blank or missing trailing lines: none given for that phone)."""
        text = texts.get(name, "")
        if not text:
            return []
        lines = [" ".join(entry.split()) for entry in text.split("\n")]
        limit = MAX_PHONE_LENGTH if name == "phones_as_typed" else 50
        while len(lines) > count and not lines[-1]:
            lines.pop()
        if len(lines) > count:
            errors.append(self._error(line, name, f"{len(lines)} lines for {count} phones: one line a phone"))
            return []
        lines += [""] * (count - len(lines))
        if any(len(entry) > limit for entry in lines):
            errors.append(self._error(line, name, f"a line longer than {limit} characters"))
            return []
        return lines

    def _emails(self, draft: ClientDraft, text: str, errors: list[RowError]) -> None:
        for part in _EMAIL_SEPARATORS.split(text):
            if not part:
                continue
            try:
                address = normalize_email(part)
            except InvalidInput as error:
                errors.append(self._error(draft.line, "emails", f"invalid email: {error.message}"))
                continue
            if address not in draft.emails:
                draft.emails.append(address)
