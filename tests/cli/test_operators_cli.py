"""``hotline operators add``: roles are checked, and only an admin may add."""

from __future__ import annotations

from tests.cli.invoke import hotline


def test_operators_add_checks_role_and_acting_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    ok = hotline(
        "--db",
        empty_db,
        "--operator",
        "boss",
        "operators",
        "add",
        "olga",
        "--role",
        "operator",
        "--name",
        "Ольга",
    )
    assert ok.exit_code == 0, ok.output
    bad_role = hotline("--db", empty_db, "--operator", "boss", "operators", "add", "x", "--role", "wizard")
    assert bad_role.exit_code == 2
    assert "unknown role 'wizard'" in bad_role.output
    unknown = hotline("--db", empty_db, "--operator", "ghost", "operators", "add", "y")
    assert unknown.exit_code == 2
    assert "unknown operator 'ghost'" in unknown.output
    not_admin = hotline("--db", empty_db, "--operator", "olga", "operators", "add", "z")
    assert not_admin.exit_code == 2
    assert "needs admin" in not_admin.output
