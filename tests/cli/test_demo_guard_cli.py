"""``demo --force`` never wipes a real client base by accident: an operator or an unknown login is
refused (and audited); an admin deletes data that is not the demo's only after typing the database's
name (or ``--yes-i-mean-DBNAME``), and the audit records what was deleted. Both backends."""

from __future__ import annotations

import json

import pytest
from core.escalation.world import populate
from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.demo.replace import database_name
from hotline.core.models import AuditEntry, Client, Contract
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


def _run(database_url: str, *args: str, operator: str = "admin", stdin: str | None = None):
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", operator, *args],
        input=stdin,
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
    )


def _clients(engine) -> list[str]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(uow.session.exec(select(Client.name).order_by(Client.id)).scalars())


def _audit(engine, action: str) -> list[AuditEntry]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(
            uow.session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def test_an_operator_or_a_stranger_cannot_replace_the_client_base(engine, clock, database_url: str) -> None:
    populate(engine, clock)
    before = _clients(engine)
    operator = _run(database_url, "demo", "--force", "--clients", "10", operator="ivan")
    assert operator.exit_code == 2
    assert "demo.load needs admin" in operator.output
    stranger = _run(database_url, "demo", "--force", "--clients", "10", operator="ghost")
    assert stranger.exit_code == 2
    assert "unknown operator 'ghost'" in stranger.output
    assert _clients(engine) == before
    assert [entry.actor for entry in _audit(engine, "refused:demo.load")] == ["ivan"]
    assert [entry.entity_id for entry in _audit(engine, "refused:login")] == ["ghost"]


def test_a_refused_demo_is_one_line(engine, clock, database_url: str) -> None:
    populate(engine, clock)
    refused = _run(database_url, "demo", "--clients", "10", operator="ivan")
    assert refused.exit_code == 2
    assert refused.output.splitlines() == [
        "hotline: error: operator 'ivan' is an operator; demo.load needs admin"
    ]


def test_an_admin_must_name_the_database_to_replace_real_data(engine, clock, database_url: str) -> None:
    populate(engine, clock)
    before = _clients(engine)
    name = database_name(engine)
    unconfirmed = _run(database_url, "demo", "--force", "--clients", "10", stdin="")
    assert unconfirmed.exit_code == 2
    assert f"--yes-i-mean-{name}" in unconfirmed.output
    wrong = _run(database_url, "demo", "--force", "--clients", "10", stdin="not-the-name\n")
    assert wrong.exit_code == 2
    assert _clients(engine) == before
    typed = _run(database_url, "demo", "--force", "--clients", "10", stdin=f"{name}\n")
    assert typed.exit_code == 0, typed.output
    assert len(_clients(engine)) == 10
    [replaced] = _audit(engine, "demo.replace")
    assert replaced.actor == "admin"
    assert replaced.before["deleted"]["client"] == len(before)
    assert replaced.before["not_demo"] == {"clients not made by a demo load": len(before)}
    assert replaced.after == {"confirmed_by_name": True}


def test_demo_data_is_replaced_without_a_name_and_scripts_confirm_with_a_flag(
    engine, database_url: str
) -> None:
    assert _run(database_url, "db", "init").exit_code == 0
    assert _run(database_url, "demo", "--clients", "20").exit_code == 0
    again = _run(database_url, "demo", "--clients", "20", "--force")
    assert again.exit_code == 0, again.output
    created = _run(database_url, "tickets", "create", "--subject", "real work", "--queue", "Support")
    assert created.exit_code == 0, created.output
    refused = _run(database_url, "demo", "--clients", "20", "--force", stdin="")
    assert refused.exit_code == 2
    assert "1 ticket.create" in refused.output
    name = database_name(engine)
    bogus = _run(database_url, "demo", "--clients", "20", "--force", "--yes-i-mean-it")
    assert bogus.exit_code == 2
    forced = _run(database_url, "demo", "--clients", "20", "--force", f"--yes-i-mean-{name}")
    assert forced.exit_code == 0, forced.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Client)).scalar_one() == 20
    replaced = _audit(engine, "demo.replace")
    assert [entry.after["confirmed_by_name"] for entry in replaced] == [False, True]
    listed = _run(database_url, "audit", "list", "--entity", "database", "--json")
    assert [entry["action"] for entry in json.loads(listed.stdout)["entries"]] == ["demo.replace"] * 2


def test_a_contract_added_to_a_demo_client_is_real_data_and_its_deletion_is_counted(
    engine, database_url: str
) -> None:
    """A contract goes with its client (ON DELETE CASCADE): signed on a demo client, it is not the demo's."""
    assert _run(database_url, "db", "init").exit_code == 0
    assert _run(database_url, "demo", "--clients", "20").exit_code == 0
    signed = _run(
        database_url,
        "contracts",
        "add",
        "1",
        "--level",
        "gold",
        "--start",
        "2026-01-01",
        "--end",
        "2027-01-01",
    )
    assert signed.exit_code == 0, signed.output
    refused = _run(database_url, "demo", "--clients", "20", "--force", stdin="")
    assert refused.exit_code == 2, refused.output
    assert "1 contract.create" in refused.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Contract)).scalar_one() == 1
    name = database_name(engine)
    forced = _run(database_url, "demo", "--clients", "20", "--force", f"--yes-i-mean-{name}")
    assert forced.exit_code == 0, forced.output
    [replaced] = _audit(engine, "demo.replace")
    assert replaced.before["deleted"]["contract"] == 1
    assert replaced.after == {"confirmed_by_name": True}


def test_real_data_deleted_once_by_name_does_not_make_the_next_demo_ask_again(
    engine, database_url: str
) -> None:
    """After a confirmed replacement the database held the demo only, yet every later ``demo --force``
    still said it held data that was not the demo's (the deleted ticket's audit entry) and wanted the
    name; now only changes since the last replacement count, and new real data is still guarded."""
    assert _run(database_url, "db", "init").exit_code == 0
    assert _run(database_url, "demo", "--clients", "20").exit_code == 0
    created = _run(database_url, "tickets", "create", "--subject", "real work", "--queue", "Support")
    assert created.exit_code == 0, created.output
    name = database_name(engine)
    forced = _run(database_url, "demo", "--clients", "20", "--force", f"--yes-i-mean-{name}")
    assert forced.exit_code == 0, forced.output
    again = _run(database_url, "demo", "--clients", "20", "--force", stdin="")
    assert again.exit_code == 0, again.output
    assert [entry.after for entry in _audit(engine, "demo.replace")] == [
        {"confirmed_by_name": True},
        {"confirmed_by_name": False},
    ]
    created = _run(database_url, "tickets", "create", "--subject", "more work", "--queue", "Support")
    assert created.exit_code == 0, created.output
    refused = _run(database_url, "demo", "--clients", "20", "--force", stdin="")
    assert refused.exit_code == 2
    assert "(1 ticket.create)" in refused.output


def test_an_operators_demo_replace_entry_hides_no_real_data(engine, clock, database_url: str) -> None:
    """Only an admin's replacement resets what counts: an operator may add audit entries (in SQL too,
    under her own name), and a "demo.replace" of hers made the guard forget every real change."""
    populate(engine, clock)
    assert (
        _run(
            database_url, "demo", "--clients", "20", "--force", "--yes-i-mean-" + database_name(engine)
        ).exit_code
        == 0
    )
    created = _run(database_url, "tickets", "create", "--subject", "real work", "--queue", "Support")
    assert created.exit_code == 0, created.output
    with UnitOfWork(engine) as uow:
        uow.session.add(AuditEntry(at=clock.now(), actor="ivan", action="demo.replace", entity="database"))
    refused = _run(database_url, "demo", "--clients", "20", "--force", stdin="")
    assert refused.exit_code == 2
    assert "(1 ticket.create)" in refused.output


def test_a_postgresql_url_without_a_database_asks_for_the_servers_name_for_it(
    engine, database_url: str
) -> None:
    """With the database named by ``PGDATABASE`` (or a service file) and not in the URL, the guard asked to
    type "None" (``--yes-i-mean-None`` deleted the real data); now it asks for the database's real name."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a SQLite database is named by its file")
    assert _run(database_url, "db", "init").exit_code == 0
    assert _run(database_url, "demo", "--clients", "20").exit_code == 0
    created = _run(database_url, "tickets", "create", "--subject", "real work", "--queue", "Support")
    assert created.exit_code == 0, created.output
    server, name = database_url.rsplit("/", 1)
    with_none = runner.invoke(
        app,
        ["--db", server, "--operator", "admin", "demo", "--clients", "20", "--force", "--yes-i-mean-None"],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "PGDATABASE": name},
    )
    assert with_none.exit_code == 2, with_none.output
    assert f"the database {name!r} holds data that is not the demo's (1 ticket.create)" in with_none.output
    assert f"--yes-i-mean-{name}" in with_none.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Client)).scalar_one() == 20
    assert database_name(engine) == name
