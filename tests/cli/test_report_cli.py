"""``hotline report ...`` through the CLI on both backends: formats, periods, roles, exit codes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import OutboxMessage
from hotline.core.models.enums import Direction, Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


@pytest.fixture
def db(database_url: str) -> str:
    engine = make_engine(database_url)
    clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="sup", role=Role.SUPERVISOR, display_name="Супервайзер")
        add_operator(uow, login="anna", role=Role.OPERATOR, display_name="=cmd|' /C calc'!A0")
        client_id = create_client(uow, draft=ClientDraft(name="Клиент"), default_region="RU").id
        create_client(uow, draft=ClientDraft(name="Зритель", source="TV"), default_region="RU")
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for hour, seconds in [(6, 60), (6, 120), (9, 30)]:  # UTC: 09:xx and 12:xx in Moscow
            log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=seconds, outcome="ok",
                     started_at=datetime(2026, 11, 20, hour, 15, tzinfo=UTC))  # fmt: skip
    engine.dispose()
    return database_url


def hotline(db: str, *args: str, login: str = "sup"):
    env = {
        "XDG_CONFIG_HOME": NO_CONFIG_HOME,
        "HOTLINE_OPERATOR": login,
        "HOTLINE_NOW": "2026-11-23T10:00:00+03:00",
    }
    return runner.invoke(app, ["--db", db, "report", *args], env=env)


def test_json_csv_and_table(db: str) -> None:
    as_json = hotline(db, "calls", "--from", "2026-11-20", "--to", "2026-11-20", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["period"] == {"from": "2026-11-20", "to": "2026-11-20", "timezone": "Europe/Moscow"}
    assert [(r["hour"], r["calls"], r["average_seconds"]) for r in data["rows"]] == [
        (9, 2, 90.0),
        (12, 1, 30.0),
    ]
    assert json.loads(hotline(db, "calls", "--from", "2026-11-20", "--json").stdout)["rows"] == data["rows"]
    as_csv = hotline(db, "operators", "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0][:3] == ["operator", "name", "calls"]
    assert rows[1][:3] == ["anna", "'=cmd|' /C calc'!A0", "3"]  # a formula-like name is neutralised
    as_table = hotline(db, "operators")
    assert as_table.exit_code == 0
    assert "anna" in as_table.stdout
    assert "Calls per operator" in as_table.stdout


@pytest.mark.parametrize("name", ["aging", "sla"])
def test_empty_reports_say_so(db: str, name: str) -> None:
    result = hotline(db, name)
    assert result.exit_code == 0, result.output
    assert "nothing in this period" in result.stdout


def test_bad_usage_is_exit_2(db: str) -> None:
    bad_date = hotline(db, "calls", "--from", "20.11.2026")
    assert bad_date.exit_code == 2
    assert "--from: not a date" in bad_date.output
    reversed_period = hotline(db, "calls", "--from", "2026-11-21", "--to", "2026-11-20")
    assert reversed_period.exit_code == 2
    operator = hotline(db, "calls", login="anna")
    assert operator.exit_code == 2
    assert "needs supervisor or admin" in operator.output
    assert hotline(db, "calls", "--format", "pdf").exit_code == 2


def test_xlsx_to_a_file_filters_and_explain(db: str, tmp_path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "perf.xlsx"
    written = hotline(
        db, "performance", "--from", "2026-11-20", "--to", "2026-11-20", "-f", "xlsx", "-o", str(path)
    )
    assert written.exit_code == 0, written.output
    rows = list(load_workbook(path)["performance"].iter_rows(values_only=True))
    assert rows[0][:4] == ("operator", "name", "calls", "talk_seconds")
    assert rows[1][:4] == ("anna", "=cmd|' /C calc'!A0", 3, 210)  # text, never a formula
    no_file = hotline(db, "queues", "--format", "xlsx")
    assert no_file.exit_code == 2 and "--output" in no_file.stderr
    only_anna = json.loads(hotline(db, "calls", "--operator", "anna", "--json").stdout)
    assert only_anna["filters"] == {"operator": "anna"} and len(only_anna["rows"]) == 2
    unknown = hotline(db, "calls", "--queue", "Nowhere")
    assert unknown.exit_code == 2 and "--queue: no queue named 'Nowhere'" in unknown.stderr
    explained = hotline(db, "inquiries", "--explain")
    assert explained.exit_code == 0 and "wrap-up code" in explained.stdout


def test_output_never_writes_over_a_file_or_the_database_and_a_table_is_not_a_file(db: str, tmp_path) -> None:
    from sqlalchemy.engine import make_url

    existing = tmp_path / "calls.csv"
    existing.write_text("keep me", encoding="utf-8")
    over = hotline(db, "calls", "-f", "csv", "-o", str(existing))
    assert over.exit_code == 2 and "exists already (--force writes over it)" in over.stderr
    assert existing.read_text(encoding="utf-8") == "keep me"
    forced = hotline(db, "calls", "-f", "csv", "-o", str(existing), "--force")
    assert forced.exit_code == 0, forced.output
    assert existing.read_text(encoding="utf-8-sig").startswith("day,hour,calls")
    table_file = tmp_path / "calls.txt"
    as_table = hotline(db, "calls", "-o", str(table_file))  # it printed to the screen and said nothing
    assert as_table.exit_code == 2 and "--output" in as_table.stderr
    assert not table_file.exists()
    url = make_url(db)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        onto = hotline(db, "calls", "-f", "csv", "-o", str(database), "--force")
        assert onto.exit_code == 2 and "is the database" in onto.stderr
        assert database.read_bytes().startswith(b"SQLite format 3\x00")  # it became the CSV


def test_a_source_no_client_has_and_no_configuration_names_is_bad_usage_not_an_empty_report(db: str) -> None:
    for given in ("", "Nowhere", "tv"):  # blank (an unset variable), unknown, and the wrong case
        result = hotline(db, "performance", "--source", given)
        assert result.exit_code == 2, (given, result.output)
        assert f"--source: no client has the source {given!r} and no configured source is it" in result.stderr
    known = hotline(db, "performance", "--source", "TV", "--json")
    assert known.exit_code == 0, known.output
    assert json.loads(known.stdout)["filters"] == {"source": "TV"}


@pytest.mark.parametrize("option", ["--period", "--format"])
def test_a_blank_period_or_format_is_not_the_default(db: str, option: str) -> None:
    """``report send calls --period ""`` (an unset variable in a cron line) mailed last week's report."""
    result = hotline(db, "send", "calls", "--to", "boss@example.com", option, " ")
    assert result.exit_code == 2, result.output
    assert f"{option}: a blank {option}" in result.stderr
    with UnitOfWork(make_engine(db), clock=FixedClock(datetime(2026, 11, 23, 7, tzinfo=UTC))) as uow:
        assert uow.session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0


@pytest.mark.parametrize(
    ("login", "said"), [("anna", "needs supervisor or admin"), ("nobody", "unknown operator")]
)
def test_explain_is_a_report_command_like_the_others(db: str, login: str, said: str) -> None:
    """``report calls --explain`` printed its text to an operator and to an unknown login, exit 0: the
    one command that proved nobody (every command establishes the acting operator)."""
    result = hotline(db, "calls", "--explain", login=login)
    assert result.exit_code == 2, result.output
    assert said in result.stderr and not result.stdout


def test_a_bad_to_or_period_names_its_option(db: str) -> None:
    """``report send`` said "to: not an email address" and "period: unknown period", naming no option."""
    for args, said in (
        (["--to", "boss@example.com\nBcc: evil@example.com"], "--to: not an email address"),
        (["--to", "boss@example.com", "--period", "fortnight"], "--period: unknown period 'fortnight'"),
    ):
        result = hotline(db, "send", "calls", *args)
        assert result.exit_code == 2, result.output
        assert said in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_xlsx_cell_too_long_for_a_spreadsheet_is_refused_and_nothing_written(db: str, tmp_path) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if make_url(db).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL holds at most 200 characters in a display name")
    engine = make_engine(db)
    with engine.begin() as connection:  # a name no command would take, as an older version or a tool left it
        connection.execute(text("UPDATE operator SET display_name = :name WHERE login = 'anna'"),
                           {"name": "Анна " * 8_000})  # fmt: skip
    engine.dispose()
    path = tmp_path / "operators.xlsx"
    refused = hotline(db, "operators", "-f", "xlsx", "-o", str(path))  # cut to 32,767 characters, exit 0
    assert refused.exit_code == 2, refused.output
    assert "cell B2 (name) of 40,000 characters" in refused.stderr and "csv or json" in refused.stderr
    assert [file.name for file in tmp_path.iterdir()] == ["hotline.db"]  # no half-written or temporary file
    as_csv = hotline(db, "operators", "-f", "csv")
    assert as_csv.exit_code == 0 and "Анна " * 8_000 in as_csv.stdout


def test_an_xlsx_report_with_a_noncharacter_in_a_name_still_opens(db: str, tmp_path) -> None:
    from openpyxl import load_workbook
    from sqlalchemy import text

    engine = make_engine(db)
    with engine.begin() as connection:  # U+FFFE/U+FFFF: UTF-8 both databases take, XML does not
        connection.execute(text("UPDATE operator SET display_name = :name WHERE login = 'anna'"),
                           {"name": "An\ufffena\uffff"})  # fmt: skip
    engine.dispose()
    path = tmp_path / "operators.xlsx"
    written = hotline(db, "operators", "-f", "xlsx", "-o", str(path))
    assert written.exit_code == 0, written.output
    rows = list(load_workbook(path)["operators"].iter_rows(values_only=True))  # it was a corrupt file
    assert rows[1][:2] == ("anna", "Anna")


def test_a_json_report_file_writes_control_and_bidi_characters_as_escapes(db: str, tmp_path) -> None:
    from sqlalchemy import text

    name = "An\x7f\u009b2J\u202ena"
    engine = make_engine(db)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE operator SET display_name = :name WHERE login = 'anna'"), {"name": name}
        )
    engine.dispose()
    path = tmp_path / "operators.json"
    written = hotline(db, "operators", "-f", "json", "-o", str(path))
    assert written.exit_code == 0, written.output
    raw = path.read_text(encoding="utf-8")
    assert "\u009b" not in raw and "\u202e" not in raw and "\x7f" not in raw  # as --json on stdout writes
    assert "\\u009b" in raw
    assert json.loads(raw)["rows"][0]["name"] == name


def test_a_mailed_report_says_its_filters_without_control_characters(db: str) -> None:
    from sqlalchemy import text

    source = "TV\x1b]8;;http://evil/\x07\nFilters: none"  # a source as a tool left it on a client
    engine = make_engine(db)
    with engine.begin() as connection:
        connection.execute(text("UPDATE client SET source = :source WHERE source = 'TV'"), {"source": source})
    engine.dispose()
    sent = hotline(db, "send", "clients", "--to", "boss@example.com", "--source", source, "-f", "csv")
    assert sent.exit_code == 0, sent.output
    with UnitOfWork(make_engine(db), clock=FixedClock(datetime(2026, 11, 23, 7, tzinfo=UTC))) as uow:
        body = uow.session.execute(select(OutboxMessage.body)).scalar_one()
    assert (
        "\x1b" not in body and "\x07" not in body
    )  # the body's rows went through printable, its filters not
    assert "Filters: source TV Filters: none\n" in body


@pytest.mark.parametrize("name", [" ", "\t", "sub/  "])
def test_a_blank_output_name_is_refused_not_a_file_named_blank(
    db: str, tmp_path, monkeypatch, name: str
) -> None:
    """``--output " "`` (a variable holding a space) wrote a file named " " and said "written to "."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    result = hotline(db, "calls", "-f", "csv", "-o", name)
    assert result.exit_code == 2, result.output
    assert "--output: a blank file name" in result.stderr
    assert [path.name for path in tmp_path.rglob("*") if not path.name.startswith("hotline.db")] == ["sub"]


def test_a_csv_report_on_a_terminal_writes_no_escape_sequence(db: str) -> None:
    """``report operators -f csv`` on a terminal wrote a name's ESC sequences raw: the terminal ran them."""
    from sqlalchemy import text

    from tests.cli.invoke import on_a_terminal

    engine = make_engine(db)
    with engine.begin() as connection:
        connection.execute(text("UPDATE operator SET display_name = :name WHERE login = 'anna'"),
                           {"name": "An\x1b]0;owned\x07na\x1b[2J\u009b31m"})  # fmt: skip
    engine.dispose()
    env = {"HOTLINE_OPERATOR": "sup", "HOTLINE_NOW": "2026-11-23T10:00:00+03:00"}
    code, seen, errors = on_a_terminal("--db", db, "report", "operators", "-f", "csv", env=env)
    assert code == 0, errors
    assert b"anna,Anna31m," in seen
    assert b"\x1b" not in seen and b"\x07" not in seen and "\u009b".encode() not in seen


def test_a_recipient_given_twice_is_refused_not_mailed_twice(db: str) -> None:
    """``--to boss@example.com --to Boss@Example.com`` queued one mail to the same address twice."""
    result = hotline(db, "send", "calls", "--to", "boss@example.com", "--to", "Boss@Example.com")
    assert result.exit_code == 2, result.output
    assert "--to: boss@example.com is given twice" in result.stderr
    with UnitOfWork(make_engine(db), clock=FixedClock(datetime(2026, 11, 23, 7, tzinfo=UTC))) as uow:
        assert uow.session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_json_and_another_format_is_refused_not_json_in_an_xlsx_file(db: str, tmp_path, fmt: str) -> None:
    """``--json -f xlsx -o calls.xlsx`` wrote JSON into calls.xlsx, exit 0."""
    path = tmp_path / f"calls.{fmt}"
    result = hotline(db, "calls", "--json", "-f", fmt, "-o", str(path))
    assert result.exit_code == 2, result.output
    assert f"--json: give --json or --format {fmt}, not both" in result.stderr
    assert not path.exists()
    assert hotline(db, "calls", "--json", "-f", "json").exit_code == 0  # the same thing twice is no conflict
