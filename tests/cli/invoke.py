"""Running the command line in-process, as the CLI tests do."""

from __future__ import annotations

import tempfile

from typer.testing import CliRunner

from hotline.cli.main import app

runner = CliRunner()

NO_CONFIG_HOME = tempfile.mkdtemp(prefix="hotline-no-config-")
"""An empty ``XDG_CONFIG_HOME`` of this test process: no user configuration file is read.

A fixed path such as ``/nonexistent-xdg-config`` is not safe: a test that saves a setting creates it (tests
run as root on CI), and every later run on that machine then reads it. ``tests/cli/conftest.py`` checks after
each test that this folder is still empty.
"""


def hotline(*args: str, env: dict[str, str] | None = None):
    """``hotline ARGS`` with no user configuration file (an empty XDG config folder)."""
    return runner.invoke(app, list(args), env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, **(env or {})})


def on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, bytes, str]:
    """``hotline ARGS`` in a child process whose standard output is a pseudo-terminal: its exit code,
    what the terminal was sent, and standard error (what a person at a terminal would see run)."""
    import os
    import pty
    import subprocess
    import sys

    primary, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hotline.cli", *args],
            stdin=subprocess.DEVNULL, stdout=secondary, stderr=subprocess.PIPE, timeout=60, check=False,
            env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME, **env}, text=True,
        )  # fmt: skip
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    return done.returncode, seen, done.stderr
