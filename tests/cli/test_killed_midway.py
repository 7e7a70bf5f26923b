"""``kill -9`` in the middle of each writing command leaves the SQLite database consistent: the integrity
and foreign-key checks pass, an import or a demo is all there or not at all, the lookup index matches the
clients (or, for a big import killed between its clients and their lookup rows, is owed and written by
the next import), an export or a backup file is whole or absent, and the command then runs again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.invoke import NO_CONFIG_HOME, hotline

ROWS = 10_000
ENV = {**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"}


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "hotline.db"
    url = f"sqlite:///{path}"
    assert hotline("--db", url, "--operator", "root", "db", "init").exit_code == 0
    return url, path


def people_file(tmp_path: Path, *, with_emails: bool = False) -> Path:
    path = tmp_path / ("people-emails.csv" if with_emails else "people.csv")
    rows = (f"Person {n},+7 916 {n:07d},{f'p{n}@example.ru' if with_emails else ''}\n" for n in range(ROWS))
    path.write_text("name,phone,email\n" + "".join(rows), encoding="utf-8")
    return path


def kill_when(url: str, args: list[str], ready: Callable[[], bool], *, timeout: float = 120) -> bool:
    """Run ``hotline ARGS`` and kill -9 it once ``ready()``; whether it was still running then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "--db", url, *args],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if ready():
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return True
            time.sleep(0.005)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def wal_over(path: Path, size: int) -> Callable[[], bool]:
    wal = Path(f"{path}-wal")
    return lambda: wal.exists() and wal.stat().st_size > size


def consistent(path: Path, *, index_owed: bool = False) -> dict[str, int]:
    """Integrity and foreign keys checked; the counts that tell all-or-nothing. ``index_owed``: a big
    import killed after committing its clients may still owe their lookup rows (a marker says so, and
    the next import writes them)."""
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("client", "client_phone", "client_email", "search_doc", "ticket")
        }
        owed = connection.execute("SELECT count(*) FROM counter WHERE name LIKE 'search-pending:%'")
        counts["markers"] = owed.fetchone()[0]
    if not (index_owed and counts["markers"]):
        assert counts["search_doc"] == counts["client"]  # the lookup index matches the clients
        assert counts["markers"] == 0
    return counts


def test_a_killed_import_leaves_nothing_and_runs_again(db, tmp_path: Path) -> None:
    """Killed as its write begins: no client, or (killed just after the clients committed, before their
    lookup rows) every client, owed its lookup rows, which running the import again writes."""
    url, path = db
    source = people_file(tmp_path)
    assert kill_when(url, ["clients", "import", str(source)], wal_over(path, 256 << 10))
    assert consistent(path, index_owed=True)["client"] in (0, ROWS)
    assert hotline("--db", url, "--operator", "root", "clients", "import", str(source)).exit_code == 0
    assert consistent(path)["client"] == ROWS


def test_a_killed_update_import_is_all_old_or_all_new(db, tmp_path: Path) -> None:
    url, path = db
    assert (
        hotline("--db", url, "--operator", "root", "clients", "import", str(people_file(tmp_path))).exit_code
        == 0
    )
    updated = people_file(tmp_path, with_emails=True)
    args = ["clients", "import", str(updated), "--on-duplicate", "update"]
    assert kill_when(url, args, wal_over(path, 128 << 10))
    counts = consistent(path)
    assert (counts["client"], counts["client_email"]) == (ROWS, 0)
    assert hotline("--db", url, "--operator", "root", *args).exit_code == 0
    assert consistent(path)["client_email"] == ROWS


def test_a_killed_demo_leaves_nothing_and_runs_again(db) -> None:
    url, path = db
    assert kill_when(url, ["demo", "--clients", str(ROWS)], wal_over(path, 2 << 20))
    counts = consistent(path)
    assert (counts["client"], counts["ticket"]) == (0, 0)
    assert hotline("--db", url, "--operator", "root", "demo", "--clients", "500").exit_code == 0
    assert consistent(path)["client"] == 500


def test_a_killed_export_or_backup_leaves_the_database_and_no_half_file(db, tmp_path: Path) -> None:
    url, path = db
    assert hotline("--db", url, "--operator", "root", "demo", "--clients", str(ROWS)).exit_code == 0
    before = consistent(path)
    target = tmp_path / "clients.json"
    parts = lambda: [p for p in tmp_path.iterdir() if p.name.endswith(".part") and p.stat().st_size]  # noqa: E731
    assert kill_when(url, ["clients", "export", "--format", "json", "-o", str(target)], lambda: bool(parts()))
    assert not target.exists()
    assert consistent(path) == before
    for leftover in parts():
        leftover.unlink()
    backup = tmp_path / "copy.db"
    killed = kill_when(url, ["db", "backup", str(backup)], lambda: bool(parts()))
    assert consistent(path) == before
    if killed:
        assert not backup.exists()
    else:  # the copy finished before it could be caught: then it is whole
        assert consistent(backup) == before
