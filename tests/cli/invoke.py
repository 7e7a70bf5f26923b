"""Running the command line in-process, as the CLI tests do."""

from __future__ import annotations

from typer.testing import CliRunner

from hotline.cli.main import app

runner = CliRunner()


def hotline(*args: str, env: dict[str, str] | None = None):
    """``hotline ARGS`` with no user configuration file (a missing XDG config folder)."""
    return runner.invoke(app, list(args), env={"XDG_CONFIG_HOME": "/nonexistent-xdg-config", **(env or {})})
