"""Header mapping (English, Russian, --map) and row validation into client drafts."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.errors import InvalidInput
from hotline.core.importing.drafts import (
    ClientDraft,
    DraftBuilder,
    RowError,
    clean_text,
    parse_birthday,
    quick_plus7_phone,
)
from hotline.core.importing.headers import map_columns, parse_overrides
from hotline.core.importing.records import MAX_CELL_CHARS, SourceRow
from hotline.core.phones import dials_8_for_plus_7, normalize_phone

PATH = Path("clients.csv")


def build(header: tuple[str, ...], cells: tuple[str, ...], overrides: dict[str, str] | None = None):
    columns = map_columns(header, overrides or {}, path=PATH)
    return DraftBuilder(columns, default_region="RU", today=date(2026, 11, 23)).build(SourceRow(7, cells))


def test_russian_headers_are_recognised() -> None:
    header = ("Фамилия", "Имя", "Отчество", "Организация", "Телефон", "Мобильный", "E-mail", "Группа",
              "День рождения", "Примечание", "Теги", "Баланс")  # fmt: skip
    columns = map_columns(header, {}, path=PATH)
    assert columns.columns == {
        "last_name": (0,), "first_name": (1,), "middle_name": (2,), "organisation": (3,), "phones": (4, 5),
        "emails": (6,), "group": (7,), "birthday": (8,), "notes": (9,), "tags": (10,),
    }  # fmt: skip
    assert columns.ignored == ["Баланс"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Full Name", "name"), ("Company", "organisation"), ("Компания", "organisation"), ("ФИО", "name"),
        ("Mobile Phone", "phones"), ("Business Phone", "phones"), ("Phone 1 - Value", "phones"),
        ("E-mail Address", "emails"), ("Эл. почта", "emails"), ("Дата рождения", "birthday"),
        ("Date of birth", "birthday"), ("Комментарий", "notes"), ("Метки", "tags"),
        ("Сотовый тел.", "phones"),
    ],
)  # fmt: skip
def test_common_header_spellings(header: str, field: str) -> None:
    columns = map_columns(("name", header) if field != "name" else (header,), {}, path=PATH)
    assert header in columns.label(field)


@pytest.mark.parametrize("header", ["Phone 1 - Type", "Hotel", "E-mail Display Name"])
def test_look_alike_headers_are_not_contact_fields(header: str) -> None:
    columns = map_columns(("name", header), {}, path=PATH)
    assert columns.ignored == [header]


def test_map_overrides_win_and_missing_headers_are_named() -> None:
    overrides = parse_overrides(["phone=Контакт", "name = Клиент"])
    assert overrides == {"phones": ("Контакт",), "name": ("Клиент",)}
    columns = map_columns(("Клиент", "Контакт", "Телефон"), overrides, path=PATH)
    assert columns.columns["phones"] == (1,)
    assert columns.ignored == ["Телефон"]
    assert columns.columns["name"] == (0,)
    with pytest.raises(InvalidInput, match="--map name=Нет: no such column; the columns are: a, b"):
        map_columns(("a", "b"), {"name": "Нет"}, path=PATH)
    with pytest.raises(InvalidInput, match="unknown field 'colour'"):
        parse_overrides(["colour=x"])
    with pytest.raises(InvalidInput, match="FIELD=Header"):
        parse_overrides(["name"])


def test_a_field_of_several_values_reads_every_column_it_is_mapped_to() -> None:
    """The last --map of a field won silently: the first column's phones were left out."""
    overrides = parse_overrides(["phones=Моб", "phones=Раб", "name=Клиент"])
    columns = map_columns(("Клиент", "Моб", "Раб", "Факс"), overrides, path=PATH)
    assert columns.columns["phones"] == (1, 2)
    assert columns.ignored == ["Факс"]
    with pytest.raises(InvalidInput, match="name is one column: --map name=Клиент and --map name=ФИО"):
        parse_overrides(["name=Клиент", "name=ФИО"])


def test_a_file_without_any_name_column_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no name column found") as caught:
        map_columns(("Телефон", "E-mail"), {}, path=PATH)
    assert caught.value.where == "clients.csv"


def test_a_good_row_becomes_a_typed_draft() -> None:
    header = ("Фамилия", "Имя", "Организация", "Телефон", "Мобильный", "E-mail", "День рождения", "Теги")
    draft = build(
        header,
        ("Иванов", "Иван", "ООО Ромашка", "8 (495) 123-45-67; +7 916 123 45 67 / 8-916-123-45-67", "",
         "Ivan@Example.RU, ivan@example.ru", "15.01.1980", "vip; опт, vip"),
    )  # fmt: skip
    assert isinstance(draft, ClientDraft)
    assert (draft.line, draft.kind, draft.name, draft.organisation) == (
        7,
        "person",
        "Иван Иванов",
        "ООО Ромашка",
    )
    assert [phone.e164 for phone in draft.phones] == ["+74951234567", "+79161234567"]
    assert draft.emails == ["ivan@example.ru"]
    assert draft.birthday == date(1980, 1, 15)
    assert draft.tags == ["vip", "опт"]


def test_an_organisation_only_row_is_an_organisation() -> None:
    draft = build(("Организация", "Телефон"), ("ООО Ромашка", "+7 495 000 00 00"))
    assert isinstance(draft, ClientDraft)
    assert (draft.kind, draft.name, draft.organisation) == ("organisation", "ООО Ромашка", None)


def test_every_error_of_a_row_is_listed_with_its_column() -> None:
    header = ("Имя", "Телефон", "E-mail", "День рождения", "Тип")
    errors = build(header, ("", "12", "not-an-email", "31.02.1990", "robot"))
    assert isinstance(errors, list)
    assert {(error.line, error.column) for error in errors} == {
        (7, "Имя"), (7, "Телефон"), (7, "E-mail"), (7, "День рождения"), (7, "Тип"),
    }  # fmt: skip
    reasons = " | ".join(error.reason for error in errors)
    for expected in ("missing name", "unparseable phone", "invalid email", "impossible date", "unknown kind"):
        assert expected in reasons
    assert errors[0].describe("clients.csv").startswith("clients.csv:7: ")


def test_row_problems_from_the_reader_are_errors() -> None:
    columns = map_columns(("name",), {}, path=PATH)
    result = DraftBuilder(columns, default_region="RU").build(SourceRow(3, ("A",), problem="too wide"))
    assert result == [RowError(3, "", "too wide")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1980-01-15", date(1980, 1, 15)), ("15.01.1980", date(1980, 1, 15)), ("5/1/1980", date(1980, 1, 5)),
     ("19800115", date(1980, 1, 15)), ("1980-01-15T00:00:00", date(1980, 1, 15)),
     ("29.02.2000", date(2000, 2, 29))],
)  # fmt: skip
def test_birthday_formats(text: str, expected: date) -> None:
    assert parse_birthday(text, today=date(2026, 11, 23)) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("29.02.2001", "impossible"), ("32.01.1990", "impossible"), ("15.01.80", "two-digit year"),
     ("--0115", "no year"), ("вчера", "not a date"), ("01.01.2030", "plausible"),
     ("01.01.1850", "plausible")],
)  # fmt: skip
def test_bad_birthdays(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_birthday(text, today=date(2026, 11, 23))


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [("16/01/1980", "dmy", date(1980, 1, 16)), ("01/16/1980", "mdy", date(1980, 1, 16)),
     ("1980-01-16", "mdy", date(1980, 1, 16)), ("19800116", "mdy", date(1980, 1, 16))],
)  # fmt: skip
def test_birthdays_follow_the_date_order(text: str, order: str, expected: date) -> None:
    assert parse_birthday(text, order=order, today=date(2026, 11, 23)) == expected


def test_an_impossible_birthday_says_why() -> None:
    with pytest.raises(ValueError, match="impossible date: February 1990 has 28 days"):
        parse_birthday("31.02.1990", today=date(2026, 11, 23))
    with pytest.raises(ValueError, match="there is no month 16"):
        parse_birthday("16.01.1980", order="mdy", today=date(2026, 11, 23))


def test_control_characters_and_neutralised_formulas_are_cleaned() -> None:
    assert clean_text("\x1b[31mRed\x07 Name\u202e") == "[31mRed Name"
    assert clean_text('\'=HYPERLINK("x")') == '=HYPERLINK("x")'
    assert clean_text("'+79161234567") == "+79161234567"
    assert clean_text("O'Brien") == "O'Brien"
    assert clean_text("line one\r\nline two", multiline=True) == "line one\nline two"


def test_formula_cells_are_kept_as_plain_text() -> None:
    draft = build(("name", "notes"), ('=HYPERLINK("http://evil","click")', "=1+1"))
    assert isinstance(draft, ClientDraft)
    assert draft.name == '=HYPERLINK("http://evil","click")'
    assert draft.notes == "=1+1"


def test_overlong_values_are_refused() -> None:
    errors = build(("name",), ("x" * 301,))
    assert isinstance(errors, list)
    assert errors[0].reason == "longer than 300 characters"


@given(
    digits=st.text(alphabet="0123456789", min_size=10, max_size=10),
    shape=st.sampled_from(["+7 {a} {b}-{c}-{d}", "8 ({a}) {b}-{c}-{d}", "8{a}{b}{c}{d}", "+7({a}){b}{c}{d}",
                           "+7{a}{b}{c}{d}", " 8-{a}-{b}-{c}-{d} ", "7{a}{b}{c}{d}", "+8 {a} {b}{c}{d}"]),
    region=st.sampled_from(["RU", "KZ", "GB", "US", "BY"]),
)  # fmt: skip
def test_the_quick_plus7_path_agrees_with_the_full_parser(digits: str, shape: str, region: str) -> None:
    raw = shape.format(a=digits[:3], b=digits[3:6], c=digits[6:8], d=digits[8:])
    quick = quick_plus7_phone(raw, trunk_8=dials_8_for_plus_7(region))
    try:
        full = normalize_phone(raw, default_region=region)
    except InvalidInput:
        full = None
    assert quick is None or quick == full


def _clean_the_long_way(text: str, multiline: bool) -> str:
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r", "'"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    return unicodedata.normalize("NFC", text).strip()


@given(
    text=st.text(alphabet=st.sampled_from("aZя Ё'=+-@\t\r\n\x1b\u202e\u00a0\u0301e.,")),
    multiline=st.booleans(),
)
def test_clean_text_quick_answer_is_the_full_one(text: str, multiline: bool) -> None:
    assert clean_text(text, multiline=multiline) == _clean_the_long_way(text, multiline)


def test_the_trunk_8_is_a_rule_of_the_region() -> None:
    """Russia and Kazakhstan dial a +7 number as 8 and its ten digits; elsewhere 8 is no trunk prefix for +7."""
    assert dials_8_for_plus_7("RU") and dials_8_for_plus_7("kz")
    assert not any(dials_8_for_plus_7(region) for region in ("GB", "US", "BY", "UA", "DE"))
    eight = "8 916 123-45-67"
    assert quick_plus7_phone(eight, trunk_8=True) == normalize_phone(eight, default_region="KZ")
    assert quick_plus7_phone(eight, trunk_8=False) is None


def test_a_cell_past_the_bound_is_a_row_error_naming_its_column() -> None:
    header = ("name", "notes", "Balance")  # Balance is read into no field: its cell is refused all the same
    at_bound = build(header, ("Ann", "n" * MAX_CELL_CHARS, "1" * MAX_CELL_CHARS))
    assert isinstance(at_bound, ClientDraft) and len(at_bound.notes) == MAX_CELL_CHARS
    errors = build(header, ("Ann", "n" * (MAX_CELL_CHARS + 1), "1" * (MAX_CELL_CHARS + 1)))
    assert errors == [
        RowError(7, "notes", "longer than 100,000 characters"),
        RowError(7, "Balance", "longer than 100,000 characters"),
    ]
    assert errors[1].describe("clients.csv") == "clients.csv:7: Balance: longer than 100,000 characters"
    unnamed = build(("name", ""), ("Ann", "x" * (MAX_CELL_CHARS + 1)))
    assert unnamed == [RowError(7, "column 2", "longer than 100,000 characters")]


def test_a_column_mapped_to_two_fields_is_bad_usage() -> None:
    """``--map name=Name --map first_name=Name``: the second field silently read nothing; the same column
    given twice for one field of several values is still that column once."""
    with pytest.raises(
        InvalidInput, match="--map first_name=Name: the column 'Name' is read as name already"
    ):
        map_columns(("Name", "Tel"), parse_overrides(["name=Name", "first_name=Name"]), path=PATH)
    columns = map_columns(("Name", "Tel"), parse_overrides(["phones=Tel", "phones=tel"]), path=PATH)
    assert columns.columns["phones"] == (1,)


def test_a_map_naming_two_columns_for_a_field_of_one_value_is_bad_usage() -> None:
    """Two columns called 'Name' and ``--map name=Name``: the client was called 'Анна, Борис'."""
    with pytest.raises(
        InvalidInput, match=re.escape("--map name=Name: 2 columns are called that (1, 2); name is one")
    ):
        map_columns(("Name", "Name", "Tel"), parse_overrides(["name=Name"]), path=PATH)
    columns = map_columns(("Name", "Tel", "Tel"), parse_overrides(["phones=Tel"]), path=PATH)
    assert columns.columns["phones"] == (1, 2)


def test_a_spreadsheet_error_in_a_cell_is_a_row_error() -> None:
    """A formula that failed (a lookup of the group that found nothing) leaves '#N/A' in the cell, in the
    workbook and in the CSV saved from it: the import made a group called '#N/A' and a client '#REF!'."""
    errors = build(("name", "group", "tags"), ("#REF!", "#N/A", "vip, #VALUE!"))
    assert isinstance(errors, list)
    assert [(error.column, error.reason) for error in errors] == [
        ("name", "#REF! is a spreadsheet's error (a formula that failed), not a value"),
        ("group", "#N/A is a spreadsheet's error (a formula that failed), not a value"),
    ]
    assert not isinstance(build(("name", "notes"), ("Анна", "#N/A was the lookup's answer")), list)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        # its UTC was past the year 9999: "a value is out of range", naming no file, line or column
        ("9999-12-31T23:59:59-14:00", "is not a date and time"),
        # .NET's empty date, as some programs export an unknown one: a client created in the year 1
        ("0001-01-01T00:00:00", "is before 1970: not when a client was created"),
        ("1969-12-31T23:59:59Z", "is before 1970: not when a client was created"),
    ],
)
def test_a_creation_time_no_client_can_have_is_a_row_error(written: str, reason: str) -> None:
    errors = build(("name", "created_at"), ("Анна", written))
    assert isinstance(errors, list)
    assert [(error.column, error.reason) for error in errors] == [("created_at", f"{written!r} {reason}" + (
        " (expected ISO-8601, as an export writes)" if reason == "is not a date and time" else
        " (a program's empty date?)"
    ))]  # fmt: skip
    assert not isinstance(build(("name", "created_at"), ("Анна", "1970-01-01T00:00:00Z")), list)


def test_a_cell_is_refused_once_for_one_reason() -> None:
    """A contract level of 51 characters was refused twice ('longer than 50 characters', then 'at most 50
    printable characters'), a phone cell holding '#N/A' as a spreadsheet's error and as no phone."""
    errors = build(("name", "group", "group_contract_level", "phone"), ("Анна", "VIP", "L" * 51, "#N/A"))
    assert isinstance(errors, list)
    assert [(error.column, error.reason) for error in errors] == [
        ("phone", "#N/A is a spreadsheet's error (a formula that failed), not a value"),
        ("group_contract_level", "longer than 50 characters"),
    ]
