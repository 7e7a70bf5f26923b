"""Who is acting is proven, not claimed: on SQLite the OS user (``--operator`` only for an admin, and
audited); unknown, blank, deactivated and control-character logins are refused for every command,
reads included, with exit 2, one line and an audit entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from core.escalation.world import CONFIG_TOML, new_ticket, populate, setup_from_toml
from sqlalchemy import select

from hotline.core.db import UnitOfWork
from hotline.core.models import AuditEntry, EscalationStep, Ticket
from hotline.core.services.operators import set_operator_active
from tests.cli.invoke import hotline


@pytest.fixture
def sqlite_world(engine, clock, backend: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The escalation world (admin, boss the supervisor, ivan the operator) on SQLite, and a way to be
    a given OS user (not root)."""
    if backend != "sqlite":
        pytest.skip("the OS user is the identity on SQLite only")
    populate(engine, clock)

    def be(os_user: str) -> None:
        monkeypatch.setattr("hotline.core.identity.os_principal", lambda: (os_user, False))

    return be


def _audit(engine, action: str) -> list[AuditEntry]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(
            uow.session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def _tickets(engine) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return len(uow.session.exec(select(Ticket.id)).all())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("os_user", "operator", "says"),
    [
        ("stranger", None, "the OS user 'stranger' is not a hotline operator"),
        ("admin", "ghost", "unknown operator 'ghost'"),
        ("admin", "Ivan", "unknown operator 'Ivan' (logins are lower-case: 'ivan'?)"),
        ("admin", "", "a blank login is not an operator"),
        ("admin", "  ", "a blank login is not an operator"),
        ("admin", "bo\x1b[31mss", "never holds control characters"),
        ("ivan", "boss", "--operator is for admins; OS user 'ivan' is an operator"),
    ],
)
def test_bad_logins_are_refused_for_writes_and_reads(
    sqlite_world, engine, database_url: str, os_user: str, operator: str | None, says: str
) -> None:
    sqlite_world(os_user)
    chosen = [] if operator is None else ["--operator", operator]
    for command in (
        ["tickets", "create", "--subject", "hello", "--queue", "Support"],
        ["tickets", "list"],
        ["lookup", "Acme"],
    ):
        result = hotline("--db", database_url, *chosen, *command)
        assert result.exit_code == 2, result.output
        assert says in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert _tickets(engine) == 0
    refused = _audit(engine, "refused:login")
    assert len(refused) == 3
    assert all("\x1b" not in entry.actor and "\x1b" not in (entry.entity_id or "") for entry in refused)
    assert all(entry.via and entry.via.startswith("cli: ") for entry in refused), [e.via for e in refused]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("os_user", "login", "says"),
    [
        ("admin", " ", "HOTLINE_OPERATOR: a blank login is not an operator"),
        ("admin", "bo\x1bss", "HOTLINE_OPERATOR: a login never holds control characters"),
        ("ivan", "boss", "HOTLINE_OPERATOR is for admins; OS user 'ivan' is an operator"),
    ],
)
def test_a_login_from_the_variable_is_refused_naming_the_variable(
    sqlite_world, database_url: str, os_user: str, login: str, says: str
) -> None:
    """Set in the environment, a bad login was refused as '--operator: …', an option nobody typed."""
    sqlite_world(os_user)
    result = hotline("--db", database_url, "tickets", "list", env={"HOTLINE_OPERATOR": login})
    assert (result.exit_code, result.output.count("\n")) == (2, 1), result.output
    assert result.output.startswith(f"hotline: error: {says}"), result.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_deactivated_operator_can_neither_reply_create_nor_read(
    sqlite_world, engine, clock, database_url: str
) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        set_operator_active(uow, login="ivan", active=False)
    sqlite_world("ivan")
    created = hotline("--db", database_url, "tickets", "create", "--subject", "x", "--queue", "Support")
    assert created.exit_code == 2
    assert "operator 'ivan' is deactivated" in created.output
    assert hotline("--db", database_url, "tickets", "list").exit_code == 2
    assert _tickets(engine) == 0
    assert [entry.actor for entry in _audit(engine, "refused:login")] == ["ivan", "ivan"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_admin_may_act_as_another_operator_and_it_is_audited(
    sqlite_world, engine, database_url: str
) -> None:
    sqlite_world("admin")
    result = hotline(
        "--db",
        database_url,
        "--operator",
        "ivan",
        "tickets",
        "create",
        "--subject",
        "hi",
        "--queue",
        "Support",
        "--json",
    )
    assert result.exit_code == 0, result.output
    [narrowed] = _audit(engine, "identity.narrow")
    assert (narrowed.actor, narrowed.entity_id) == ("admin", "ivan")
    assert narrowed.via == "cli: hotline tickets create" or narrowed.via.endswith("tickets create")
    [created] = _audit(engine, "ticket.create")
    assert created.actor == "ivan"
    assert json.loads(result.stdout)["subject"] == "hi"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_os_user_is_the_operator_without_an_option(sqlite_world, engine, database_url: str) -> None:
    sqlite_world("ivan")
    result = hotline("--db", database_url, "tickets", "create", "--subject", "mine", "--queue", "Support")
    assert result.exit_code == 0, result.output
    [created] = _audit(engine, "ticket.create")
    assert created.actor == "ivan"
    assert _audit(engine, "identity.narrow") == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("os_user", ["ivan", "admin"])
def test_only_the_system_account_sets_the_clock(
    sqlite_world, engine, database_url: str, os_user: str
) -> None:
    """``--now 2020-…`` dated an operator's ticket and its audit entry in 2020: the trail's time was hers."""
    sqlite_world(os_user)
    backdated = ("--now", "2020-01-01T00:00:00")
    for command in (
        ["tickets", "create", "--subject", "backdated", "--queue", "Support"],
        ["tickets", "list"],
        ["--operator", "ivan", "tickets", "list"],
        ["console"],
    ):
        result = hotline("--db", database_url, *backdated, *command)
        assert result.exit_code == 2, (command, result.output)
        assert result.output.splitlines() == [
            "hotline: error: --now: a fixed clock is for the system account (tests and replays); an"
            " operator's entries carry the real time"
        ]
    assert _tickets(engine) == 0
    refused = _audit(engine, "refused:login")
    assert [entry.actor for entry in refused] == [os_user] * 4
    assert all(entry.at.year > 2020 for entry in refused)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("os_user", ["boss", "admin"])
def test_escalate_takes_its_own_now_from_the_system_account_only(
    sqlite_world, engine, clock, database_url: str, tmp_path: Path, os_user: str
) -> None:
    """``escalate --now 2999-…`` by a supervisor escalated every ticket as if long overdue, the steps and
    their audit entries dated 2999: the clock the global ``--now`` refuses her, taken by the command."""
    sqlite_world(os_user)
    new_ticket(engine, clock, setup_from_toml())
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    late = ("escalate", "--now", "2999-01-01T00:00:00Z")
    result = hotline("--db", database_url, "--config", str(config), *late)
    assert result.exit_code == 2, result.output
    assert "--now: a fixed clock is for the system account" in result.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(EscalationStep.id)).all() == []
    [refused] = _audit(engine, "refused:login")
    assert refused.actor == os_user and refused.at.year < 2999


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_console_refuses_an_unknown_login_at_start(sqlite_world, database_url: str) -> None:
    sqlite_world("admin")
    result = hotline("--db", database_url, "--operator", "ghost")
    assert result.exit_code == 2
    assert "unknown operator 'ghost'" in result.output


def test_db_init_makes_a_new_sqlite_file_private(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'private.db'}"
    assert hotline("--db", url, "db", "init").exit_code == 0
    assert (tmp_path / "private.db").stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared.db"
    import grp
    import os

    group = grp.getgrgid(os.getgid()).gr_name
    assert hotline("--db", f"sqlite:///{shared}", "db", "init", "--group", group).exit_code == 0
    assert shared.stat().st_mode & 0o777 == 0o660
    unknown = hotline("--db", f"sqlite:///{tmp_path / 'x.db'}", "db", "init", "--group", "no-such-group-xyz")
    assert unknown.exit_code == 2
    assert "no such group" in unknown.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_os_user_with_capitals_is_refused_saying_why(sqlite_world, engine, database_url: str) -> None:
    """Logins are lower-case and OS user names case-sensitive (``Ivan`` and ``ivan`` may be two people):
    OS user ``Ivan`` is not the operator ``ivan``, and the one line says so instead of a bare "unknown"."""
    sqlite_world("Ivan")
    result = hotline("--db", database_url, "tickets", "list")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "hotline: error: the OS user 'Ivan' is not a hotline operator (logins are lower-case and OS user"
        " names case-sensitive: run hotline as a lower-case user)"
    )
    assert [entry.actor for entry in _audit(engine, "refused:login")] == ["Ivan"]
