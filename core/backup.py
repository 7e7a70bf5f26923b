"""A copy of the whole database while it is in use: SQLite through its backup API, PostgreSQL through
``pg_dump`` (custom format, for ``pg_restore``).

The target must be a new file; the copy is made under a temporary name and renamed when whole, so a
backup file is whole or absent.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.core.db import driver_connection
from hotline.core.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PG_DUMP_TIMEOUT_SECONDS = 3600


def backup_database(engine: Engine, target: Path) -> int:
    """Copy the database behind ``engine`` to the new file ``target``; the size written, in bytes."""
    if target.exists():
        raise InvalidInput("the backup file exists already; choose a new name", where=str(target))
    if not target.parent.is_dir():
        raise InvalidInput("no such folder", where=str(target))
    # Written beside the target under a temporary name and renamed when whole: a kill leaves no half copy.
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _pg_dump(engine, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def _sqlite_backup(engine: Engine, target: Path) -> None:
    """Page by page through SQLite's online backup, from one of the engine's own connections."""
    copy = sqlite3.connect(target)
    try:
        with engine.connect() as connection:
            driver_connection(connection).backup(copy)
    finally:
        copy.close()


def _pg_dump(engine: Engine, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise Unavailable("pg_dump is not installed; install the PostgreSQL client tools to back up")
    url = engine.url.set(drivername="postgresql")
    environment = dict(os.environ)
    if url.password is not None:  # through the environment: a command line is visible to every user
        environment["PGPASSWORD"] = str(url.password)
    dbname = url.set(password=None).render_as_string()
    result = subprocess.run(  # noqa: S603 - fixed program, URL from our own settings
        [pg_dump, "--format=custom", f"--file={target}", f"--dbname={dbname}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=PG_DUMP_TIMEOUT_SECONDS,
        env=environment,
    )
    if result.returncode != 0:
        said = result.stderr.strip().splitlines()
        raise Unavailable(f"pg_dump failed: {said[-1] if said else f'exit status {result.returncode}'}")
