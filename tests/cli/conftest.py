"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def empty_db(tmp_path: Path) -> str:
    """The URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture(scope="session", autouse=True)
def _config_home_removed():
    """The shared empty config folder goes with the test process (each run made one in /tmp)."""
    from tests.cli.invoke import NO_CONFIG_HOME

    yield
    shutil.rmtree(NO_CONFIG_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _config_home_stays_empty():
    """Fail the test that writes a user configuration file into the shared empty config folder."""
    from tests.cli.invoke import NO_CONFIG_HOME

    yield
    written = sorted(str(path) for path in Path(NO_CONFIG_HOME).rglob("*"))
    assert not written, f"this test wrote into the shared empty XDG_CONFIG_HOME: {written}"
