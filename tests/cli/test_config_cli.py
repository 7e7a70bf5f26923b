"""``hotline config``: the starter file loads, and mistakes are exit 2 with the file and the rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_init_never_writes_over_the_database_or_leaves_half_a_file(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the database is a file on SQLite only")
    database = Path(database_url.removeprefix("sqlite:///"))
    before = database.read_bytes()
    over = runner.invoke(app, ["--db", database_url, "--config", str(database), "config", "init", "--force"])
    assert over.exit_code == 2 and "is the database" in over.output  # it wrote the starter file over it
    assert database.read_bytes() == before
    config = tmp_path / "config.toml"
    config.write_text("# mine\n")
    script = "import resource, signal, sys; from hotline.cli.main import app; signal.signal(signal.SIGXFSZ, \
signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100)); sys.argv[0] = 'hotline'; app()"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    full = subprocess.run([sys.executable, "-c", script, "--config", str(config), "config", "init", "--force"],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert full.returncode == 1, full.stderr  # a disk that fills up: the file was cut at 100 bytes
    assert config.read_text() == "# mine\n"


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


def test_check_says_an_account_without_smtp_acknowledges_nothing(database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[mail.accounts]]\nname = "intake"\nimap_host = "imap.example.com"\nusername = "u"\n'
        'from_address = "support@example.com"\n',
        encoding="utf-8",
    )
    _init_db(database_url)
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"])
    assert result.exit_code == 0, result.output
    assert "mail account 'intake' has no smtp_host: new tickets from it are not acknowledged" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "HOTLINE_SCREEN_POP_MAX_AGE_SECONDS",
            "abc",
            "HOTLINE_SCREEN_POP_MAX_AGE_SECONDS: screen_pop_max_age_",
        ),
        ("HOTLINE_DATE_ORDER", "xyz", "HOTLINE_DATE_ORDER: date_order: Input should be 'dmy'"),
        ("HOTLINE_DATABASE__POOL_SIZE", "-5", "HOTLINE_DATABASE__POOL_SIZE: database.pool_size:"),
    ],
)
def test_a_bad_variable_is_named_not_the_file(tmp_path: Path, variable: str, value: str, said: str) -> None:
    """A bad ``HOTLINE_*`` variable was reported as the configuration file's (``config.toml: date_order:
    ...``), sending the admin to a file that did not hold the setting; now the variable is named. A bad
    value in the file is still the file's."""
    config = tmp_path / "config.toml"
    config.write_text('timezone = "UTC"\n')
    database = ("--db", f"sqlite:///{tmp_path / 'none.db'}")
    result = hotline(*database, "--config", str(config), "config", "check", env={variable: value})
    assert result.exit_code == 2, result.output
    assert f"hotline: error: {said}" in result.output
    assert str(config) not in result.output
    config.write_text('timezone = "UTC"\ndate_order = "xyz"\n')
    overridden = hotline(
        *database, "--config", str(config), "config", "check", env={"HOTLINE_DATE_ORDER": "dmy"}
    )
    assert "no database file" in overridden.output  # the settings loaded: the variable won
    from_file = hotline(*database, "--config", str(config), "config", "check")
    assert f"{config}: date_order: Input should be" in from_file.output


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_init_writes_a_file_not_into_a_pipe_or_a_device(tmp_path: Path, kind: str) -> None:
    """``config init --force`` with ``--config`` naming a FIFO hung for ever (no reader), and on
    ``/dev/null`` said "wrote /dev/null" (exit 0): no starter file anywhere. A configuration is a file read
    at every start: anything else is refused, exit 2, nothing written."""
    if kind == "fifo":
        target = tmp_path / "config.toml"
        os.mkfifo(target)
    else:
        target = Path("/dev/null")
    result = runner.invoke(app, ["--config", str(target), "config", "init", "--force"])
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output


@pytest.mark.parametrize("command", [["config", "init"], ["config", "check"], ["config", "path"]])
def test_a_blank_configuration_name_is_bad_usage(tmp_path: Path, monkeypatch, command: list[str]) -> None:
    """``--config " "``: ``config init`` wrote a starter file named " " in the current folder ("wrote "),
    and every other command said ": no such configuration file". One line naming --config, exit 2."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--config", " ", *command])
    assert result.exit_code == 2, result.output
    assert "--config: a blank file name" in result.output
    assert list(tmp_path.iterdir()) == []


def test_check_names_a_mail_account_whose_queue_does_not_exist(database_url: str, tmp_path: Path) -> None:
    """``config check`` said "ok" for ``queue = "Suport"`` on a mail account: the first mail then made a
    queue of that name (the intake makes its account's queue) and every mailed ticket went there, seen by
    nobody. A queue that does not exist is named with the close matches (the default Support, made on first
    use, excepted), exit 2."""
    _init_db(database_url)
    hotline(
        "--db", database_url, "--operator", "boss", "tickets", "create", "--subject", "x"
    )  # makes Support
    config = tmp_path / "config.toml"
    account = (
        '[[mail.accounts]]\nname = "in"\nimap_host = "h"\nusername = "u"\nfrom_address = "s@example.com"\n'
    )
    config.write_text(account + 'queue = "Suport"\n', encoding="utf-8")
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"])
    assert result.exit_code == 2, result.output
    assert "mail.accounts[0] ('in'): no queue named 'Suport'; did you mean 'Support'?" in result.output
    config.write_text(account, encoding="utf-8")  # the default queue
    assert (
        runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"]).exit_code == 0
    )


def test_config_path_writes_no_control_sequence(tmp_path: Path) -> None:
    """``config path`` echoed the path as it came: a ``--config`` (or ``XDG_CONFIG_HOME``) holding an OSC
    sequence set the terminal's title, and on a terminal a colour code changed the colours."""
    hostile = tmp_path / "\x1b]0;pwned\x07config.toml"
    result = runner.invoke(app, ["--config", str(hostile), "config", "path"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert result.output.startswith(str(tmp_path)) and result.output.endswith("config.toml\n")
