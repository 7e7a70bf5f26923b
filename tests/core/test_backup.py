"""``backup_database``: a whole copy while in use, or nothing; never over an existing file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.core.backup import backup_database
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.errors import InvalidInput, Unavailable


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_sqlite_copy_is_whole_and_readable(backend, engine, uow_factory, tmp_path: Path) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE backup_probe (n INTEGER)"))
        connection.execute(text("INSERT INTO backup_probe VALUES (1), (2), (3)"))
    target = tmp_path / "copy.db"
    with uow_factory(readonly=True) as uow:  # a reader in the middle of its transaction
        uow.session.execute(text("SELECT count(*) FROM backup_probe")).one()
        size = backup_database(UnitOfWork(engine), target)
    assert size == target.stat().st_size > 0
    copy = make_engine(f"sqlite:///{target}")
    with copy.connect() as connection:
        assert connection.execute(text("SELECT sum(n) FROM backup_probe")).scalar_one() == 6
    copy.dispose()


def test_an_existing_file_or_a_missing_folder_is_bad_input(engine, tmp_path: Path) -> None:
    existing = tmp_path / "taken.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(InvalidInput, match="exists already") as error:
        backup_database(UnitOfWork(engine), existing)
    assert error.value.where == str(existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(InvalidInput, match="no such folder"):
        backup_database(UnitOfWork(engine), tmp_path / "missing" / "copy.db")
    with pytest.raises(InvalidInput, match="cannot write there") as error:  # exit 1, naming .copy.db.part
        backup_database(UnitOfWork(engine), Path("/proc/copy.db"))  # a folder nobody can create files in
    assert error.value.where == "/proc/copy.db"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_pg_dump_gets_the_password_from_the_environment(
    backend, database_url: str, tmp_path: Path, monkeypatch
) -> None:
    """A command line is visible to every user of the machine: the password never goes there."""
    calls = []
    real_run = subprocess.run

    def spy(arguments, **options):
        calls.append((arguments, options.get("env") or {}))
        return real_run(arguments, **options)

    monkeypatch.setattr(subprocess, "run", spy)
    engine = make_engine(database_url.replace("://postgres@", "://postgres:s3cret-word@"))
    try:
        backup_database(UnitOfWork(engine), tmp_path / "pg.dump")
    finally:
        engine.dispose()
    ((arguments, environment),) = calls
    assert not any("s3cret-word" in argument for argument in arguments)
    assert environment["PGPASSWORD"] == "s3cret-word"
    assert (tmp_path / "pg.dump").stat().st_size > 0


def test_a_failed_pg_dump_leaves_no_file(tmp_path: Path) -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    target = tmp_path / "pg.dump"
    with pytest.raises(Unavailable, match="pg_dump failed: "):
        backup_database(UnitOfWork(engine), target)
    assert not target.exists()


def test_the_pg_dump_argv_never_carries_the_password(tmp_path: Path) -> None:
    """What would run is visible in /proc/PID/cmdline: the argv has no password, the environment has."""
    from sqlalchemy.engine import make_url

    from hotline.core.backup import pg_dump_command

    url = make_url("postgresql+psycopg://clerk:pa%24%24-word@127.0.0.1:5432/calls")
    argv, environment = pg_dump_command(url, tmp_path / "x.dump")
    assert not any(
        "pa$$-word" in argument or "pa%24%24" in argument or "***" in argument for argument in argv
    )
    assert "--dbname=postgresql://clerk@127.0.0.1:5432/calls" in argv
    assert environment["PGPASSWORD"] == "pa$$-word"


def test_a_password_given_as_a_url_parameter_stays_off_the_pg_dump_argv(tmp_path: Path) -> None:
    """libpq also reads ``?password=``: it travels in the environment too, never in ``--dbname``."""
    from sqlalchemy.engine import make_url

    from hotline.core.backup import pg_dump_command

    url = make_url("postgresql+psycopg://clerk@127.0.0.1:5432/calls?sslmode=require&password=pa-word")
    argv, environment = pg_dump_command(url, tmp_path / "x.dump")
    assert not any("pa-word" in argument for argument in argv), argv
    assert "--dbname=postgresql://clerk@127.0.0.1:5432/calls?sslmode=require" in argv
    assert environment["PGPASSWORD"] == "pa-word"
    with pytest.raises(InvalidInput, match="sslpassword"):
        pg_dump_command(make_url("postgresql://clerk@db/calls?sslpassword=key-word"), tmp_path / "x.dump")


def test_a_backup_whose_disk_fills_up_names_the_backup(tmp_path: Path) -> None:
    database, target = tmp_path / "live.db", tmp_path / "copy.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE filler (t TEXT)"))
        connection.execute(text("INSERT INTO filler VALUES (zeroblob(100000))"))
    engine.dispose()
    script = (  # the database opened first: the limit is for the files the backup writes
        "import resource, signal, sys; from pathlib import Path; from hotline.core.db import UnitOfWork, make_engine;"
        " from hotline.core.backup import backup_database; engine = make_engine(sys.argv[1]);"
        " engine.connect().close(); signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        " resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))\n"
        "try:\n backup_database(UnitOfWork(engine), Path(sys.argv[2]))\n"
        "except Exception as error:\n print(type(error).__name__, error)"
    )
    said = subprocess.run([sys.executable, "-c", script, f"sqlite:///{database}", str(target)],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert said.startswith(f"Unavailable the backup to {target} failed:"), said  # "database unavailable"
    assert list(tmp_path.iterdir()) == [database]


def test_a_backup_is_readable_by_its_owner_only(engine, tmp_path: Path) -> None:
    """The database is 0600 (``db init``): its full copy is no more readable than it, whatever the umask."""
    import os

    previous = os.umask(0o022)
    try:
        target = tmp_path / "copy.backup"
        backup_database(UnitOfWork(engine), target)
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("suffix", ["-journal", "-wal", "-shm"])
def test_a_backup_never_takes_the_name_of_a_file_of_the_database(
    backend, engine, database_url: str, tmp_path: Path, suffix: str
) -> None:
    """``db backup hotline.db-journal`` said "backup written" (exit 0), and the next connection to the
    database took the copy for a hot journal and deleted it: the backup was gone, and a journal that
    SQLite could read would have been played into the database. Refused, naming it, nothing written."""
    database = Path(engine.url.database or "")
    target = database.with_name(database.name + suffix)
    target.unlink(missing_ok=True)
    with pytest.raises(InvalidInput, match="a file of the database") as error:
        backup_database(UnitOfWork(engine), target)
    assert error.value.where == str(target)
    assert not target.exists()
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_backups_to_one_name_at_once_leave_one_whole_copy(
    backend, engine, tmp_path: Path, monkeypatch
) -> None:
    """Two backups to one name at once (cron's and an admin's): each wrote beside it as ``.NAME.part`` and
    the second began by deleting that file, the first's copy in progress; the first then renamed the
    second's half copy into place as its own, or died on a traceback (FileNotFoundError). And a rename
    replaced a backup that another run had just finished. Now one copy is made whole, the other run is
    told the file exists (exit 2), and no partial file is left."""
    import sqlite3

    import hotline.core.backup as backup

    target = tmp_path / "nightly.db"
    original = backup._sqlite_backup
    outcomes: list[object] = []

    def copy_while_another_runs(engine_, partial, target_) -> None:
        if not outcomes:
            outcomes.append("first started")
            try:
                outcomes.append(backup_database(UnitOfWork(engine), target))
            except InvalidInput as error:
                outcomes.append(error)
        original(engine_, partial, target_)

    monkeypatch.setattr(backup, "_sqlite_backup", copy_while_another_runs)
    with pytest.raises(InvalidInput, match="exists already"):
        backup_database(UnitOfWork(engine), target)
    assert isinstance(outcomes[1], int) and outcomes[1] == target.stat().st_size
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_backup_name_as_long_as_a_name_may_be_is_written(backend, engine, tmp_path: Path) -> None:
    """A backup named with 240 characters (a file name takes 255) was "cannot write there: File name too
    long": the copy in progress was named after it, with more around it."""
    target = tmp_path / ("b" * 237 + ".db")
    assert backup_database(UnitOfWork(engine), target) == target.stat().st_size


def test_a_pg_dump_that_never_ends_is_stopped_and_said(tmp_path: Path, monkeypatch) -> None:
    """A pg_dump still running after the hour it is given (a lock it waits on for ever) ended the backup
    with a TimeoutExpired traceback; it is one line, exit 1, and no file."""
    import hotline.core.backup as backup

    slow = tmp_path / "bin" / "pg_dump"
    slow.parent.mkdir()
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow.parent}:/usr/bin:/bin")
    monkeypatch.setattr(backup, "PG_DUMP_TIMEOUT_SECONDS", 0.5)
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    target = tmp_path / "pg.dump"
    with pytest.raises(Unavailable, match=r"pg_dump did not finish within 0\.5 s"):
        backup_database(UnitOfWork(engine), target)
    assert not target.exists() and not list(tmp_path.glob(".*.part"))
