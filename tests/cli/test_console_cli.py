"""``hotline`` (the console) refuses an operator it does not know, or one deactivated, before any frame."""

from __future__ import annotations

import pytest

from tests.cli.invoke import hotline


def test_the_console_refuses_an_unknown_or_deactivated_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    ghost = hotline("--db", empty_db, "--operator", "ghost")
    assert ghost.exit_code == 2
    assert ghost.output.strip() == "hotline: error: unknown operator 'ghost'"
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "add", "olga").exit_code == 0
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "deactivate", "olga").exit_code == 0
    gone = hotline("--db", empty_db, "--operator", "olga", "console")
    assert gone.exit_code == 2
    assert gone.output.strip() == "hotline: error: operator 'olga' is deactivated"


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The operators the console was opened for (the console itself is not run)."""
    from hotline.tui import app as tui_app

    logins: list[str] = []

    class Console:
        def __init__(self, operator_login: str) -> None:
            self.operator_login = operator_login

        def run(self) -> None:
            logins.append(self.operator_login)

    monkeypatch.setattr(tui_app, "make_app", lambda **kwargs: Console(kwargs["operator_login"]))
    return logins


def test_prepare_demo_creates_an_empty_database_then_opens_the_console(empty_db: str, opened) -> None:
    first = hotline("--db", empty_db, "--operator", "boss", "console", "--prepare-demo", "40")
    assert first.exit_code == 0, first.output
    assert "created admin operator 'boss'" in first.output
    assert hotline("--db", empty_db, "lookup", "a", "--json").output.count('"kind"') > 0, "demo clients"
    again = hotline("--db", empty_db, "--operator", "boss", "console", "--prepare-demo", "40")
    assert again.exit_code == 0
    assert "created admin" not in again.output, "a prepared database is left as it is"
    assert opened == ["boss", "boss"]


def test_make_run_as_root_opens_the_console_as_the_admin_its_first_run_made(
    empty_db: str, opened, monkeypatch
) -> None:
    """Root is the system account, which must name the operator it acts as: `make run` in a container
    (as root, no --operator) opened nothing ("the system account acts as an operator only when named")."""
    from hotline.core import identity

    monkeypatch.setattr(identity, "os_principal", lambda: ("root", True))
    first = hotline("--db", empty_db, "console", "--prepare-demo", "40")
    assert first.exit_code == 0, first.output
    assert "created admin operator 'root'" in first.output
    again = hotline("--db", empty_db, "console", "--prepare-demo", "40")
    assert again.exit_code == 0, again.output
    assert opened == ["root", "root"]
    named = hotline("--db", empty_db, "--operator", "nobody", "console", "--prepare-demo", "40")
    assert named.exit_code == 2, "a named operator is the one asked for"
    assert named.output.strip() == "hotline: error: unknown operator 'nobody'"
    plain = hotline("--db", empty_db, "console")
    assert plain.exit_code == 2, "only make run's start names root's own operator"
    assert "only when named" in plain.output


def test_a_second_make_run_installs_nothing(tmp_path) -> None:
    """The install steps are stamp files newer than the package metadata: `make -n run` lists no pip."""
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        return
    root = Path(__file__).parents[2]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    fresh = subprocess.run(
        ["make", "-n", "-C", str(root), "run", f"VENV={venv}"], capture_output=True, text=True, check=True
    )
    assert "pip install" in fresh.stdout
    (venv / ".installed").write_text("")
    again = subprocess.run(
        ["make", "-n", "-C", str(root), "run", f"VENV={venv}"], capture_output=True, text=True, check=True
    )
    assert "pip install" not in again.stdout
    assert f"{venv}/bin/hotline console --prepare-demo" in again.stdout
