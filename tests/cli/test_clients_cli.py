"""``hotline clients show``: a missing client is exit 2."""

from __future__ import annotations

from tests.cli.invoke import hotline


def test_clients_show_missing_id_is_exit_2(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    result = hotline("--db", empty_db, "--operator", "boss", "clients", "show", "999")
    assert result.exit_code == 2
    assert "no client with id 999" in result.output
