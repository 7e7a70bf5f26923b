"""``hotline shifts``: join a queue, set a week with an overnight shift, take days off, swap, and see the
roster at a given moment; bad values are exit 2 naming the option."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


@pytest.fixture
def staff(engine, clock):
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR)
        add_operator(uow, login="nina", role=Role.OPERATOR)
        add_operator(uow, login="dan", role=Role.OPERATOR)
        ensure_queue(uow, name="Support")


def shifts(database_url: str, *args: str, operator: str = "sue", now: str | None = None):
    extra = ["--now", now] if now else []
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", operator, *extra, "shifts", *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
        catch_exceptions=False,
    )


def test_a_week_with_nights_days_off_and_a_swap(database_url, staff) -> None:
    for args in (
        ("join", "nina", "Support"),
        ("join", "dan", "Support"),
        ("set", "nina", "--days", "mon-fri", "--hours", "22:00-06:00"),
        ("set", "dan", "--hours", "09:00-18:00"),
        ("off", "dan", "--from", "2026-11-24", "--reason", "sick"),
        ("swap", "nina", "--with", "dan", "--date", "2026-11-25"),
    ):
        result = shifts(database_url, *args)
        assert result.exit_code == 0, (args, result.output)
    tuesday_night = shifts(database_url, "now", "--json", now="2026-11-24T03:00:00+03:00")
    lines = {line["login"]: line for line in json.loads(tuesday_night.stdout)}
    assert lines["nina"]["on_shift"] and not lines["dan"]["on_shift"]
    wednesday = shifts(database_url, "now", "--queue", "Support", "--json", now="2026-11-25T10:00:00+03:00")
    lines = {line["login"]: line for line in json.loads(wednesday.stdout)}
    assert lines["nina"]["on_shift"] and lines["nina"]["today"] == ["09:00-18:00"]
    assert lines["dan"]["exception"] == "swap with nina"
    shown = json.loads(shifts(database_url, "show", "nina", "--json").stdout)
    assert shown["week"]["fri"] == ["22:00-06:00"] and shown["exceptions"][0]["with"] == "dan"
    table = shifts(database_url, "now", now="2026-11-25T10:00:00+03:00")
    assert table.exit_code == 0 and "nina" in table.stdout


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("set", "nina", "--hours", "6 to 9"), "--hours"),
        (("set", "nina", "--hours", "09:00-10:00", "--days", "someday"), "--days"),
        (("off", "nina", "--from", "tomorrow"), "--from"),
        (("off", "nina", "--from", "2026-11-24", "--reason", "bored"), "--reason"),
        (("swap", "nina", "--with", "nina", "--date", "2026-11-24"), "--with"),
        (("join", "ghost", "Support"), "ghost"),
        (("set", "nina", "--hours", "09:00-18:00", "--timezone", "Europe"), "unknown time zone 'Europe'"),
    ],
)
def test_bad_values_are_exit_2_naming_the_option(database_url, staff, args, where) -> None:
    result = shifts(database_url, *args)
    assert result.exit_code == 2, result.output
    assert where in result.stderr and "Traceback" not in result.output


def test_operators_cannot_change_rosters(database_url, staff) -> None:
    result = shifts(database_url, "set", "nina", "--hours", "09:00-18:00", operator="nina")
    assert result.exit_code == 2 and "supervisor" in result.stderr


def test_days_off_that_overlap_days_already_off_are_refused(database_url, staff) -> None:
    first = shifts(database_url, "off", "dan", "--from", "2026-11-24", "--to", "2026-11-30")
    assert first.exit_code == 0, first.output
    for args in (
        ("off", "dan", "--from", "2026-11-24", "--to", "2026-11-30"),  # the same again: a second row
        ("off", "dan", "--from", "2026-11-26", "--reason", "sick"),  # inside it
        ("off", "dan", "--from", "2026-11-20", "--to", "2026-11-24"),  # its first day
    ):
        again = shifts(database_url, *args)
        assert again.exit_code == 2, (args, again.output)
        assert "dan is on vacation from 2026-11-24 to 2026-11-30 (exception 1)" in again.stderr
        assert "hotline shifts unexcept 1" in again.stderr
    shown = json.loads(shifts(database_url, "show", "dan", "--json").stdout)
    assert [(e["kind"], e["from"], e["to"]) for e in shown["exceptions"]] == [
        ("vacation", "2026-11-24", "2026-11-30")
    ]
    after = shifts(database_url, "off", "dan", "--from", "2026-12-01", "--reason", "sick")
    assert after.exit_code == 0, after.output
    other = shifts(database_url, "off", "nina", "--from", "2026-11-24")
    assert other.exit_code == 0, other.output
