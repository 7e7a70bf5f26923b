"""``hotline clients import`` / ``export`` through the real CLI on both backends: exit codes, JSON, files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()

CSV_TEXT = (
    "Фамилия;Имя;Телефон;E-mail;День рождения\n"
    "Иванов;Иван;8 (495) 123-45-67;ivan@example.ru;15.01.1980\n"
    "Петрова;Анна;+7 916 222-33-44, 8 916 222 33 45;anna@example.ru;\n"
)
BAD_ROWS = "Сидоров;;12345;;\n;;;broken@;30.02.1990\n"


@pytest.fixture
def db(database_url: str) -> str:
    engine = make_engine(database_url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
    engine.dispose()
    return database_url


def hotline(db: str, *args: str, login: str = "root"):
    env = {"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": login}
    return runner.invoke(app, ["--db", db, *args], env=env)


def clients_csv(tmp_path: Path, text: str = CSV_TEXT, encoding: str = "cp1251") -> Path:
    path = tmp_path / "clients.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_import_prints_a_summary_and_json(db: str, tmp_path: Path) -> None:
    path = clients_csv(tmp_path)
    result = hotline(db, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout
    listed = hotline(db, "clients", "import", str(path), "--dry-run")
    assert f"{path}:2: skipped: matches client #1 by email ivan@example.ru" in listed.output
    again = hotline(db, "clients", "import", str(path), "--json")
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert (data["created"], data["skipped"], data["rows"], data["committed"]) == (0, 2, 2, True)


def test_invalid_rows_are_listed_with_lines_and_exit_2_with_nothing_written(db: str, tmp_path: Path) -> None:
    path = clients_csv(tmp_path, CSV_TEXT + BAD_ROWS)
    result = hotline(db, "clients", "import", str(path))
    assert result.exit_code == 2
    assert f"{path}:4: Телефон: unparseable phone" in result.output
    assert f"{path}:5: E-mail: invalid email" in result.output
    assert f"{path}:5: День рождения: birthday '30.02.1990' is an impossible date" in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    listed = hotline(db, "clients", "export", "--format", "json")
    assert json.loads(listed.stdout) == []


def test_skip_invalid_with_errors_file(db: str, tmp_path: Path) -> None:
    path = clients_csv(tmp_path, CSV_TEXT + BAD_ROWS)
    errors = tmp_path / "rejected.csv"
    result = hotline(db, "clients", "import", str(path), "--skip-invalid", "--errors", str(errors), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["created"], data["rejected"]) == (2, 2)
    rows = list(csv.reader(io.StringIO(errors.read_text(encoding="utf-8-sig"))))
    assert rows[0][-2:] == ["line", "reason"]
    assert [row[-2] for row in rows[1:]] == ["4", "5"]


def test_a_fixed_errors_file_imports_as_the_original_would(db: str, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("name;phone\n'=Quoted;bad\n=Formula;bad\n", encoding="utf-8")
    errors = tmp_path / "rejected.csv"
    rejected = hotline(db, "clients", "import", str(path), "--skip-invalid", "--errors", str(errors))
    assert rejected.exit_code == 0
    errors.write_text(errors.read_text(encoding="utf-8-sig").replace(",bad,", ",,"), encoding="utf-8")
    assert hotline(db, "clients", "import", str(errors)).exit_code == 0
    exported = json.loads(hotline(db, "clients", "export", "--format", "json").stdout)
    assert sorted(client["name"] for client in exported) == ["=Formula", "=Quoted"]  # was "'=Quoted"


def test_dry_run_writes_nothing(db: str, tmp_path: Path) -> None:
    result = hotline(db, "clients", "import", str(clients_csv(tmp_path)), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2
    assert json.loads(hotline(db, "clients", "export", "--format", "json").stdout) == []


def test_map_and_on_duplicate_options(db: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Кто,Как связаться\nАнна Петрова,+7 916 222-33-44\n", encoding="utf-8")
    unmapped = hotline(db, "clients", "import", str(path))
    assert unmapped.exit_code == 2
    assert "no name column found" in unmapped.output
    mapped = hotline(db, "clients", "import", str(path), "--map", "name=Кто", "--map", "phones=Как связаться")
    assert mapped.exit_code == 0, mapped.output
    hotline(db, "clients", "import", str(clients_csv(tmp_path)))
    failed = hotline(db, "clients", "import", str(clients_csv(tmp_path)), "--on-duplicate", "fail")
    assert failed.exit_code == 2
    assert "duplicate" in failed.output
    bad_policy = hotline(db, "clients", "import", str(path), "--on-duplicate", "merge")
    assert bad_policy.exit_code == 2


def test_bad_files_are_one_clear_line(db: str, tmp_path: Path) -> None:
    pdf = tmp_path / "report.csv"
    pdf.write_bytes(b"%PDF-1.5\n%\xe2\xe3\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("name,phone\n", encoding="utf-8")
    for path, reason in [(pdf, "PDF document"), (empty, "empty"), (header_only, "no data rows"),
                         (tmp_path / "missing.csv", "no such file")]:  # fmt: skip
        result = hotline(db, "clients", "import", str(path))
        assert result.exit_code == 2, result.output
        assert reason in result.output
        assert str(path) in result.output
        assert "Traceback" not in result.output


def test_only_admins_import_and_export(db: str, tmp_path: Path) -> None:
    result = hotline(db, "clients", "import", str(clients_csv(tmp_path)), login="olga")
    assert result.exit_code == 2
    assert "needs admin" in result.output
    assert hotline(db, "clients", "export", login="olga").exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_to_a_file_round_trips(db: str, tmp_path: Path, fmt: str) -> None:
    hotline(db, "clients", "import", str(clients_csv(tmp_path)))
    target = tmp_path / f"export.{fmt}"
    result = hotline(db, "clients", "export", "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "exported 2 clients" in result.output
    back = hotline(db, "clients", "import", str(target), "--json")
    assert json.loads(back.stdout)["skipped"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export")]  # no temporary left


def test_a_json_export_file_is_json_without_a_byte_order_mark(db: str, tmp_path: Path) -> None:
    hotline(db, "clients", "import", str(clients_csv(tmp_path)))
    target = tmp_path / "export.json"
    assert hotline(db, "clients", "export", "--format", "json", "--output", str(target)).exit_code == 0
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 2  # it began with a BOM: refused


def test_an_xlsx_export_refuses_a_value_longer_than_a_cell_holds(db: str, tmp_path: Path) -> None:
    source = tmp_path / "long.json"
    source.write_text(json.dumps([{"name": "Long Notes", "notes": "N" * 40_000}]), encoding="utf-8")
    assert hotline(db, "clients", "import", str(source)).exit_code == 0
    target = tmp_path / "export.xlsx"
    result = hotline(db, "clients", "export", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 2  # it wrote the notes cut to 32,767 characters, exit 0
    assert "notes of 40,000 characters, more than an XLSX cell holds (32,767)" in result.output
    assert not target.exists()


def test_output_dash_is_standard_output(db: str, tmp_path: Path, monkeypatch) -> None:
    hotline(db, "clients", "import", str(clients_csv(tmp_path)))
    monkeypatch.chdir(tmp_path)
    exported = hotline(db, "clients", "export", "--output", "-")
    listed = hotline(db, "clients", "list", "--export", "csv", "--output", "-")
    report = hotline(db, "report", "clients", "--format", "csv", "--output", "-")
    assert [r.exit_code for r in (exported, listed, report)] == [0, 0, 0], exported.output + listed.output
    assert exported.stdout.startswith("id,kind,name") and listed.stdout.startswith("id,name,kind")
    assert report.stdout.startswith("source,")
    assert not (tmp_path / "-").exists()  # each wrote a file named "-" (the next one: "exists already")


def test_a_csv_export_whose_note_holds_a_csv_line_imports_back(db: str, tmp_path: Path) -> None:
    source = tmp_path / "pasted.json"
    note = "Prices pasted from the list:\n" + ",".join(str(n) for n in range(15))  # as many commas as columns
    source.write_text(json.dumps([{"name": "Pasted Prices", "notes": note}]), encoding="utf-8")
    assert hotline(db, "clients", "import", str(source)).exit_code == 0
    target = tmp_path / "export.csv"
    assert hotline(db, "clients", "export", "--output", str(target)).exit_code == 0
    back = hotline(db, "clients", "import", str(target), "--dry-run", "--json")
    assert back.exit_code == 0, back.output  # "is a quote left open on line 2?"
    assert json.loads(back.stdout)["skipped"] == 1


def test_export_csv_to_stdout_neutralises_formulas(db: str, tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text('name,phone\n"=HYPERLINK(""http://x"",""y"")",+7 916 000 00 01\n', encoding="utf-8")
    assert hotline(db, "clients", "import", str(path)).exit_code == 0
    result = hotline(db, "clients", "export")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1][2] == '\'=HYPERLINK("http://x","y")'
    assert rows[1][7] == "'+79160000001"


def test_export_to_an_unwritable_place_is_exit_2(db: str, tmp_path: Path) -> None:
    result = hotline(db, "clients", "export", "--output", str(tmp_path / "missing" / "out.csv"))
    assert result.exit_code == 2
    assert "no such folder" in result.output
    assert "Traceback" not in result.output


def test_xlsx_sheet_option(db: str, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Contacts")
    sheet.append(["Name", "Mobile"])
    sheet.append(["Ann Lee", "+44 7700 900123"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = hotline(db, "clients", "import", str(path), "--sheet", "Contacts", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    missing = hotline(db, "clients", "import", str(path), "--sheet", "Nope")
    assert missing.exit_code == 2
    assert "the sheets are: Sheet, Contacts" in missing.output


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_demo_export_imports_into_an_empty_database_with_nobody_lost(
    db: str, backend: str, tmp_path: Path, fmt: str
) -> None:
    if backend != "sqlite":
        pytest.skip("one backend is enough for the demo's shape; the round-trip property covers both")
    assert hotline(db, "demo", "--clients", "1000").exit_code == 0
    target = tmp_path / f"all.{fmt}"
    assert hotline(db, "clients", "export", "--format", fmt, "--output", str(target)).exit_code == 0
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert hotline(empty, "db", "init").exit_code == 0
    config = tmp_path / "config.toml"  # the starter configuration's sources and campaign, which the demo uses
    config.write_text(
        'sources = ["TV", "Search", "A friend", "Returning client"]\n'
        '[[campaigns]]\ncode = "TV-NOV"\nsource = "TV"\n',
        encoding="utf-8",
    )
    owners = (
        "SELECT o.login, count(*) FROM client c LEFT JOIN operator o ON o.id = c.owner_id GROUP BY o.login"
    )
    source, copy = make_engine(db), make_engine(empty)
    with source.connect() as connection:
        logins = connection.execute(text("SELECT login FROM operator WHERE login != 'root'")).scalars().all()
        owned = sorted(connection.execute(text(owners)).all(), key=str)
    with UnitOfWork(copy) as uow:  # the clients' owners, as a new installation sets its operators up first
        for login in logins:
            add_operator(uow, login=login, role=Role.OPERATOR)
    result = hotline(empty, "--config", str(config), "clients", "import", str(target), "--json")
    assert result.exit_code == 0, result.output
    with copy.connect() as connection:
        assert sorted(connection.execute(text(owners)).all(), key=str) == owned
    source.dispose()
    copy.dispose()
    data = json.loads(result.stdout)
    assert (data["rows"], data["created"], data["skipped"], data["organisations_created"]) == (
        1000,
        1000,
        0,
        0,
    )


def test_nothing_is_written_over_the_database_the_input_or_an_existing_file(
    db: str, backend: str, tmp_path: Path
) -> None:
    path = clients_csv(tmp_path, CSV_TEXT + BAD_ROWS)
    original = path.read_bytes()
    refusals = [
        (("clients", "import", str(path), "--skip-invalid", "--errors", str(path)), "is the input file"),
        (
            ("clients", "import", str(path), "--skip-invalid", "--errors", str(path), "--force"),
            "is the input file",
        ),
    ]
    existing = tmp_path / "taken.csv"
    existing.write_text("keep me", encoding="utf-8")
    refusals += [
        (("clients", "import", str(path), "--skip-invalid", "--errors", str(existing)), "exists already"),
        (("clients", "export", "-o", str(existing)), "exists already (--force writes over it)"),
    ]
    if backend == "sqlite":
        database = db.removeprefix("sqlite:///")
        refusals += [
            (("clients", "export", "-o", database, "--force"), "is the database"),
            (("clients", "export", "-o", database + "-wal", "--force"), "is a file of the database"),
            (
                ("clients", "import", str(path), "--skip-invalid", "--errors", database, "--force"),
                "is the database",
            ),
        ]
    for arguments, reason in refusals:
        result = hotline(db, *arguments)
        assert result.exit_code == 2, (arguments, result.output)
        assert reason in result.output, (arguments, result.output)
    assert path.read_bytes() == original
    assert existing.read_text(encoding="utf-8") == "keep me"
    assert json.loads(hotline(db, "clients", "export", "--format", "json").stdout) == []  # nothing imported
    forced = hotline(db, "clients", "export", "-o", str(existing), "--force")
    assert forced.exit_code == 0, forced.output
    assert existing.read_text(encoding="utf-8-sig").startswith("id,kind,name")
    errors = hotline(
        db, "clients", "import", str(path), "--skip-invalid", "--errors", str(existing), "--force"
    )
    assert errors.exit_code == 0, errors.output
    assert "reason" in existing.read_text(encoding="utf-8-sig").splitlines()[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_export_that_fails_midway_leaves_the_old_file(db: str, tmp_path: Path, monkeypatch) -> None:
    from hotline.core import exporting

    target = tmp_path / "old-export.csv"
    target.write_text("the old export", encoding="utf-8")
    hotline(db, "clients", "import", str(clients_csv(tmp_path)))

    def broken(clients, stream) -> int:
        stream.write("half a line")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporting, "write_csv", broken)
    result = hotline(db, "clients", "export", "-o", str(target), "--force")
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output
    assert target.read_text(encoding="utf-8") == "the old export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_file_names_and_values_reach_the_terminal_only_through_the_printable_filter(
    db: str, tmp_path: Path
) -> None:
    hostile = tmp_path / "list\x1b]0;owned\x07\x1b[2J.csv"
    hostile.write_text("name,phone\nAnn \u009b31m Lee\u202e,+7 916 000 00 01\n;;;\n", encoding="utf-8")
    bad = hotline(db, "clients", "import", str(hostile), "--map", "emails=nothing")
    assert bad.exit_code == 2
    assert "list]0;owned[2J.csv" not in bad.output  # the sequences are removed, not just ESC
    assert "\x1b" not in bad.output and "\x07" not in bad.output
    assert "list.csv" in bad.output
    good = hotline(db, "clients", "import", str(hostile), "--json")
    assert good.exit_code == 0, good.output
    assert "\x1b" not in good.stdout and "\u009b" not in good.stdout
    assert json.loads(good.stdout)["file"] == str(hostile)  # escaped in JSON, intact when read
    shown = hotline(db, "clients", "export", "--format", "json")
    assert "\u009b" not in shown.stdout and "\u202e" not in shown.stdout


def test_standard_input_and_pipes_are_read(db: str, backend: str, tmp_path: Path, monkeypatch) -> None:
    import os
    import subprocess
    import sys
    import threading

    from hotline.core.importing import spool

    if backend != "sqlite":
        pytest.skip("reading a stream is the same on both backends")
    text = "name,phone\nAnn Lee,+7 916 000-00-01\n"
    piped = runner.invoke(
        app, ["--db", db, "clients", "import", "-", "--json"], input=text.encode(),
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"},
    )  # fmt: skip
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["created"] == 1
    via_device = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "--db", db, "clients", "import", "/dev/stdin", "--json"],
        input=b"name,phone\nBob Kim,+7 916 000-00-02\n",
        capture_output=True,
        timeout=60,
        env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"},
        check=False,
    )
    assert via_device.returncode == 0, via_device.stderr
    assert json.loads(via_device.stdout)["created"] == 1
    monkeypatch.setattr(spool, "WRITER_WAIT_SECONDS", 0.5)
    fifo = tmp_path / "clients.fifo"
    os.mkfifo(fifo)
    nobody = hotline(db, "clients", "import", str(fifo))  # no writer: said, not waited for forever
    assert nobody.exit_code == 2, nobody.output
    assert "the file is empty" in nobody.output

    def write_later() -> None:
        with fifo.open("w", encoding="utf-8") as writer:
            writer.write("name,phone\nVera Sokolova,+7 916 000-00-03\n")

    writer = threading.Thread(target=write_later)
    writer.start()
    fed = hotline(db, "clients", "import", str(fifo), "--json")
    writer.join(timeout=10)
    assert fed.exit_code == 0, fed.output
    assert json.loads(fed.stdout)["created"] == 1


def test_a_device_that_is_empty_is_said_at_once(db: str, backend: str, monkeypatch) -> None:
    """``clients import /dev/null`` (a cron job's empty input) waited the ten seconds a pipe is given for
    a writer: only a pipe can still get one; a device's empty read is its end."""
    import time

    from hotline.core.importing import spool

    if backend != "sqlite":
        pytest.skip("reading a stream is the same on both backends")
    monkeypatch.setattr(spool, "WRITER_WAIT_SECONDS", 30.0)
    started = time.monotonic()
    result = hotline(db, "clients", "import", "/dev/null")
    assert result.exit_code == 2, result.output
    assert "/dev/null: the file is empty" in result.output
    assert time.monotonic() - started < 10


def test_birthdays_are_read_in_the_configured_date_order(db: str, tmp_path: Path) -> None:
    path = clients_csv(tmp_path, "Имя;Телефон;День рождения\nJohn;+1 212 555 0100;01/16/1980\n")
    env = {"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"}
    day_first = runner.invoke(app, ["--db", db, "clients", "import", str(path)], env=env)
    assert day_first.exit_code == 2
    assert "birthday '01/16/1980' is an impossible date: there is no month 16" in day_first.output
    month_first = runner.invoke(
        app, ["--db", db, "clients", "import", str(path)], env={**env, "HOTLINE_DATE_ORDER": "mdy"}
    )
    assert month_first.exit_code == 0, month_first.output
    exported = json.loads(hotline(db, "clients", "export", "--format", "json").stdout)
    assert [(client["name"], client["birthday"]) for client in exported] == [("John", "1980-01-16")]


def test_standard_input_is_named_dash_in_messages_and_the_audit(db: str, tmp_path: Path) -> None:
    """They named the private copy of it, /tmp/hotline-import-…/stdin, which the user never saw."""
    from sqlmodel import col, select

    from hotline.core.models import AuditEntry

    def piped(text: str, *args: str):
        env = {"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"}
        return runner.invoke(app, ["--db", db, "clients", "import", "-", *args], input=text.encode(), env=env)

    empty = piped("")
    assert empty.exit_code == 2 and "hotline: error: -: the file is empty" in empty.stderr
    bad = piped("name,phone\nAnn Lee,12\nBob Kim,+7 916 000-00-02\n")
    assert bad.exit_code == 2
    assert "-:2: phone: " in bad.stderr and "-: 1 invalid row" in bad.stderr
    assert "hotline-import-" not in bad.stderr
    good = piped("name,phone\nBob Kim,+7 916 000-00-02\n", "--json")
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["file"] == "-"
    engine = make_engine(db)
    with UnitOfWork(engine, readonly=True) as uow:
        entry = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "client.import").order_by(col(AuditEntry.id).desc())
        ).first()
    engine.dispose()
    assert entry is not None and entry.after["file"] == "-"


def test_the_errors_file_is_never_the_file_on_standard_input(db: str, backend: str, tmp_path: Path) -> None:
    """``clients import - --errors clients.csv --force < clients.csv``: the input, read through standard
    input, was written over with its rejected rows (named, it is refused: 'is the input file')."""
    import os
    import subprocess
    import sys

    if backend != "sqlite":
        pytest.skip("reading standard input is the same on both backends")
    path = clients_csv(tmp_path, CSV_TEXT + BAD_ROWS)
    before = path.read_bytes()
    with path.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "hotline.cli", "--db", db, "clients", "import", "-", "--skip-invalid",
             "--errors", str(path), "--force"],
            stdin=stdin, capture_output=True, timeout=60, check=False,
            env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"},
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert b"is the input file (standard input); it is never written over" in result.stderr
    assert path.read_bytes() == before


def test_a_birthday_without_a_year_leaves_the_card_imported_and_says_so(db: str, tmp_path: Path) -> None:
    """A vCard ``BDAY:--0415`` (vCard 4.0) or Apple's ``X-APPLE-OMIT-YEAR`` refused the whole card."""
    path = tmp_path / "cards.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Анна Петрова\r\nTEL:+7 916 222-33-44\r\nBDAY:--0415\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Иван Иванов\r\nTEL:+7 916 222-33-45\r\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604;VALUE=date:1604-04-15\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Олег\r\nTEL:+7 916 222-33-46\r\nBDAY:1980-03-04\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    result = hotline(db, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "ignored columns" in result.output and "BDAY without a year" in result.output
    data = json.loads(hotline(db, "clients", "import", str(path), "--dry-run", "--json").stdout)
    assert data["skipped"] == 3 and data["ignored_columns"] == [
        "BDAY without a year (a birthday needs one; left out of 2 cards)"
    ]
    exported = json.loads(hotline(db, "clients", "export", "--format", "json").stdout)
    assert sorted((c["name"], c["birthday"]) for c in exported) == [
        ("Анна Петрова", None), ("Иван Иванов", None), ("Олег", "1980-03-04")
    ]  # fmt: skip


def test_two_rows_for_one_client_update_once_then_are_unchanged(db: str, tmp_path: Path) -> None:
    """Two rows for one client, each with its notes and birthday: ``--on-duplicate update`` said
    "updated" (twice) on every run, though the client ended the same each time."""
    path = tmp_path / "dup.csv"
    path.write_text(
        "name,phone,email,notes,birthday\n"
        "Анна Петрова,+7 916 222-33-44,anna@example.ru,first,01.01.1980\n"
        "Анна Петрова,+7 916 222-33-45,anna@example.ru,second,02.02.1981\n",
        encoding="utf-8",
    )
    first = json.loads(
        hotline(db, "clients", "import", str(path), "--on-duplicate", "update", "--json").stdout
    )
    assert (first["created"], first["updated"]) == (1, 1)
    for dry in ((), ("--dry-run",)):
        again = hotline(db, "clients", "import", str(path), "--on-duplicate", "update", "--json", *dry)
        data = json.loads(again.stdout)
        assert (data["updated"], data["unchanged"]) == (0, 2), (dry, data["decisions"])
    (client,) = json.loads(hotline(db, "clients", "export", "--format", "json").stdout)
    assert (client["notes"], client["birthday"]) == ("second", "1981-02-02")


def test_xlsx_phone_numbers_keep_their_leading_zeros_and_are_never_garbled(db: str, tmp_path: Path) -> None:
    """A phone cell that is a number formatted ``00000000000`` lost its leading zero (the sheet showed
    it): 020 7946 0958 was read as 2079460958; one that is a fraction (typed short in scientific form)
    was stored as other digits."""
    from openpyxl import Workbook

    config = tmp_path / "config.toml"
    config.write_text('default_region = "GB"\n', encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "notes"])
    sheet.append(["Анна", "+7 916 222-33-44", 1.5])
    sheet.append(["Борис", 2079460958, None])
    sheet["B3"].number_format = "00000000000"  # shown 02079460958
    sheet.append(["Вера", 7.91612345675e10, None])
    sheet.append(["Глеб", 7.9e20, None])
    path = tmp_path / "phones.xlsx"
    book.save(path)
    base = ("--config", str(config), "clients", "import", str(path))
    refused = hotline(db, *base)
    assert refused.exit_code == 2, refused.output
    assert f"{path}:4: phone: the number 79161234567.5 cannot be read exactly as a phone" in refused.output
    assert f"{path}:5: phone: the number 790000000000000000000 cannot be read" in refused.output
    result = hotline(db, *base, "--skip-invalid", "--json")
    assert result.exit_code == 0, result.output
    assert (json.loads(result.stdout)["created"], json.loads(result.stdout)["rejected"]) == (2, 2)
    exported = json.loads(hotline(db, "clients", "export", "--format", "json").stdout)
    typed = {c["name"]: [p["e164"] for p in c["phones"]] for c in exported}
    assert typed == {"Анна": ["+79162223344"], "Борис": ["+442079460958"]}
    assert {c["name"]: c["notes"] for c in exported}["Анна"] == "1.5"  # a fraction elsewhere is read


@pytest.mark.parametrize(
    "args",
    [("clients", "export", "--format", "csv"), ("clients", "list", "--export", "csv")],
    ids=["export", "list-export"],
)
def test_a_csv_export_on_a_terminal_writes_no_escape_sequence(db: str, args: tuple[str, ...]) -> None:
    """A stored name's escape sequences went raw to the terminal from ``clients export`` and ``clients list
    --export csv`` (the report's CSV had been mended; the exports had not): the terminal ran them (an OSC
    title, a clear screen). On a terminal they are left out; redirected, the file keeps every byte."""
    from hotline.core.services.clients import ClientDraft, create_client
    from tests.cli.invoke import on_a_terminal

    engine = make_engine(db)
    with UnitOfWork(engine, actor_login="root") as uow:
        create_client(uow, draft=ClientDraft(name="Иван"), default_region="RU")
    with engine.begin() as connection:  # as a row written before names were checked
        connection.execute(
            text("UPDATE client SET name = :name"), {"name": "Ив\x1b]0;owned\x07ан\x1b[2J\u009b31m"}
        )
    engine.dispose()
    code, seen, errors = on_a_terminal("--db", db, *args, env={"HOTLINE_OPERATOR": "root"})
    assert code == 0, errors
    assert "Иван31m".encode() in seen
    assert b"\x1b" not in seen and b"\x07" not in seen and "\u009b".encode() not in seen
    redirected = hotline(db, *args)
    assert redirected.exit_code == 0, redirected.output
    assert "Ив\x1b]0;owned\x07ан\x1b[2J\u009b31m" in redirected.stdout
