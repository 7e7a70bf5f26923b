"""The command-line contract of the foundation: db, operators, clients show, call, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app

runner = CliRunner()


def hotline(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env={"XDG_CONFIG_HOME": "/nonexistent-xdg-config", **(env or {})})


@pytest.fixture
def empty_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_the_nouns() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for noun in ("db", "operators", "clients", "call"):
        assert noun in result.output


def test_db_init_makes_the_first_login_an_admin_and_is_repeatable(empty_db: str) -> None:
    first = hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert first.exit_code == 0, first.output
    again = hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert again.exit_code == 0
    listed = hotline("--db", empty_db, "operators", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"login": "boss", "name": "boss", "role": "admin", "email": None, "active": True}
    ]
    assert hotline("--db", empty_db, "db", "status", "--quiet").stdout.strip() == "ready"


def test_operators_add_checks_role_and_acting_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    ok = hotline(
        "--db",
        empty_db,
        "--operator",
        "boss",
        "operators",
        "add",
        "olga",
        "--role",
        "operator",
        "--name",
        "Ольга",
    )
    assert ok.exit_code == 0, ok.output
    bad_role = hotline("--db", empty_db, "--operator", "boss", "operators", "add", "x", "--role", "wizard")
    assert bad_role.exit_code == 2
    assert "unknown role 'wizard'" in bad_role.output
    unknown = hotline("--db", empty_db, "--operator", "ghost", "operators", "add", "y")
    assert unknown.exit_code == 2
    assert "unknown operator 'ghost'" in unknown.output
    not_admin = hotline("--db", empty_db, "--operator", "olga", "operators", "add", "z")
    assert not_admin.exit_code == 2
    assert "needs admin" in not_admin.output


def test_clients_show_missing_id_is_exit_2(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    result = hotline("--db", empty_db, "--operator", "boss", "clients", "show", "999")
    assert result.exit_code == 2
    assert "no client with id 999" in result.output


def test_commands_on_an_uninitialised_database_say_so(empty_db: str) -> None:
    result = hotline("--db", empty_db, "clients", "show", "1")
    assert result.exit_code == 1
    assert "hotline db init" in result.output


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://nobody@127.0.0.1:1/none", "cannot reach the database"),
        ("bogus:://", "malformed database URL"),
        ("mysql://x@127.0.0.1/db", "unsupported database URL"),
    ],
)
def test_bad_database_url_is_one_line_and_exit_1(url: str, reason: str) -> None:
    result = hotline("--db", url, "db", "init")
    assert result.exit_code == 1
    assert reason in result.output
    assert "Traceback" not in result.output


def test_backup_copies_a_live_sqlite_database(empty_db: str, tmp_path: Path) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    target = tmp_path / "backup.db"
    result = hotline("--db", empty_db, "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    restored = hotline("--db", f"sqlite:///{target}", "operators", "list", "--json")
    assert [row["login"] for row in json.loads(restored.stdout)] == ["boss"]
    assert hotline("--db", empty_db, "db", "backup", str(target)).exit_code == 2  # never overwrites


def test_backup_of_postgresql_uses_pg_dump(pg_database_url: str, tmp_path: Path) -> None:
    target = tmp_path / "pg.dump"
    result = hotline("--db", pg_database_url, "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0


def test_call_incoming_needs_a_known_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert (
        hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "boss").exit_code == 0
    )
    missing = hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "nobody")
    assert missing.exit_code == 2


def test_bad_config_file_is_exit_2(empty_db: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")
    result = runner.invoke(app, ["--db", empty_db, "--config", str(config), "db", "init"])
    assert result.exit_code == 2
    assert str(config) in result.output
    assert "unknown time zone" in result.output


def test_installed_entry_point_runs(empty_db: str) -> None:
    """The console script works as a separate process, as cron runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "--db", empty_db, "--operator", "boss", "db", "init"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stderr


def test_a_broken_index_is_one_line_and_exit_1(empty_db: str) -> None:
    """A database whose derived tables are damaged reports the database error, not a traceback."""
    import sqlite3

    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    with sqlite3.connect(empty_db.removeprefix("sqlite:///")) as connection:
        connection.execute("DROP TABLE search_phone_owner")
    result = hotline("--db", empty_db, "lookup", "5567")
    assert result.exit_code == 1
    assert "database unavailable: no such table: search_phone_owner" in result.output
    assert "Traceback" not in result.output
