"""Readers: CSV (delimiters, encodings), XLSX, vCard, and every kind of bad file, with line numbers."""

from __future__ import annotations

import codecs
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from hotline.core.errors import InvalidInput
from hotline.core.importing import open_source
from hotline.core.importing.encoding import detect_encoding
from hotline.core.importing.records import MAX_LINE_CHARS

RUSSIAN_ROWS = (
    "Фамилия;Имя;Телефон;E-mail\nЩербакова;Юлия;+7 916 000-11-22;julia@example.ru\n"
    "Ёжиков;Пётр;8 495 1234567;\n"
)


def rows_of(path: Path, **options: str) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    source = open_source(path, **options)
    try:
        return source.header, [(row.line, row.cells) for row in source]
    finally:
        source.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
def test_lines_ending_in_a_bare_cr_are_lines(tmp_path: Path, encoding: str) -> None:
    """Excel for Mac's "CSV (Macintosh)": every line ends in CR alone; it was refused with the csv
    module's "new-line character seen in unquoted field" on the header."""
    path = tmp_path / "clients.csv"
    text = RUSSIAN_ROWS.replace("\n", "\r") + 'Соколова;Анна;;"две\rстроки"\r'
    path.write_bytes(text.replace(";Анна;;", ";Анна;+7 916 000-33-44;").encode(encoding))
    header, rows = rows_of(path)
    assert header == ("Фамилия", "Имя", "Телефон", "E-mail")
    assert rows[0] == (2, ("Щербакова", "Юлия", "+7 916 000-11-22", "julia@example.ru"))
    assert rows[1][1][:2] == ("Ёжиков", "Пётр")
    assert rows[2] == (4, ("Соколова", "Анна", "+7 916 000-33-44", "две\rстроки"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "koi8_r", "utf-16"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(RUSSIAN_ROWS.encode(encoding))
    header, rows = rows_of(path)
    assert header == ("Фамилия", "Имя", "Телефон", "E-mail")
    assert rows[0] == (2, ("Щербакова", "Юлия", "+7 916 000-11-22", "julia@example.ru"))
    assert rows[1][1][:2] == ("Ёжиков", "Пётр")


@pytest.mark.parametrize(
    "text",
    [
        'Иванов Иван Иванович, ООО "Ромашка", Москва',
        "ПЕТРОВ ПЁТР",
        "Примечание: перезвонить после обеда",
        "Щукина Эльвира Юрьевна",
    ],
)
@pytest.mark.parametrize("codec", ["cp1251", "koi8_r"])
def test_cyrillic_code_pages_are_told_apart(text: str, codec: str) -> None:
    assert detect_encoding(text.encode(codec), complete=True) == codec


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "clients.csv"
    lines = [["name", "phone", "notes"], ["Ann Lee", "+44 20 7946 0958", "likes tea, not coffee; ok"]]
    path.write_text(
        "\n".join(delimiter.join(f'"{c}"' for c in line) for line in lines) + "\n", encoding="utf-8"
    )
    header, rows = rows_of(path)
    assert header == ("name", "phone", "notes")
    assert rows == [(2, ("Ann Lee", "+44 20 7946 0958", "likes tea, not coffee; ok"))]


def test_excel_sep_hint_line_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text('sep=;\nname;notes\nA;"one\ntwo"\n\nB;x\n', encoding="utf-8")
    header, rows = rows_of(path)
    assert header == ("name", "notes")
    assert rows == [(3, ("A", "one\ntwo")), (6, ("B", "x"))]


def test_short_rows_are_padded_and_extra_empty_cells_ignored(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("name;phone;email\nA\nB;1;2;;;\n", encoding="utf-8")
    source = open_source(path)
    rows = list(source)
    source.close()
    assert [row.cells for row in rows] == [("A", "", ""), ("B", "1", "2")]
    assert all(row.problem is None for row in rows)


def test_a_row_with_ten_thousand_columns_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("name,phone\nA,1\n" + ",".join(["x"] * 10_000) + "\nC,3\n", encoding="utf-8")
    source = open_source(path)
    rows = list(source)
    source.close()
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[1].problem == "the row has 10000 fields but the header has 2"
    assert rows[0].problem is None
    assert rows[2].problem is None


def test_a_header_with_ten_thousand_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(10_000)) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="10000 columns") as caught:
        open_source(path)
    assert caught.value.where == f"{path}:1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP archive"),
        (b"name,phone\n\x00\x00\x00binary", "NUL bytes"),
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
    ],
)
def test_files_that_are_not_csv_are_refused_with_the_file_named(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        open_source(path)
    assert caught.value.where == str(path)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        open_source(tmp_path / "nope.csv")


def test_an_endless_line_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("name,notes\nA,ok\nB,")
        stream.write("x" * (MAX_LINE_CHARS + 10))
    source = open_source(path)
    with pytest.raises(InvalidInput, match="longer than") as caught:
        list(source)
    source.close()
    assert caught.value.where == f"{path}:3"


def test_an_unclosed_quote_names_the_line_it_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text('name,notes\nA,ok\nB,"open quote\n' + "filler line\n" * 20_000, encoding="utf-8")
    source = open_source(path)
    with pytest.raises(InvalidInput, match="quote left open from line 3") as caught:
        list(source)
    source.close()
    assert caught.value.where == f"{path}:3"


def test_utf8_file_with_a_broken_byte_later_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    head = "name,notes\n" + "Анна,ok\n" * 100_000  # the first megabyte is clean UTF-8
    path.write_bytes(head.encode("utf-8") + "Борис,".encode() + b"\xff\xfe\n")
    with pytest.raises(InvalidInput, match="this line is not UTF-8 like the other lines") as caught:
        open_source(path)
    assert caught.value.where == f"{path}:100002"


@pytest.mark.parametrize("odd_codec", ["cp1251", "koi8_r"])
def test_a_file_in_mixed_encodings_names_the_first_line_that_does_not_fit(tmp_path: Path, odd_codec) -> None:
    path = tmp_path / "clients.csv"
    rows = [f"Анна Петрова {n},+7 916 000-{n:04d},a{n}@example.ru\n".encode() for n in range(100)]
    rows.insert(40, "Борис Сидоров,+7 916 111-22-33,b@example.ru\n".encode(odd_codec))
    path.write_bytes(b"name,phone,email\n" + b"".join(rows))
    with pytest.raises(InvalidInput, match="mixes text encodings: this line is not UTF-8") as caught:
        open_source(path)
    assert caught.value.where == f"{path}:42"
    # Mostly a code page with one UTF-8 line: the UTF-8 line is the one that does not fit.
    rows = [f"Анна Петрова {n},+7 916 000-{n:04d}\n".encode(odd_codec) for n in range(50)]
    rows.insert(7, "Борис Сидоров,+7 916 111-22-33\n".encode())
    path.write_bytes(b"name,phone\n" + b"".join(rows))
    with pytest.raises(InvalidInput, match="this line is UTF-8 while the other lines are not") as caught:
        open_source(path)
    assert caught.value.where == f"{path}:9"


def test_one_code_page_through_the_whole_file_is_read_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    body = "name,notes\n" + "Ann Lee,ok\n" * 60_000 + "Борис Сидоров,перезвонить\n"  # past the first megabyte
    path.write_bytes(body.encode("cp1251"))
    source = open_source(path)
    assert source.encoding == "cp1251"
    assert list(source)[-1].cells == ("Борис Сидоров", "перезвонить")
    source.close()
    western = tmp_path / "western.csv"
    western.write_bytes("name,notes\nJosé Müller,café crème\n".encode("cp1252"))
    source = open_source(western)
    assert next(iter(source)).cells == ("José Müller", "café crème")
    source.close()


def make_workbook(
    path: Path, rows: list[list[object]], *, sheet: str = "Клиенты", extra_sheet: bool = False
) -> None:
    book = Workbook()
    first = book.active
    first.title = sheet
    for row in rows:
        first.append(row)
    if extra_sheet:
        other = book.create_sheet("Second")
        other.append(["name", "phone"])
        other.append(["Second Sheet Person", "+44 20 7946 0958"])
    book.save(path)


def test_xlsx_first_sheet_values_become_text(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    make_workbook(
        path,
        [
            [None, None],
            ["Имя", "Телефон", "День рождения", "Баланс"],
            ["Анна", 79161234567, datetime(1990, 5, 17), 12.5],
            [None, None, None, None],
            ["Борис", "8 (495) 123-45-67", date(1985, 1, 2), 3.0],
        ],
        extra_sheet=True,
    )
    header, rows = rows_of(path)
    assert header == ("Имя", "Телефон", "День рождения", "Баланс")
    assert rows == [
        (3, ("Анна", "79161234567", "1990-05-17", "12.5")),
        (5, ("Борис", "8 (495) 123-45-67", "1985-01-02", "3")),
    ]


def test_xlsx_formula_without_a_computed_value_is_refused_and_one_with_it_read(tmp_path: Path) -> None:
    """A formula whose value was never computed (written by a script) read as an empty cell: the phone
    ``="+7"&…`` imported as no phone, silently. As a spreadsheet program saves it (with the value), it
    is read."""
    path = tmp_path / "clients.xlsx"
    make_workbook(path, [["Имя", "Телефон"], ["Анна", "+79161234567"], ["Борис", '="+7"&"9161234568"']])
    with pytest.raises(InvalidInput, match="cell B3 is a formula with no computed value") as raised:
        rows_of(path)
    assert raised.value.where == f"{path}:3"
    computed = tmp_path / "computed.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(computed, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B3">', b'<c r="B3" t="str">').replace(
                    b"<v />", b"<v>+79161234568</v>"
                )
            target.writestr(member, data)
    assert rows_of(computed)[1] == [(2, ("Анна", "+79161234567")), (3, ("Борис", "+79161234568"))]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    make_workbook(path, [["name"], ["x"]], extra_sheet=True)
    _header, rows = rows_of(path, sheet="Second")
    assert rows == [(2, ("Second Sheet Person", "+44 20 7946 0958"))]
    with pytest.raises(InvalidInput, match="no sheet named 'Nope'; the sheets are: Клиенты, Second"):
        open_source(path, sheet="Nope")


def test_truncated_xlsx_is_bad_input(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    make_workbook(whole, [["name", "phone"], *[[f"Person {i}", f"+7916000{i:04d}"] for i in range(500)]])
    broken = tmp_path / "broken.xlsx"
    data = whole.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="not a readable XLSX workbook") as caught:
        open_source(broken)
    assert caught.value.where is not None
    assert str(broken) in caught.value.where


def test_csv_renamed_to_xlsx_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    path.write_text("name,phone\nA,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not an XLSX workbook"):
        open_source(path)


def test_empty_xlsx_sheet_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    make_workbook(path, [])
    with pytest.raises(InvalidInput, match="is empty"):
        open_source(path)


VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Иван Петров\r\nN:Петров;Иван;Сергеевич;;\r\nORG:ООО Ромашка;Отдел\r\n"
    "TEL;TYPE=CELL:+7 916 123-45-67\r\nTEL;TYPE=WORK:8 (495) 765-43-21\r\nEMAIL:ivan@example.ru\r\n"
    "BDAY:1980-03-04\r\nNOTE:первая строка\\nвторая\\, с запятой\r\nCATEGORIES:vip,опт\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n BBBB\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=A1=D0=BC=D0=B8=D1=80=\r\n"
    "=D0=BD=D0=BE=D0=B2;=D0=9E=D0=BB=D0=B5=D0=B3\r\n"
    "TEL;CELL:+79031112233\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Long Folded\r\n  Name\r\n"
    "EMAIL;TYPE=work:mailto:long@example.com\r\nEND:VCARD\r\n"
)


def test_vcard_cards_become_rows(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARDS, encoding="utf-8", newline="")
    header, rows = rows_of(path)
    first = dict(zip(header, rows[0][1], strict=True))
    assert rows[0][0] == 1
    assert first["name"] == "Иван Петров"
    assert (first["last_name"], first["first_name"], first["middle_name"]) == ("Петров", "Иван", "Сергеевич")
    assert first["organisation"] == "ООО Ромашка"
    assert first["phones"] == "+7 916 123-45-67, 8 (495) 765-43-21"
    assert first["notes"] == "первая строка\nвторая, с запятой"
    assert first["tags"] == "vip, опт"
    assert first["birthday"] == "1980-03-04"
    second = dict(zip(header, rows[1][1], strict=True))
    assert (second["last_name"], second["first_name"]) == ("Смирнов", "Олег")
    assert second["phones"] == "+79031112233"
    third = dict(zip(header, rows[2][1], strict=True))
    assert third["name"] == "Long Folded Name"
    assert third["emails"] == "long@example.com"


def test_vcard_4_tel_uris_keep_their_extension(tmp_path: Path) -> None:
    """vCard 4.0 writes phones as tel: URIs; ``;ext=5555`` was split off as a second phone, and the
    card refused as unparseable."""
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Carl\r\nTEL;VALUE=uri;TYPE=cell:tel:+1-555-555-5555;ext=5555\r\n"
        "TEL;VALUE=uri:TEL:+7-916-123-45-67\r\nEND:VCARD\r\n",
        encoding="utf-8",
        newline="",
    )
    header, rows = rows_of(path)
    assert (
        dict(zip(header, rows[0][1], strict=True))["phones"] == "+1-555-555-5555 ext. 5555, +7-916-123-45-67"
    )


def test_vcard_without_end_is_a_row_problem_and_non_vcard_refused(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text("BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n", encoding="utf-8")
    source = open_source(path)
    rows = list(source)
    assert rows[1].line == 4
    assert rows[1].problem == "the card has no END:VCARD"
    other = tmp_path / "notes.vcf"
    other.write_text("just some text\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a vCard"):
        open_source(other)


def test_vcard_in_windows_1251(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes("BEGIN:VCARD\r\nFN:Щукин Аркадий\r\nTEL:+79161234567\r\nEND:VCARD\r\n".encode("cp1251"))
    _header, rows = rows_of(path)
    assert rows[0][1][0] == "Щукин Аркадий"


def test_utf16_bom_is_text_not_binary() -> None:
    assert detect_encoding(codecs.BOM_UTF16_LE + "a,b".encode("utf-16-le"), complete=True) == "utf-16"


def test_a_stray_quote_that_swallows_rows_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(
        "name,phone,email\n"
        "Row One,+7 916 000-00-01,r1@example.ru\n"
        '"Row Two,+7 916 000-00-02,r2@example.ru\n'
        "Row Three,+7 916 000-00-03,r3@example.ru\n"
        'Row Four,+7 916 000-00-04,"r4@example.ru"\n'
        "Row Five,+7 916 000-00-05,r5@example.ru\n",
        encoding="utf-8",
    )
    source = open_source(path)
    with pytest.raises(InvalidInput, match="is a quote left open on line 3") as caught:
        list(source)
    source.close()
    assert caught.value.where == f"{path}:3"


def test_real_multi_line_fields_are_read(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(
        'name,phone,notes\nAnn,+7 916 000-00-01,"call after 5, not before\nthanks"\n'
        'Bob,+7 916 000-00-02,"line one\nsee: a, b, c"\n',  # delimiters, but the column is multi-line text
        encoding="utf-8",
    )
    source = open_source(path)
    rows = [row.cells for row in source]
    source.close()
    assert rows == [
        ("Ann", "+7 916 000-00-01", "call after 5, not before\nthanks"),
        ("Bob", "+7 916 000-00-02", "line one\nsee: a, b, c"),
    ]


def test_a_quoted_field_holding_a_csv_line_is_text_when_the_row_is_well_formed(tmp_path: Path) -> None:
    """An export's note with a pasted CSV line: the export's own file was refused as a quote left open."""
    path = tmp_path / "clients.csv"
    path.write_text('name,phone,notes\nAnn,+7 916 000-00-01,"prices:\n1,2,3"\n', encoding="utf-8")
    source = open_source(path)
    rows = [row.cells for row in source]
    source.close()
    assert rows == [("Ann", "+7 916 000-00-01", "prices:\n1,2,3")]


def test_a_workbook_that_inflates_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    import time
    import zipfile

    from openpyxl import Workbook

    from hotline.core.importing import xlsx_source

    book = Workbook()
    book.active.append(["name", "phone"])
    book.active.append(["Ann Lee", "+7 916 000-00-01"])
    small = tmp_path / "small.xlsx"
    book.save(small)
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (8 << 20))  # 8 MB of padding
            target.writestr(member, data)
    assert padded.stat().st_size < 100_000
    monkeypatch.setattr(xlsx_source, "MAX_UNPACKED_BYTES", 4 << 20)
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="the workbook unpacks to 8 MB; at most 4 MB") as caught:
        open_source(padded)
    assert time.perf_counter() - started < 1.0
    assert caught.value.where == str(padded)
    source = open_source(small)  # within the bounds: read as before
    assert [row.cells for row in source] == [("Ann Lee", "+7 916 000-00-01")]
    source.close()


def test_a_sheet_declaring_every_column_is_read_no_wider_than_a_header_may_be(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "phone"])
    book.active.append(["Ann Lee", "+7 916 000-00-01"])
    small = tmp_path / "small.xlsx"
    book.save(small)
    wide = tmp_path / "wide.xlsx"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(wide, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                declared = data.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD2"/>')
                assert declared != data
                data = declared
            target.writestr(member, data)
    source = open_source(wide)
    assert source.header == ("name", "phone")
    assert [row.cells for row in source] == [("Ann Lee", "+7 916 000-00-01")]
    source.close()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('[{"name": ' + "[" * 100_000 + "]" * 100_000 + "}]", id="in-an-object"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="arrays-in-the-array"),
    ],
)
def test_json_nested_past_the_interpreters_depth_is_bad_input_not_a_traceback(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "clients.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match="nested too deeply") as caught:
        rows_of(path)
    assert caught.value.where == f"{path}:1"


def test_a_json_key_given_twice_in_an_object_is_bad_input_not_the_last_one_silently(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    path.write_text(
        '[{"name": "Анна", "phones": ["+7 916 000-11-22"]},\n'
        ' {"name": "Борис", "phones": ["+7 916 000-33-44"], "name": "Вера"}]\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="the key 'name' is given twice in one object") as caught:
        rows_of(path)
    assert caught.value.where == f"{path}:2"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_not_json(tmp_path: Path, constant: str) -> None:
    """Python's reader takes them: a client called 'nan' was created."""
    path = tmp_path / "clients.json"
    path.write_text(f'[{{"name": "Анна"}},\n {{"name": {constant}}}]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"malformed JSON \\({constant} is not JSON\\)") as caught:
        rows_of(path)
    assert caught.value.where == f"{path}:2"


@pytest.mark.parametrize("name", ["clients", "clients.dat", "stdin"])  # "stdin": the copy of `import -`
def test_a_workbook_is_read_whatever_its_name_ends_in(tmp_path: Path, name: str) -> None:
    """openpyxl refuses a file name without an Excel extension: the workbook was 'not readable'."""
    path = tmp_path / name
    make_workbook(path, [["name", "phone"], ["Анна", "+7 916 000-11-22"]])
    assert rows_of(path) == (("name", "phone"), [(2, ("Анна", "+7 916 000-11-22"))])


@pytest.mark.parametrize("declared", ["A1", "A1:B2"])
def test_a_sheet_declaring_a_smaller_size_than_it_holds_is_read_whole(tmp_path: Path, declared: str) -> None:
    """Read-only openpyxl stops at the size a sheet declares: a workbook whose writer declared 'A1' (or
    a stale 'A1:B2') was imported without its other rows and columns, exit 0 ('A1': 'no data rows')."""
    import re

    whole = tmp_path / "whole.xlsx"
    make_workbook(
        whole,
        [
            ["name", "phone", "email"],
            ["Анна", "+7 916 000-11-22", "anna@example.com"],
            ["Борис", "+7 916 000-11-23", "boris@example.com"],
        ],
    )
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(
                    rb"<dimension ref=\"[^\"]*\"\s*/>", f'<dimension ref="{declared}"/>'.encode(), data
                )
                assert count == 1
            target.writestr(member, data)
    assert rows_of(stale) == (
        ("name", "phone", "email"),
        [
            (2, ("Анна", "+7 916 000-11-22", "anna@example.com")),
            (3, ("Борис", "+7 916 000-11-23", "boris@example.com")),
        ],
    )


def test_a_vcard_with_a_photo_of_megabytes_is_read_in_linear_time(tmp_path: Path) -> None:
    """A phone's address book holds photos: each folded line of a PHOTO past the first megabyte summed the
    whole property again, and a card with a 10 MB photo took 50 to 80 s to read (this 4 MB one 20 s)."""
    import base64
    import time

    photo = base64.b64encode(bytes(range(256)) * (4 << 12)).decode()
    folded = "\r\n ".join(photo[start : start + 74] for start in range(0, len(photo), 74))
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Анна\r\nPHOTO;ENCODING=b;TYPE=JPEG:"
        f"{folded}\r\nTEL:+7 916 000-11-22\r\nEND:VCARD\r\n",
        encoding="utf-8",
        newline="",
    )
    started = time.monotonic()
    _header, rows = rows_of(path)
    assert time.monotonic() - started < 5
    assert [cells[:1] + cells[5:6] for _line, cells in rows] == [("Анна", "+7 916 000-11-22")]


def test_a_header_cell_merged_over_several_columns_names_each_of_them(tmp_path: Path) -> None:
    """A header 'Телефоны' merged over two columns (as people lay out a sheet) left the second column
    without a name, and its phones were dropped without a word, exit 0."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Имя", "Телефоны", None, "E-mail"])
    sheet.append(["Анна", "+7 916 000-11-22", "+7 495 765-43-21", "anna@example.com"])
    sheet.merge_cells("B1:C1")
    path = tmp_path / "clients.xlsx"
    book.save(path)
    assert rows_of(path) == (
        ("Имя", "Телефоны", "Телефоны", "E-mail"),
        [(2, ("Анна", "+7 916 000-11-22", "+7 495 765-43-21", "anna@example.com"))],
    )


def test_a_json_value_of_a_type_no_field_holds_is_a_row_problem(tmp_path: Path) -> None:
    """An export edited by hand: ``"name": true`` made a client called 'True', ``"name": ["a", "b"]`` one
    called 'a, b', a tag ``true`` the tag 'True', without a word. Numbers are read as their text (an id,
    a phone), lists where a field holds several values, a phone's object in the phones."""
    path = tmp_path / "clients.json"
    path.write_text(
        "[\n"
        '{"name": true},\n'
        '{"name": ["Анна", "Борис"]},\n'
        '{"name": "Вера", "tags": ["vip", false]},\n'
        '{"name": "Глеб", "emails": [["g@example.com"]]},\n'
        '{"name": "Дина", "group": {"name": "VIP"}},\n'
        '{"name": 12345, "id": 7, "phones": [79161234567, {"raw": "8 916 123-45-68"}], "tags": ["a", 2]}\n'
        "]\n",
        encoding="utf-8",
    )
    source = open_source(path)
    rows = list(source)
    source.close()
    assert [(row.line, row.problem) for row in rows] == [
        (2, "name: true is not text"),
        (3, "name: a list where one value goes"),
        (4, "tags: false is not text"),
        (5, "emails: a list in a list"),
        (6, "group: an object where text goes"),
        (7, None),
    ]


def test_a_quoted_printable_vcard_value_not_in_its_charset_is_a_row_problem(tmp_path: Path) -> None:
    """A vCard 2.1 value in Windows-1251 that says CHARSET=UTF-8 (or no charset, or one Python does not
    know) was stored with '�' for each letter: a client called 'Ivan ������'."""
    import quopri

    surname = quopri.encodestring("Иванов".encode("cp1251")).decode()
    path = tmp_path / "contacts.vcf"
    path.write_text(
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{surname};Ivan\r\nEND:VCARD\r\n"
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE:{surname};Ivan\r\nEND:VCARD\r\n"
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=KOI-9;QUOTED-PRINTABLE:{surname};Ivan\r\nEND:VCARD\r\n"
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=WINDOWS-1251;QUOTED-PRINTABLE:{surname};Ivan\r\nEND:VCARD\r\n",
        encoding="ascii",
        newline="",
    )
    source = open_source(path)
    rows = list(source)
    source.close()
    assert [(row.line, row.problem) for row in rows] == [
        (1, "N: the quoted-printable value is not valid UTF-8 (its CHARSET)"),
        (5, "N: the quoted-printable value is not valid UTF-8 (no CHARSET: UTF-8 was tried)"),
        (9, "N: unknown CHARSET 'KOI-9'"),
        (13, None),
    ]
    assert rows[3].cells[1:3] == ("Иванов", "Ivan")


def test_a_quoted_printable_value_the_import_does_not_read_is_no_problem(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Lee;Ann\r\nADR;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C8=E2\r\n"
        "END:VCARD\r\n",
        encoding="ascii",
        newline="",
    )
    source = open_source(path)
    assert [(row.problem, row.cells[1:3]) for row in source] == [(None, ("Lee", "Ann"))]
    source.close()


def test_a_vcard_inside_a_vcard_keeps_both(tmp_path: Path) -> None:
    """vCard 2.1 writes an AGENT (a secretary) as a card inside the card: the outer card's name before
    it and its phone and email after it were dropped without a word, and only the secretary imported."""
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Boss;Big\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nN:Secretary;Sue\r\n"
        "TEL:+79167770004\r\nEND:VCARD\r\nTEL:+79167770005\r\nEMAIL:boss@example.com\r\nEND:VCARD\r\n",
        encoding="ascii",
        newline="",
    )
    _header, rows = rows_of(path)
    assert sorted((line, cells[1], cells[2], cells[5], cells[6]) for line, cells in rows) == [
        (1, "Boss", "Big", "+79167770005", "boss@example.com"),
        (5, "Secretary", "Sue", "+79167770004", ""),
    ]


def test_a_hidden_first_sheet_is_not_the_one_read_by_default(tmp_path: Path) -> None:
    """A workbook whose first sheet is hidden (a template's lookup table) was imported from that sheet,
    which the person never saw, instead of the one shown; named with --sheet, it is read."""
    book = Workbook()
    hidden = book.active
    hidden.title = "Lookup"
    hidden.append(["name", "phone"])
    hidden.append(["Hidden Harry", "+7 916 555-30-01"])
    hidden.sheet_state = "hidden"
    shown = book.create_sheet("Clients")
    shown.append(["name", "phone"])
    shown.append(["Visible Vera", "+7 916 555-30-02"])
    book.active = 1
    path = tmp_path / "clients.xlsx"
    book.save(path)
    assert rows_of(path)[1] == [(2, ("Visible Vera", "+7 916 555-30-02"))]
    assert rows_of(path, sheet="Lookup")[1] == [(2, ("Hidden Harry", "+7 916 555-30-01"))]


def test_a_sheet_is_named_in_any_case(tmp_path: Path) -> None:
    """A spreadsheet program takes 'клиенты' for the sheet 'Клиенты' (two sheets cannot differ only in
    case); --sheet клиенты was 'no sheet named'."""
    path = tmp_path / "clients.xlsx"
    make_workbook(path, [["name"], ["x"]], extra_sheet=True)
    assert rows_of(path, sheet="клиенты")[1] == [(2, ("x",))]
    assert rows_of(path, sheet="SECOND")[1] == [(2, ("Second Sheet Person", "+44 20 7946 0958"))]


def test_a_chart_sheet_is_never_read_as_a_table(tmp_path: Path) -> None:
    """A workbook whose first sheet is a chart was a traceback ('Chartsheet' object has no attribute
    'max_row'), and so was --sheet naming the chart."""
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    data = book.active
    data.title = "Data"
    data.append(["name", "phone"])
    data.append(["Анна", "+7 916 000-11-22"])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=2))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    path = tmp_path / "clients.xlsx"
    book.save(path)
    assert rows_of(path)[1] == [(2, ("Анна", "+7 916 000-11-22"))]
    with pytest.raises(InvalidInput, match="the sheet 'Chart' is a chart, not a table; the sheets are: Data"):
        open_source(path, sheet="chart")


@pytest.mark.parametrize(
    "after", ['\n[{"name": "Борис"}]\n', " trailing words", "\n]"], ids=["two-exports", "words", "bracket"]
)
def test_anything_after_the_json_array_is_malformed(tmp_path: Path, after: str) -> None:
    """Two exports put in one file (``cat a.json b.json``): the second array's clients were dropped
    without a word, and so was any text after the first array's end."""
    path = tmp_path / "clients.json"
    path.write_text('[{"name": "Анна"}]' + after, encoding="utf-8")
    source = open_source(path)
    with pytest.raises(InvalidInput, match="malformed JSON \\(more after the array's end\\)") as caught:
        list(source)
    source.close()
    assert caught.value.where == f"{path}:{1 + after.count(chr(10), 0, 2)}"


def test_a_card_without_its_begin_is_a_row_problem(tmp_path: Path) -> None:
    """A card whose BEGIN:VCARD line was lost (a file cut and pasted together): its name and phone were
    outside any card and dropped without a word."""
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nFN:Анна\r\nEND:VCARD\r\nVERSION:3.0\r\nFN:Борис\r\nTEL:+79167770005\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nFN:Вера\r\nEND:VCARD\r\n\r\n",
        encoding="utf-8",
        newline="",
    )
    source = open_source(path)
    rows = [(row.line, row.cells[0], row.problem) for row in source]
    source.close()
    assert rows == [
        (1, "Анна", None),
        (5, "", "FN outside a card: no BEGIN:VCARD before it"),
        (8, "Вера", None),
    ]


def test_a_photo_on_one_line_of_megabytes_is_skipped_not_a_refusal(tmp_path: Path) -> None:
    """A writer that does not fold lines puts a photo on one line of megabytes: the whole address book
    was refused ('the line is longer than 1,000,000 characters') for a property the import never reads.
    A line that long of a property it reads is still refused."""
    import base64

    photo = base64.b64encode(bytes(range(256)) * 4400).decode()  # 1.5 MB of base64 on one line
    path = tmp_path / "contacts.vcf"
    path.write_text(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Анна\r\nitem1.PHOTO;ENCODING=b:{photo}\r\nTEL:+79161234567\r\n"
        "END:VCARD\r\n",
        encoding="utf-8",
        newline="",
    )
    assert [(line, cells[0], cells[5]) for line, cells in rows_of(path)[1]] == [(1, "Анна", "+79161234567")]
    path.write_text(f"BEGIN:VCARD\r\nNOTE:{photo}\r\nEND:VCARD\r\n", encoding="utf-8", newline="")
    with pytest.raises(InvalidInput, match="the line is longer than 1,000,000 characters"):
        rows_of(path)


def test_a_formula_that_computed_an_empty_text_is_read_as_empty(tmp_path: Path) -> None:
    """Excel saves a formula whose result is empty text (=IF(B2="";"";B2)) as ``t="str"`` with an empty
    value: the workbook was refused as 'a formula with no computed value', and saving it again in Excel
    (as the message said) wrote it the same way."""
    path = tmp_path / "clients.xlsx"
    make_workbook(path, [["Имя", "Телефон", "Примечание"], ["Анна", "+79161234567", "PLACE"]])
    computed = tmp_path / "computed.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(computed, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                placed = data.replace(
                    b'<c r="C2" t="inlineStr"><is><t>PLACE</t></is></c>',
                    b'<c r="C2" t="str"><f>IF(B2="","",A2)</f><v/></c>',
                )
                assert placed != data
                data = placed
            target.writestr(member, data)
    assert rows_of(computed)[1] == [(2, ("Анна", "+79161234567", ""))]


def test_a_json_phone_list_mixing_objects_and_text_keeps_the_labels(tmp_path: Path) -> None:
    """An export edited by hand, a number added as text beside the phones' objects: the other phones lost
    their labels and as-typed forms without a word."""
    path = tmp_path / "clients.json"
    path.write_text(
        '[{"name": "Анна", "phones": [{"raw": "8 (916) 123-45-67", "e164": "+79161234567", "label": "work"},'
        ' "+7 916 000-11-22"]}]',
        encoding="utf-8",
    )
    header, rows = rows_of(path)
    cells = dict(zip(header, rows[0][1], strict=True))
    assert (cells["phones"], cells["phones_as_typed"], cells["phone_labels"]) == (
        "+79161234567, +7 916 000-11-22",
        "8 (916) 123-45-67\n+7 916 000-11-22",
        "work\n",
    )
