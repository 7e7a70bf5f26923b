"""``kill -9`` in the middle of each writing command leaves the database consistent, on SQLite and
PostgreSQL: the integrity and foreign-key checks pass (SQLite), an import or a demo is all there or not at
all, the lookup index matches the clients (or, for a big SQLite import killed between its clients and their
lookup rows, is owed and written by the next import), an export or a backup file is whole or absent, and
the command then runs again.

The kill comes mid-write: on SQLite once the write-ahead log has grown past a size, on PostgreSQL once the
command's server session has held a writing transaction (one with a transaction id) for a moment.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME, hotline
from tests.killing import kill_when as kill_child_when

pytestmark = pytest.mark.slow

ROWS = 10_000
UPDATE_ROWS = 3_000
"""An update import is slower per row (each row is matched and compared): fewer rows keep it mid-way
for long enough without a long test."""
ENV = {**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"}
WRITING_FOR_SECONDS = 0.3
"""On PostgreSQL: how long the command's transaction has been writing when it is killed."""
SETTLE_SECONDS = 30
MARKERS = "SELECT count(*) FROM counter WHERE name LIKE 'search-pending:%'"
"""The staged import's markers of clients still owed their lookup rows."""


class Target:
    """The database under test: its URL, the SQLite file (None on PostgreSQL), and the kill triggers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None

    def writing(self, sqlite_wal_bytes: int) -> Callable[[], bool]:
        """True once the command is writing: SQLite's WAL past a size, or a PostgreSQL transaction of
        another session on this database that has held a transaction id for a moment."""
        if self.path is not None:
            wal = Path(f"{self.path}-wal")
            return lambda: wal.exists() and wal.stat().st_size > sqlite_wal_bytes
        engine = make_engine(self.url)

        def pg_writing() -> bool:
            with engine.connect() as connection:
                return bool(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                            " AND clock_timestamp() - xact_start > make_interval(secs => :seconds)"
                        ),
                        {"seconds": WRITING_FOR_SECONDS},
                    ).scalar_one()
                )

        return pg_writing

    def consistent(self, *, index_owed: bool = False) -> dict[str, int]:
        """Integrity and foreign keys checked; the counts that tell all-or-nothing. On PostgreSQL the
        killed command's server session is waited for first: it rolls back once it sees the client gone (the
        test's own idle pooled sessions do not count). ``index_owed``: a big import killed after committing
        its clients may still owe their lookup rows (a marker says so, and the next import writes them)."""
        tables = ("client", "client_phone", "client_email", "search_doc", "search_owed", "ticket")
        if self.path is not None:
            with sqlite3.connect(self.path) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
                counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
                counts["markers"] = connection.execute(MARKERS).fetchone()[0]
        else:
            engine = make_engine(self.url)
            try:
                with engine.connect() as connection:
                    deadline = time.monotonic() + SETTLE_SECONDS
                    others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()" \
                        " AND pid <> pg_backend_pid() AND (backend_xid IS NOT NULL OR state <> 'idle')"  # fmt: skip
                    while connection.execute(text(others)).scalar_one() and time.monotonic() < deadline:
                        connection.rollback()
                        time.sleep(0.05)
                    assert connection.execute(text(others)).scalar_one() == 0, "the killed session lingers"
                    counts = {
                        t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
                    }
                    counts["markers"] = connection.execute(text(MARKERS)).scalar_one()
            finally:
                engine.dispose()
        if not (index_owed and counts["markers"]):
            assert counts["search_doc"] == counts["client"]  # the lookup index matches the clients
            assert counts["markers"] == 0
        if not index_owed:
            assert counts["search_owed"] == 0  # no merged client still owed its lookup rows
        return counts


@pytest.fixture
def db(database_url: str) -> Target:
    engine = make_engine(database_url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
    engine.dispose()
    return Target(database_url)


def people_file(tmp_path: Path, *, with_emails: bool = False, rows: int = ROWS) -> Path:
    path = tmp_path / ("people-emails.csv" if with_emails else "people.csv")
    lines = (f"Person {n},+7 916 {n:07d},{f'p{n}@example.ru' if with_emails else ''}\n" for n in range(rows))
    path.write_text("name,phone,email\n" + "".join(lines), encoding="utf-8")
    return path


def run(db: Target, *args: str) -> int:
    return hotline("--db", db.url, *args, env={"HOTLINE_OPERATOR": "root"}).exit_code


def kill_when(url: str, args: list[str], ready: Callable[[], bool], *, timeout: float = 120) -> bool:
    """Run ``hotline ARGS`` on ``url`` and kill -9 it once ``ready()``; whether it was still running then."""
    return kill_child_when(
        [sys.executable, "-m", "hotline.cli", "--db", url, *args], ready, env=ENV, timeout=timeout
    )


def test_a_killed_import_leaves_nothing_and_runs_again(db: Target, tmp_path: Path) -> None:
    """Killed as its write begins: no client, or (killed just after a staged import's clients committed,
    before their lookup rows) every client, owed its lookup rows, which running the import again writes."""
    source = people_file(tmp_path)
    assert kill_when(db.url, ["clients", "import", str(source)], db.writing(256 << 10))
    assert db.consistent(index_owed=True)["client"] in (0, ROWS)
    assert run(db, "clients", "import", str(source)) == 0
    assert db.consistent()["client"] == ROWS


def test_a_killed_update_import_is_all_old_or_all_new(db: Target, tmp_path: Path) -> None:
    assert run(db, "clients", "import", str(people_file(tmp_path, rows=UPDATE_ROWS))) == 0
    updated = people_file(tmp_path, with_emails=True, rows=UPDATE_ROWS)
    args = ["clients", "import", str(updated), "--on-duplicate", "update"]
    assert kill_when(db.url, args, db.writing(128 << 10))
    counts = db.consistent(index_owed=True)
    # Killed before the merges committed: all old. A staged update import (SQLite) may be killed after:
    # all new, the merged clients owed their lookup rows, which the next run rebuilds.
    assert counts["client"] == UPDATE_ROWS and counts["client_email"] in (0, UPDATE_ROWS), counts
    assert run(db, *args) == 0
    after = db.consistent()
    assert (after["client_email"], after["search_owed"]) == (UPDATE_ROWS, 0)


def test_a_killed_demo_leaves_nothing_and_runs_again(db: Target) -> None:
    assert kill_when(db.url, ["demo", "--clients", str(ROWS)], db.writing(2 << 20))
    counts = db.consistent()
    assert (counts["client"], counts["ticket"]) == (0, 0)
    assert run(db, "demo", "--clients", "500") == 0
    assert db.consistent()["client"] == 500


def test_a_killed_export_or_backup_leaves_the_database_and_no_half_file(db: Target, tmp_path: Path) -> None:
    assert run(db, "demo", "--clients", str(ROWS)) == 0
    before = db.consistent()
    target = tmp_path / "clients.json"
    parts = lambda: [p for p in tmp_path.iterdir() if p.name.endswith(".part") and p.stat().st_size]  # noqa: E731
    assert kill_when(
        db.url, ["clients", "export", "--format", "json", "-o", str(target)], lambda: bool(parts())
    )
    assert not target.exists()
    assert db.consistent() == before
    for leftover in parts():
        leftover.unlink()
    backup = tmp_path / "copy.db"
    killed = kill_when(db.url, ["db", "backup", str(backup)], lambda: bool(parts()))
    assert db.consistent() == before
    if killed:
        assert not backup.exists()
    elif db.path is not None:  # the copy finished before it could be caught: then it is whole
        assert Target(f"sqlite:///{backup}").consistent() == before
    else:  # a whole pg_dump archive: pg_restore reads its table of contents
        listing = subprocess.run(["pg_restore", "--list", str(backup)], capture_output=True, timeout=60)
        assert listing.returncode == 0, listing.stderr
