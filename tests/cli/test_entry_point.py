"""The program as a whole: ``--help`` names the nouns, the installed entry point runs, a bad
configuration file is exit 2."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli.main import app
from tests.cli.invoke import runner


def test_help_lists_the_nouns() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for noun in ("db", "operators", "clients", "call"):
        assert noun in result.output


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


@pytest.mark.parametrize(
    "text",
    [
        'timezone = "Mars/Olympus"\n',
        # a folder of the zone database: exit 1 with the folder's path, no file or field named
        'timezone = "Europe"\n',
        '[pbx]\ntimezone = "America"\n',
        '[calendars.office]\ntimezone = "Europe"\nhours = { mon = "09:00-18:00" }\n',
    ],
)
def test_bad_config_file_is_exit_2(empty_db: str, tmp_path: Path, text: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["--db", empty_db, "--config", str(config), "db", "init"])
    assert result.exit_code == 2, result.output
    assert str(config) in result.output
    assert "unknown time zone" in result.output and "directory" not in result.output


def test_a_command_imports_only_its_own_module(empty_db: str) -> None:
    """The phone system starts ``call incoming`` on every ring: the other commands' modules stay out of
    its start-up; ``--help`` still names every noun (it imports them all)."""
    probe = (
        "import sys\n"
        "from hotline.cli.main import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('hotline.cli.'))))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe, "--db", empty_db, "call", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    loaded = set(ran.stdout.splitlines()[-1].split())  # the last line: the modules loaded
    assert "hotline.cli.call" in loaded
    assert not loaded & {"hotline.cli.tickets", "hotline.cli.console", "hotline.cli.mail", "hotline.cli.kb"}
    everything = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert {"hotline.cli.tickets", "hotline.cli.console", "hotline.cli.mail"} <= set(
        everything.stdout.split()
    )


def test_a_cold_ring_ends_without_the_interpreters_teardown(empty_db: str, tmp_path: Path) -> None:
    """A ring no listener takes runs the whole program and then ends as soon as its pop is committed
    and its output written: the exit handlers run, the teardown of every module (a quarter of a cold
    ring's CPU time) does not. Its messages and exit codes are the program's. Other commands end as
    before."""
    prepared = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "--db", empty_db, "--operator", "boss", "db", "init"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    runtime = tmp_path / "runtime"  # no listener's socket there: the ring runs cold
    runtime.mkdir(mode=0o700)
    probe = (
        "import atexit, sys\n"
        "class Torn:\n"
        "    def __del__(self):\n"
        "        sys.stderr.write('torn down\\n')\n"
        "kept = Torn()\n"
        "atexit.register(lambda: sys.stderr.write('exit handlers ran\\n'))\n"
        "from hotline.cli.entry import run\n"
        "run(prog='hotline')\n"
    )

    def hotline_cold(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", probe, "--db", empty_db, *args],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "XDG_CONFIG_HOME": str(tmp_path / "config")},
        )  # fmt: skip

    ring = hotline_cold("--operator", "boss", "call", "incoming", "+7 916 123 45 67")
    assert ring.returncode == 0, ring.stderr
    assert "screen pop sent to boss" in ring.stderr
    assert "exit handlers ran" in ring.stderr
    assert "torn down" not in ring.stderr
    unknown = hotline_cold(
        "--operator", "boss", "call", "incoming", "+7 916 123 45 67", "--operator", "nobody"
    )
    assert unknown.returncode == 2
    assert "unknown operator 'nobody'" in unknown.stderr
    assert "torn down" not in unknown.stderr
    other = hotline_cold("--operator", "boss", "operators", "list")
    assert other.returncode == 0, other.stderr
    assert "torn down" in other.stderr, "another command ends as the interpreter ends it"
    with sqlite3.connect(empty_db.removeprefix("sqlite:///")) as check:
        assert check.execute("SELECT count(*) FROM screen_pop").fetchone() == (1,)
