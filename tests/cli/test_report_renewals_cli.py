"""``hotline report renewals`` through the CLI on both backends: --within, the formats, bad usage."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import add_contract
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


@pytest.fixture
def db(database_url: str) -> str:
    engine = make_engine(database_url)
    clock = FixedClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
    with UnitOfWork(engine, actor_login="sup", clock=clock) as uow:
        for name, ends in [("Soon", date(2026, 11, 25)), ("Later", date(2026, 12, 20)),
                           ("=cmd|' /C calc'!A0", date(2026, 11, 24))]:  # fmt: skip
            client = create_client(uow, draft=ClientDraft(name=name), default_region="RU")
            add_contract(uow, client_id=client.id, level="Gold", starts_on=date(2026, 1, 1), ends_on=ends)
    engine.dispose()
    return database_url


def hotline(db: str, *args: str):
    env = {
        "XDG_CONFIG_HOME": NO_CONFIG_HOME,
        "HOTLINE_OPERATOR": "sup",
        "HOTLINE_NOW": "2026-11-23T10:00:00+03:00",
    }
    return runner.invoke(app, ["--db", db, "report", "renewals", *args], env=env)


def test_within_days_and_the_formats(db: str, tmp_path: Path) -> None:
    week = hotline(db, "--within", "7", "--json")
    assert week.exit_code == 0, week.output
    data = json.loads(week.stdout)
    assert data["period"] == {"from": "2026-11-23", "to": "2026-11-30", "timezone": "Europe/Moscow"}
    assert [(row["client"], row["days_left"]) for row in data["rows"]] == [
        ("=cmd|' /C calc'!A0", 1), ("Soon", 2), ("2 contracts", None),
    ]  # fmt: skip
    default = json.loads(hotline(db, "--json").stdout)  # the next 30 days
    assert [row["client"] for row in default["rows"]][-2:] == ["Later", "3 contracts"]
    rows = list(csv.reader(io.StringIO(hotline(db, "--from", "2026-12-01", "--format", "csv").stdout)))
    assert rows[1][:4] == ["2026-12-20", "27", rows[1][2], "Later"]
    listed = list(csv.reader(io.StringIO(hotline(db, "--within", "1", "--format", "csv").stdout)))
    assert listed[1][3] == "'=cmd|' /C calc'!A0"  # a formula in a cell is neutralised
    out = tmp_path / "renewals.xlsx"
    assert hotline(db, "--within", "7", "--format", "xlsx", "--output", str(out)).exit_code == 0
    sheet = load_workbook(out)["renewals"]
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)][:2] == [
        "=cmd|' /C calc'!A0",
        "Soon",
    ]
    assert sheet["D2"].data_type == "s"  # text, never a formula
    shown = hotline(db, "--within", "7")
    assert shown.exit_code == 0 and "Soon" in shown.stdout and "Later" not in shown.stdout
    assert "Renewed" in hotline(db, "--explain").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--within", "7", "--from", "2026-11-01"], "not both"),
        (["--within", "-1"], "--within"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "after --to"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(db: str, args: list[str], message: str) -> None:
    result = hotline(db, *args)
    assert result.exit_code == 2 and message in result.output


def test_within_is_for_renewals_only(db: str) -> None:
    env = {"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "sup"}
    result = runner.invoke(app, ["--db", db, "report", "calls", "--within", "7"], env=env)
    assert result.exit_code == 2 and "--within applies to the renewals report" in result.output


def test_mailed_without_a_period_it_is_the_renewals_to_come(db: str) -> None:
    """``report send renewals --to …`` (cron) mailed the contracts that ended last week, none of those due."""
    env = {
        "XDG_CONFIG_HOME": NO_CONFIG_HOME,
        "HOTLINE_OPERATOR": "sup",
        "HOTLINE_NOW": "2026-11-23T10:00:00+03:00",
    }
    sent = runner.invoke(app, ["--db", db, "report", "send", "renewals", "--to", "boss@example.com"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "renewals_2026-11-23_2026-12-23.xlsx (4 rows) queued" in sent.stderr
    weekly = runner.invoke(
        app, ["--db", db, "report", "send", "calls", "--to", "boss@example.com"], env=env
    )  # the others: the week before
    assert "calls_2026-11-16_2026-11-22.xlsx" in weekly.stderr, weekly.output
