"""The layers hold: core loads no face, and the command line starts without Textual."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    "statement",
    [
        "import hotline.core.models, hotline.core.services.clients, hotline.core.services.tickets, hotline.core.db",
        "import hotline.core.settings",
    ],
)
def test_core_imports_no_face(statement: str) -> None:
    loaded = _modules_after(statement)
    faces = {"textual", "typer", "hotline.cli", "hotline.tui", "hotline.mailbox", "aioimaplib", "aiosmtplib"}
    assert (
        not {name for name in loaded if name.split(".")[0] in faces or name.rsplit(".", 1)[0] in faces}
        & faces
    )


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
