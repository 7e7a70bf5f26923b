"""``hotline`` and ``hotline console`` open the console without building the Typer program, and behave as
it does: the same refusals (exit 2, one line), every other command line still goes to Typer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hotline.cli.console_start import console_argv
from hotline.cli.main import COMMANDS
from tests.cli.invoke import NO_CONFIG_HOME, hotline

NONE = {"--db": None, "--config": None, "--operator": None, "--now": None}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (NONE, "hotline")),
        (["console"], (NONE, "hotline console")),
        (["--db", "sqlite:///x.db", "console"], ({**NONE, "--db": "sqlite:///x.db"}, "hotline console")),
        (["--operator=olga", "--operator", "anna"], ({**NONE, "--operator": "anna"}, "hotline")),
        (["--now", "2026-11-23T10:00:00+03:00"], ({**NONE, "--now": "2026-11-23T10:00:00+03:00"}, "hotline")),
    ],
)
def test_the_direct_start_reads_the_root_options(argv, expected) -> None:
    assert console_argv(argv, {}) == expected


def test_unset_or_empty_variables_count_as_not_given_and_options_win() -> None:
    environ = {"HOTLINE_OPERATOR": "olga", "HOTLINE_DATABASE_URL": "", "HOTLINE_NOW": "x"}
    options, _ = console_argv(["--now", "y"], environ)
    assert options == {**NONE, "--operator": "olga", "--now": "y"}


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["console", "--help"],
        ["console", "--prepare-demo", "40"],
        ["console", "console"],
        ["--db"],
        ["--db", "--operator", "x"],
        ["--operator", "-h"],
        ["--verbose"],
        ["--install-completion"],
        ["lookup", "anna"],
        ["db", "init"],
        ["--", "console"],
        ["--config", ""],
        ["--config", "/"],
    ],
)
def test_anything_else_goes_to_the_typer_program(argv) -> None:
    assert console_argv(argv, {}) is None


def test_shell_completion_goes_to_the_typer_program() -> None:
    assert console_argv([], {"_HOTLINE_COMPLETE": "bash_complete"}) is None


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["XDG_CONFIG_HOME"] = NO_CONFIG_HOME
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_the_direct_start_refuses_as_the_typer_program_does(empty_db: str) -> None:
    assert hotline("--db", empty_db, "--operator", "boss", "db", "init").exit_code == 0
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "add", "olga").exit_code == 0
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "deactivate", "olga").exit_code == 0
    for argv, message in [
        (["--operator", "ghost"], "hotline: error: unknown operator 'ghost'"),
        (["--operator", "ghost", "console"], "hotline: error: unknown operator 'ghost'"),
        (["--operator=olga", "console"], "hotline: error: operator 'olga' is deactivated"),
        (["--operator", ""], "hotline: error: --operator: a blank login is not an operator"),
        (
            ["--operator", "a\x1bb"],
            "hotline: error: --operator: a login never holds control characters or spaces: 'a\\x1bb'",
        ),
    ]:
        direct = _run("--db", empty_db, *argv)
        assert (direct.returncode, direct.stdout, direct.stderr.strip()) == (2, "", message), argv
        typer = hotline("--db", empty_db, *argv)
        assert (typer.exit_code, typer.output.strip()) == (2, message), argv


def test_help_still_lists_every_command() -> None:
    shown = _run("--help")
    assert shown.returncode == 0
    commands = shown.stdout.split("Commands:", 1)[1]
    listed = {line.split()[0] for line in commands.splitlines() if line.startswith("  ")}
    assert {name for _, _, name in COMMANDS} <= listed


def test_the_direct_start_loads_neither_typer_nor_the_orm_before_the_console_runs(empty_db: str) -> None:
    """What the console's first frame waits for: Typer (and click) and the ORM models load later or never."""
    assert hotline("--db", empty_db, "--operator", "boss", "db", "init").exit_code == 0
    probe = (
        "import sys\n"
        "import hotline.tui.app as tui_app\n"
        "class Console:\n"
        "    def run(self):\n"
        "        print(' '.join(sorted(sys.modules)))\n"
        "tui_app.make_app = lambda **kwargs: Console()\n"
        "from hotline.cli.entry import run\n"
        "sys.argv = ['hotline', *sys.argv[1:]]\n"
        "run()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["XDG_CONFIG_HOME"] = NO_CONFIG_HOME
    ran = subprocess.run(
        [sys.executable, "-c", probe, "--db", empty_db, "--operator", "boss", "console"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    loaded = set(ran.stdout.split())
    assert "hotline.cli.console_start" in loaded, "the direct start ran"
    assert not loaded & {"typer", "click", "hotline.cli.main", "sqlmodel", "hotline.core.models"}
