"""Which column holds which client field: headers in English or Russian, or given with ``--map``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.core.errors import InvalidInput

FIELDS = (
    "name", "first_name", "middle_name", "last_name", "organisation", "kind", "phones", "emails", "group",
    "birthday", "notes", "tags", "source", "campaign", "phones_as_typed", "phone_labels", "owner",
    "created_at", "group_colour", "group_contract_level", "id", "organisation_id",
)  # fmt: skip
MULTI_VALUED = frozenset({"phones", "emails", "tags", "notes"})
PER_PHONE = ("phones_as_typed", "phone_labels")
"""An export's columns of one line per phone of ``phones``: each as typed, and its label."""
NAME_FIELDS = ("name", "first_name", "last_name", "organisation")

_FIELD_ALIASES = {
    "phone": "phones", "email": "emails", "e-mail": "emails", "organization": "organisation",
    "company": "organisation", "org": "organisation", "tag": "tags", "note": "notes", "surname": "last_name",
    "patronymic": "middle_name", "firstname": "first_name", "lastname": "last_name",
    "middlename": "middle_name",
}  # fmt: skip

_HEADERS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "fullname", "displayname", "contact", "contactname", "client", "clientname", "фио",
        "имяфамилия", "полноеимя", "клиент", "контакт", "контактноелицо", "наименование", "названиеклиента",
    ),
    "first_name": ("firstname", "givenname", "forename", "имя"),
    "middle_name": ("middlename", "additionalname", "patronymic", "отчество"),
    "last_name": ("lastname", "familyname", "surname", "фамилия"),
    "organisation": (
        "organisation", "organization", "company", "companyname", "employer", "org", "organization1name",
        "организация", "компания", "названиеорганизации", "названиекомпании", "работодатель", "фирма",
    ),
    "kind": ("kind", "type", "clienttype", "тип", "типклиента", "вид"),
    "emails": (
        "email", "emails", "emailaddress", "mail", "email1value", "email2value", "email3value", "почта",
        "электроннаяпочта", "элпочта", "адресэлектроннойпочты", "емейл", "имейл",
    ),
    "group": ("group", "segment", "category", "groupmembership", "группа", "сегмент", "категория"),
    "birthday": ("birthday", "birthdate", "dateofbirth", "dob", "деньрождения", "датарождения", "др"),
    "notes": (
        "notes", "note", "comment", "comments", "description", "примечание", "примечания", "комментарий",
        "комментарии", "заметки", "заметка", "описание",
    ),
    "tags": ("tags", "tag", "labels", "categories", "теги", "тег", "метки", "метка", "ярлыки"),
    "source": ("source", "leadsource", "referral", "howheard", "источник", "откудаузнал", "каналпривлечения"),
    "campaign": ("campaign", "campaigncode", "adcampaign", "кампания", "рекламнаякампания", "кодкампании"),
    "phones_as_typed": ("phonesastyped",),
    "phone_labels": ("phonelabels",),
    "owner": ("owner", "ownerlogin"),
    "created_at": ("createdat",),
    "group_colour": ("groupcolour", "groupcolor"),
    "group_contract_level": ("groupcontractlevel",),
    "id": ("id",),
    "organisation_id": ("organisationid", "organizationid"),
}  # fmt: skip
_EXACT = {alias: name for name, aliases in _HEADERS.items() for alias in aliases}
_PHONE_WORDS = ("phone", "mobile", "fax", "cellular", "телефон", "мобильн", "сотов")
_PHONE_PREFIXES = ("tel", "тел", "моб", "cell")
_NOT_A_VALUE = ("type", "label", "тип")


def header_key(text: str) -> str:
    """A header reduced for comparison: lower-case letters and digits only, ``ё`` read as ``е``."""
    return re.sub(r"[^0-9a-zа-я]", "", text.lower().replace("ё", "е"))


def _auto_field(header: str) -> str | None:
    key = header_key(header)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    if any(key.endswith(word) for word in _NOT_A_VALUE):
        return None
    if any(word in key for word in _PHONE_WORDS) or key.startswith(_PHONE_PREFIXES):
        return "phones"
    if key.startswith(("email", "эл")) and ("mail" in key or "почт" in key) and "name" not in key:
        return "emails"
    return None


def parse_overrides(pairs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["phones=Моб. тел.", "phones=Раб. тел."]`` → ``{"phones": ("Моб. тел.", "Раб. тел.")}``; an unknown
    field is bad usage, and so is a second column for a field that holds one value (the last --map won
    silently; a field of several values, phones or tags, reads every column it is given)."""
    overrides: dict[str, tuple[str, ...]] = {}
    for pair in pairs:
        name, equals, header = pair.partition("=")
        name = name.strip().lower().replace("-", "_")
        name = _FIELD_ALIASES.get(name, name)
        if not equals or not header.strip():
            raise InvalidInput(f"expected FIELD=Header, got {pair!r}", where="--map")
        if name not in FIELDS:
            raise InvalidInput(f"unknown field {name!r}; the fields are: {', '.join(FIELDS)}", where="--map")
        given = overrides.get(name, ())
        if given and name not in MULTI_VALUED:
            raise InvalidInput(
                f"{name} is one column: --map {name}={given[0]} and --map {name}={header.strip()}",
                where="--map",
            )
        overrides[name] = (*given, header.strip())
    return overrides


@dataclass(frozen=True)
class ColumnMap:
    """For each client field the indexes of the columns holding it, and every column's label."""

    header: tuple[str, ...]
    columns: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def label(self, field_name: str) -> str:
        """The column a field came from, as the file names it (for error messages)."""
        indexes = self.columns.get(field_name)
        return " / ".join(self.header[index] for index in indexes) if indexes else field_name

    @property
    def ignored(self) -> list[str]:
        used = {index for indexes in self.columns.values() for index in indexes}
        return [name for index, name in enumerate(self.header) if index not in used and name]

    def values(self, cells: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
        """Field → [(column label, cell text)] for the non-empty cells of one row."""
        found: dict[str, list[tuple[str, str]]] = {}
        for field_name, indexes in self.columns.items():
            for index in indexes:
                text = cells[index]
                if text.strip():
                    found.setdefault(field_name, []).append((self.header[index], text))
        return found


def map_columns(
    header: tuple[str, ...], overrides: Mapping[str, str | tuple[str, ...]], *, path: Path
) -> ColumnMap:
    """Assign columns to fields: overrides first (a missing header is an error), then by recognised names."""
    keys = [header_key(name) for name in header]
    taken: dict[int, str] = {}  # column → the field an override gave it to
    columns: dict[str, list[int]] = {}
    for field_name, given in overrides.items():
        for wanted in (given,) if isinstance(given, str) else given:
            matches = [index for index, name in enumerate(header) if name == wanted] or [
                index for index, key in enumerate(keys) if key and key == header_key(wanted)
            ]
            if not matches:
                raise InvalidInput(
                    f"--map {field_name}={wanted}: no such column; the columns are: {', '.join(header)}",
                    where=str(path),
                )
            if len(matches) > 1 and field_name not in MULTI_VALUED:  # their cells were joined into one
                numbers = ", ".join(str(index + 1) for index in matches)
                raise InvalidInput(
                    f"--map {field_name}={wanted}: {len(matches)} columns are called that ({numbers});"
                    f" {field_name} is one column: rename one of them",
                    where="--map",
                )
            clash = next((index for index in matches if taken.get(index, field_name) != field_name), None)
            if clash is not None:  # the second field read nothing, without a word
                column, other = header[clash], taken[clash]
                raise InvalidInput(
                    f"--map {field_name}={wanted}: the column {column!r} is read as {other} already",
                    where="--map",
                )
            columns.setdefault(field_name, []).extend(index for index in matches if index not in taken)
            taken.update(dict.fromkeys(matches, field_name))
    for index, name in enumerate(header):
        guessed = _auto_field(name)
        if index in taken or guessed is None or guessed in overrides:
            continue
        if guessed not in MULTI_VALUED and guessed in columns:
            continue  # the first matching column wins for single-valued fields
        columns.setdefault(guessed, []).append(index)
    if not any(name in columns for name in NAME_FIELDS):
        raise InvalidInput(
            "no name column found (name, first/last name or organisation); the columns are: "
            f"{', '.join(header)}; use --map name=Header",
            where=str(path),
        )
    return ColumnMap(header, {name: tuple(indexes) for name, indexes in columns.items()})
