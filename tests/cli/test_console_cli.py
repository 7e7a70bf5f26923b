"""``hotline`` (the console) refuses an operator it does not know, or one deactivated, before any frame."""

from __future__ import annotations

from tests.cli.invoke import hotline


def test_the_console_refuses_an_unknown_or_deactivated_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    ghost = hotline("--db", empty_db, "--operator", "ghost")
    assert ghost.exit_code == 2
    assert (
        ghost.output.strip()
        == "hotline: error: unknown operator 'ghost' (add it with: hotline operators add)"
    )
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "add", "olga").exit_code == 0
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "deactivate", "olga").exit_code == 0
    gone = hotline("--db", empty_db, "--operator", "olga", "console")
    assert gone.exit_code == 2
    assert gone.output.strip() == "hotline: error: operator 'olga' is deactivated"
