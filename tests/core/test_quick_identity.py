"""The console's quick identity check grants exactly what the full check grants, and writes the same audit
entry for a granted ``--operator``; everything the full check refuses is left to it (None)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hotline.core.db import UnitOfWork
from hotline.core.enums import Role
from hotline.core.errors import PermissionDenied
from hotline.core.identity import os_principal, quick_identity, resolve_identity
from hotline.core.services.operators import add_operator, set_operator_active

REQUESTS = [None, "boss", "olga", "gone", "ghost", "", "a b", "a\x1bb"]


def _operators(engine, clock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        add_operator(uow, login="gone", role=Role.OPERATOR)
        user, root = os_principal()
        if engine.dialect.name == "sqlite" and not root:
            add_operator(uow, login=user, role=Role.ADMIN)
    with UnitOfWork(engine, clock=clock) as uow:
        set_operator_active(uow, login="gone", active=False)


def _audit_rows(engine, action: str) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT at, actor, action, entity, entity_id, before, after, via FROM audit_entry"
                    " WHERE action = :action ORDER BY id"
                ),
                {"action": action},
            )
        ]


@pytest.mark.parametrize("requested", REQUESTS)
def test_quick_identity_grants_what_the_full_check_grants(engine, clock, requested) -> None:
    _operators(engine, clock)
    quick = quick_identity(engine, requested=requested, clock=clock, via="cli: hotline")
    quick_entries = _audit_rows(engine, "identity.narrow")
    try:
        full = resolve_identity(engine, requested=requested, clock=clock, via="cli: hotline")
    except PermissionDenied:
        full = None
    full_entries = _audit_rows(engine, "identity.narrow")[len(quick_entries) :]
    assert quick == full
    assert quick_entries == full_entries, "the same audit entry, column by column"
    if requested in ("boss", "olga"):
        assert quick is not None and quick.login == requested
        assert len(quick_entries) == (0 if quick.authenticated == requested else 1)
    if requested in ("gone", "ghost", "", "a b", "a\x1bb"):
        assert _audit_rows(engine, "refused:login"), "the full check refused it and audited the refusal"


def test_quick_identity_leaves_a_database_without_tables_to_the_full_check(tmp_path) -> None:
    from hotline.core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        assert quick_identity(engine, requested="boss") is None
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("check", [quick_identity, resolve_identity])
def test_a_narrowing_waits_for_another_writer_instead_of_failing(engine, clock, check) -> None:
    """Another process holds SQLite's write lock, with a write, while ``--operator`` is checked, and
    commits when the narrowing's entry is written. Written from the read that checked the operator, the
    entry was refused at once (a lock upgrade does not wait): the quick check gave up, the full check
    raised "database is locked". Written in a transaction of its own, it waits its turn."""
    import sqlite3
    import threading

    from sqlalchemy import event

    _operators(engine, clock)
    narrowing = threading.Event()

    def before(_conn, _cursor, statement: str, parameters, _context, _many) -> None:
        if statement.startswith("INSERT INTO audit_entry") and "identity.narrow" in repr(parameters):
            narrowing.set()

    writer = sqlite3.connect(engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO counter (name, value) VALUES ('another-writer', 1)")
    event.listen(engine, "before_cursor_execute", before)
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(check(engine, requested="boss", clock=clock, via="cli: hotline"))
        except Exception as error:  # the failure is what the test reports
            outcomes.append(error)

    thread = threading.Thread(target=run)
    try:
        thread.start()
        assert narrowing.wait(30), "the check reached the narrowing's entry"
        writer.execute("COMMIT")
        thread.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        writer.close()
    [identity] = outcomes
    assert not isinstance(identity, Exception), identity
    assert identity is not None and identity.login == "boss"
    assert len(_audit_rows(engine, "identity.narrow")) == 1
