"""The layers hold: core loads no face, and the command line starts without Textual."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(result.stdout.split())


FACES = (
    "textual",
    "typer",
    "hotline.cli",
    "hotline.tui",
    "hotline.mailbox",
    "hotline.pbx",
    "aioimaplib",
    "aiosmtplib",
)


def faces_among(modules: set[str]) -> list[str]:
    """The loaded modules that are a face or part of one (``hotline.tui`` and ``hotline.tui.app`` alike)."""
    return sorted(
        name for name in modules if any(name == face or name.startswith(f"{face}.") for face in FACES)
    )


@pytest.mark.parametrize(
    "statement",
    [
        "import hotline.core.models, hotline.core.services.clients, hotline.core.services.tickets, hotline.core.db",
        "import hotline.core.settings",
    ],
)
def test_core_imports_no_face(statement: str) -> None:
    assert faces_among(_modules_after(statement)) == []


@pytest.mark.parametrize(
    "face", ["hotline.tui.messages", "hotline.cli.output", "hotline.mailbox.loops", "typer"]
)
def test_the_face_check_sees_a_face_loaded_beside_core(face: str) -> None:
    """The check above can fail: a face loaded in the same process is named."""
    loaded = _modules_after(f"import hotline.core.db, {face}")
    assert face in faces_among(loaded)
    assert faces_among({"hotline.core.db", "hotline.tuition", "typeright"}) == []


def test_cli_help_loads_neither_textual_nor_the_models() -> None:
    loaded = _modules_after("import hotline.cli.main")
    assert "textual" not in loaded
    assert "hotline.core.models" not in loaded


def test_import_contracts_hold() -> None:
    """The import-linter contracts in pyproject.toml (the CI lint step runs them too)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("planted", "contract"),
    [
        ("tui/planted.py", "the faces never touch a database driver"),
        ("cli/planted.py", "the faces never touch a database driver"),
        ("mailbox/planted.py", "the faces never touch a database driver"),
        ("core/planted.py", "core imports no face"),
    ],
)
def test_the_import_contracts_fail_on_a_planted_violation(
    tmp_path: Path, planted: str, contract: str
) -> None:
    """The contracts above can fail: a copy of the source with one forbidden import is refused by name."""
    root = Path(__file__).parents[1]
    package = tmp_path / "hotline"
    for face in ("core", "cli", "tui", "mailbox", "pbx"):
        shutil.copytree(root / face, package / face, ignore=shutil.ignore_patterns("__pycache__"))
    forbidden = "import hotline.tui.app\n" if planted.startswith("core/") else "import sqlite3\n"
    (package / planted).write_text(f'"""Planted by the test."""\n\n{forbidden}')
    shutil.copy(root / "pyproject.toml", tmp_path)  # the same contracts, read from the copy's folder
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert broken == [f"{contract} BROKEN"], result.stdout
    assert f"hotline.{planted[:-3].replace('/', '.')}" in result.stdout
