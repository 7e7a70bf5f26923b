"""``hotline operators add``: roles are checked, and only an admin may add."""

from __future__ import annotations

import pytest

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


def test_operators_activate_undoes_deactivate(empty_db: str) -> None:
    import json

    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert hotline("--db", empty_db, "--operator", "boss", "operators", "add", "olga").exit_code == 0

    def active() -> bool:
        listed = hotline("--db", empty_db, "--operator", "boss", "operators", "list", "--json")
        return next(row["active"] for row in json.loads(listed.stdout) if row["login"] == "olga")

    assert hotline("--db", empty_db, "--operator", "boss", "operators", "deactivate", "olga").exit_code == 0
    assert not active()
    activated = hotline("--db", empty_db, "--operator", "boss", "operators", "activate", "olga")
    assert activated.exit_code == 0, activated.output
    assert activated.output.strip() == "olga activated"
    assert active()
    ghost = hotline("--db", empty_db, "--operator", "boss", "operators", "activate", "ghost")
    assert ghost.exit_code == 2 and ghost.output.strip() == "hotline: error: unknown operator 'ghost'"


def test_deactivating_the_deactivated_says_so_and_audits_nothing(database_url: str, engine, clock) -> None:
    import json

    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)

    def boss(*args: str):
        return hotline("--db", database_url, "--operator", "boss", *args)

    def entries() -> list[str]:
        listed = json.loads(boss("audit", "list", "--entity", "operator", "--json").stdout)["entries"]
        return [entry["action"] for entry in listed if entry["action"].startswith("operator.")]

    assert boss("operators", "deactivate", "olga").stderr.strip() == "olga deactivated"
    trail = entries()
    again = boss("operators", "deactivate", "olga")
    assert again.exit_code == 0, again.output
    assert again.stderr.strip() == "olga was already deactivated"
    assert entries() == trail
    assert boss("operators", "activate", "olga").stderr.strip() == "olga activated"
    trail = entries()
    again = boss("operators", "activate", "olga")
    assert again.exit_code == 0, again.output
    assert again.stderr.strip() == "olga was already active"
    assert entries() == trail
    refused = hotline("--db", database_url, "--operator", "olga", "operators", "deactivate", "ghost")
    assert refused.exit_code == 2 and "needs admin" in refused.stderr, refused.output


def test_giving_an_operator_the_role_she_has_says_so_and_audits_nothing(
    database_url: str, engine, clock
) -> None:
    import json

    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)

    def boss(*args: str):
        return hotline("--db", database_url, "--operator", "boss", *args)

    def roles() -> list[str]:
        listed = json.loads(boss("audit", "list", "--entity", "operator", "--json").stdout)["entries"]
        return [entry["after"]["role"] for entry in listed if entry["action"] == "operator.role"]

    same = boss("operators", "role", "olga", "operator")
    assert same.exit_code == 0, same.output
    assert same.stderr.strip() == "olga is already operator"
    assert roles() == []
    assert boss("operators", "role", "olga", "supervisor").stderr.strip() == "olga is now supervisor"
    assert roles() == ["supervisor"]


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_a_blank_display_name_is_bad_usage(database_url: str, engine, clock, name: str) -> None:
    import json

    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
    added = hotline("--db", database_url, "--operator", "boss", "operators", "add", "olga", "--name", name)
    assert added.exit_code == 2, added.output
    assert "--name: a blank display name" in added.stderr
    listed = hotline("--db", database_url, "--operator", "boss", "operators", "list", "--json")
    assert [row["login"] for row in json.loads(listed.stdout)] == ["boss"]
    spaced = hotline(
        "--db", database_url, "--operator", "boss", "operators", "add", "olga", "--name", " Olga  K "
    )
    assert spaced.exit_code == 0, spaced.output
    listed = hotline("--db", database_url, "--operator", "boss", "operators", "list", "--json")
    assert [row["name"] for row in json.loads(listed.stdout)] == ["boss", "Olga K"]


@pytest.mark.parametrize("typed", ["Olga", "OLGA", " olga"])
def test_a_login_typed_in_capitals_or_with_a_space_says_which_login_it_means(
    database_url: str, engine, clock, typed: str
) -> None:
    """``operators add Olga`` makes ``olga``; ``shifts join Olga Support`` then said only "unknown operator
    'Olga'", as for someone who does not exist."""
    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator
    from hotline.core.services.queues import ensure_queue

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        ensure_queue(uow, name="Support")
    for args in (("shifts", "join", typed, "Support"), ("operators", "deactivate", typed)):
        result = hotline("--db", database_url, "--operator", "boss", *args)
        assert result.exit_code == 2, result.output
        assert f"unknown operator {typed!r} (logins are lower-case: 'olga'?)" in result.stderr
    ghost = hotline("--db", database_url, "--operator", "boss", "shifts", "join", "Ghost", "Support")
    assert ghost.exit_code == 2 and ghost.stderr.strip() == "hotline: error: unknown operator 'Ghost'"
