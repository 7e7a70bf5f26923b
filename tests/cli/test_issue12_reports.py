"""The reports that opened issue 12, each reproduced on both backends and now refused with an audit
entry (the demo ones are in ``test_demo_guard_cli.py``, the OS-user ones in ``test_identity_cli.py``)."""

from __future__ import annotations

import pytest
from core.escalation.world import populate
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hotline.core.db import UnitOfWork
from hotline.core.errors import PermissionDenied
from hotline.core.models import AuditEntry, Ticket
from hotline.core.services.operators import set_operator_active
from hotline.core.services.tickets import create_ticket, reply_ticket
from tests.cli.invoke import hotline
from tests.conftest import SENDING


def _audit(engine, prefix: str) -> list[AuditEntry]:
    with UnitOfWork(engine, readonly=True) as uow:
        query = select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
        return list(uow.session.exec(query).scalars())


def _tickets(engine) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return len(uow.session.exec(select(Ticket.id)).all())


def test_an_operator_cannot_take_a_full_copy_with_db_backup(
    engine, clock, database_url: str, tmp_path
) -> None:
    populate(engine, clock)
    target = tmp_path / "copy.db"
    result = hotline("--db", database_url, "--operator", "ivan", "db", "backup", str(target))
    assert result.exit_code == 2
    assert "db.backup needs admin" in result.output
    assert not target.exists()
    [refused] = _audit(engine, "refused:")
    assert (refused.actor, refused.action, refused.via) == (
        "ivan",
        "refused:db.backup",
        "cli: hotline db backup",
    )
    export = hotline(
        "--db", database_url, "--operator", "ivan", "clients", "export", "--output", str(tmp_path / "x.csv")
    )
    assert export.exit_code == 2
    assert [entry.action for entry in _audit(engine, "refused:")] == [
        "refused:db.backup",
        "refused:client.export",
    ]


def test_a_deactivated_operator_can_neither_reply_nor_create(engine, clock, database_url: str) -> None:
    populate(engine, clock)
    with UnitOfWork(engine, clock=clock) as uow:
        number = create_ticket(uow, subject="Printer", queue="Support", requester="a@example.com").number
        set_operator_active(uow, login="ivan", active=False)
    console = UnitOfWork(engine, actor_login="ivan", clock=clock, via="console")
    with pytest.raises(PermissionDenied, match="operator 'ivan' is deactivated"), console as uow:
        reply_ticket(uow, number=number, expected_version=None, body="hi", sla=None, sending=SENDING)
    console = UnitOfWork(engine, actor_login="ivan", clock=clock, via="console")
    with pytest.raises(PermissionDenied, match="deactivated"), console as uow:
        create_ticket(uow, subject="x", queue="Support")
    cli = hotline(
        "--db",
        database_url,
        "--operator",
        "ivan",
        "tickets",
        "create",
        "--subject",
        "y",
        "--queue",
        "Support",
    )
    assert cli.exit_code == 2
    assert "deactivated" in cli.output
    assert _tickets(engine) == 1
    refusals = _audit(engine, "refused:")
    assert [(entry.actor, entry.via) for entry in refusals] == [
        ("ivan", "console"),
        ("ivan", "console"),
        ("root", "cli: hotline tickets create")
        if engine.dialect.name == "sqlite"
        else ("postgres", "cli: hotline tickets create"),
    ]


@pytest.mark.parametrize("login", ["ghost", "", " ", "bo\x1b[2Jss", "\tadmin"])
def test_unknown_blank_or_escaped_logins_create_nothing_and_are_not_stored_raw(
    engine, clock, database_url: str, login: str
) -> None:
    populate(engine, clock)
    result = hotline(
        "--db", database_url, "--operator", login, "tickets", "create", "--subject", "s", "--queue", "Support"
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "\x1b" not in result.output
    assert _tickets(engine) == 0
    [refused] = _audit(engine, "refused:")
    assert refused.action == "refused:login"
    assert "\x1b" not in (refused.entity_id or "") and "\x1b" not in refused.actor
    with UnitOfWork(engine, readonly=True) as uow:
        actors = set(uow.session.exec(select(AuditEntry.actor)).scalars())
    assert login not in actors


def test_audit_entries_cannot_be_changed_or_deleted(engine, clock) -> None:
    populate(engine, clock)
    for statement in ("UPDATE audit_entry SET actor = 'someone'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert len(_audit(engine, "")) > 0
