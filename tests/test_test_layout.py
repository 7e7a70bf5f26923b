"""Every test folder runs on its own with plain ``pytest PATH`` from the repository root, as well as in the
whole suite: the shared helpers (``tests.conftest``, ``tests.core.kb.corpus``) import either way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TEST_FOLDERS = sorted(
    str(folder.relative_to(ROOT))
    for folder in (ROOT / "tests").iterdir()
    if folder.is_dir() and any(folder.rglob("test_*.py"))
)


def test_the_folders_are_found() -> None:
    assert {"tests/cli", "tests/core", "tests/mailbox", "tests/tui"} <= set(TEST_FOLDERS)


@pytest.mark.slow
@pytest.mark.parametrize("folder", TEST_FOLDERS)
def test_plain_pytest_collects_the_folder(folder: str) -> None:
    """The ``pytest`` script, not ``python -m pytest`` (which would put the current directory on the path)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pytest"), "--collect-only", "-q", "-p", "no:xdist", folder],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " collected" in result.stdout
