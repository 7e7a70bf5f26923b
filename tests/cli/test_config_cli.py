"""``hotline config``: the starter file loads, and mistakes are exit 2 with the file and the rule."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.settings import load_settings
from tests.cli.invoke import hotline

runner = CliRunner()


def _init_db(url: str) -> None:
    assert runner.invoke(app, ["--db", url, "--operator", "boss", "db", "init"]).exit_code == 0
    assert (
        runner.invoke(
            app, ["--db", url, "--operator", "boss", "operators", "add", "sue", "--role", "supervisor"]
        ).exit_code
        == 0
    )


def test_starter_file_is_written_once_and_passes_its_own_check(database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert runner.invoke(app, ["--config", str(config), "config", "init"]).exit_code == 0
    settings = load_settings(config)
    assert "office" in settings.calendars
    assert {policy.priority for policy in settings.sla} == {"low", "normal", "high", "urgent"}
    again = runner.invoke(app, ["--config", str(config), "config", "init"])
    assert again.exit_code == 2
    assert "--force" in again.output
    _init_db(database_url)
    checked = runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"])
    assert checked.exit_code == 0, checked.output
    assert "4 SLA policies" in checked.output
    assert "dates typed as DD.MM.YYYY: ok" in checked.output


def test_check_names_the_rule_that_refers_to_a_missing_queue(database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[escalation]]\nname = "vip late"\nqueue = "VIP Desk"\nwhen = "first_response_overdue"\nactions = ["event"]\n',
        encoding="utf-8",
    )
    _init_db(database_url)
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"])
    assert result.exit_code == 2
    assert str(config) in result.output
    assert "vip late" in result.output
    assert "unknown queue 'VIP Desk'" in result.output


def test_config_path_follows_the_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "c.toml"), "config", "path"])
    assert result.stdout.strip() == str(tmp_path / "c.toml")


def test_check_refuses_an_unknown_date_order_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('date_order = "DD.MM.YYYY"\n', encoding="utf-8")
    result = hotline("--config", str(config), "config", "check")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert str(config) in line and "date_order" in line and "'dmy'" in line
