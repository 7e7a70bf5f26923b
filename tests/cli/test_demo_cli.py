"""``hotline demo`` through the command line, on both backends: load, show a client, refuse a second load."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hotline.cli.main import app
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()
NOW = "2026-11-23T10:00:00+03:00"


def hotline(database_url: str, *args: str):
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", "demo-admin", "--now", NOW, *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
    )


def test_demo_loads_and_the_first_client_shows(database_url: str) -> None:
    assert hotline(database_url, "db", "init").exit_code == 0
    loaded = hotline(database_url, "demo", "--clients", "200", "--seed", "3")
    assert loaded.exit_code == 0, loaded.output
    assert "demo loaded" in loaded.stderr
    shown = hotline(database_url, "clients", "show", "1", "--json")
    assert shown.exit_code == 0, shown.output
    card = json.loads(shown.stdout)
    assert card["id"] == 1 and card["name"]
    assert card["kind"] in ("person", "organisation")
    assert card["phones"] and all(phone["e164"].startswith("+") for phone in card["phones"])
    operators = json.loads(hotline(database_url, "operators", "list", "--json").stdout)
    assert {operator["role"] for operator in operators} == {"admin", "supervisor", "operator"}


def test_a_second_load_is_refused_unless_forced(database_url: str) -> None:
    hotline(database_url, "db", "init")
    assert hotline(database_url, "demo", "--clients", "200").exit_code == 0
    again = hotline(database_url, "demo", "--clients", "200")
    assert again.exit_code == 2
    assert "already has 200 clients" in again.stderr and "--force" in again.stderr
    first = json.loads(hotline(database_url, "clients", "show", "1", "--json").stdout)
    forced = hotline(database_url, "demo", "--clients", "200", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(hotline(database_url, "clients", "show", "1", "--json").stdout) == first
    missing = hotline(database_url, "clients", "show", "201", "--json")
    assert missing.exit_code == 2
