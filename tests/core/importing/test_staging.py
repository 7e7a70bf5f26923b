"""An import reads and decides without the write lock, then writes in one short transaction; a client
written meanwhile is seen (the decisions are taken again), and an atomic import that fails never locks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hotline.core.db import UnitOfWork
from hotline.core.importing.outcome import ImportRejected
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.models import Client
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from hotline.core.services.screen_pop import request_screen_pop
from tests.core.importing.test_service import count

ROWS = 1200


def people(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "people.csv"
    lines = [f"Person {n},+7 916 {n:07d}\n" for n in range(ROWS)]
    path.write_text("name,phone\n" + "".join(lines) + extra, encoding="utf-8")
    return path


def test_other_writers_are_not_blocked_while_the_file_is_read(engine, uow_factory, admin, tmp_path) -> None:
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
    pops: list[float] = []

    def progress(rows: int, _share: float | None) -> None:
        if rows == 500:  # mid-file: another process pops a screen
            started = time.perf_counter()
            with UnitOfWork(engine) as other:
                request_screen_pop(other, operator_login="anna", number="+7 916 000 00 01")
            pops.append(time.perf_counter() - started)

    with uow_factory(actor_login="root") as uow:
        outcome = import_clients(
            uow, path=people(tmp_path), options=ImportOptions(default_region="RU"), progress=progress
        )
    assert outcome.count("created") == ROWS
    assert len(pops) == 1 and pops[0] < 2.0  # not queued behind the import
    assert outcome.write_started is not None


def test_a_client_written_during_the_read_is_seen_before_writing(
    engine, uow_factory, admin, tmp_path
) -> None:
    def progress(rows: int, _share: float | None) -> None:
        if rows == 500:
            with uow_factory() as other:
                create_client(
                    other,
                    draft=ClientDraft(name="Person 900", phones=["+7 916 0000900"]),
                    default_region="RU",
                )

    with uow_factory(actor_login="root") as uow:
        outcome = import_clients(
            uow, path=people(tmp_path), options=ImportOptions(default_region="RU"), progress=progress
        )
    assert outcome.count("created") == ROWS - 1
    assert outcome.count("skipped") == 1
    assert count(engine, Client) == ROWS


def test_an_atomic_import_with_errors_takes_no_write_lock(
    engine, uow_factory, admin, tmp_path, monkeypatch
) -> None:
    from hotline.core import db

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = people(tmp_path, extra="Broken,12345\n")
    with uow_factory() as writer:
        writer.session.connection().exec_driver_sql(
            "UPDATE operator SET display_name = 'busy'"
        )  # holds the lock
        with uow_factory(actor_login="root") as uow:
            with pytest.raises(ImportRejected):
                import_clients(uow, path=path, options=ImportOptions(default_region="RU"))
            uow.session.rollback()
    assert count(engine, Client) == 0
