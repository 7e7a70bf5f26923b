"""A copy of the whole database while it is in use: SQLite through its backup API, PostgreSQL through
``pg_dump`` (custom format, for ``pg_restore``).

The target must be a new file; the copy is made under a temporary name and linked into place when whole, so a
backup file is whole or absent.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.core.db import database_files, driver_connection
from hotline.core.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

    from hotline.core.db import UnitOfWork

PG_DUMP_TIMEOUT_SECONDS = 3600


def backup_database(uow: UnitOfWork, target: Path | str) -> int:
    """Copy the whole database to the new file ``target`` (admins only); the size written, in bytes.

    Run it in a read-only unit of work, then :func:`record_backup` in a short writing one.
    """
    uow.authorize("db.backup", entity="database", entity_id=Path(target).name)
    if not str(target).strip():  # " " was a file named " " in the current folder
        raise InvalidInput("a blank file name: name the backup's new file", where="FILE")
    target = Path(target)
    engine = uow.engine
    if str(target) == "-":  # elsewhere "-" is standard output: a file named "-" was written instead
        raise InvalidInput(
            "a backup is written to a new file, not to standard output: name one", where="FILE"
        )
    # Never a file of the database, even one absent now: a copy named ``hotline.db-journal`` was taken for a
    # hot journal by the next connection and deleted (a readable one would have been played into it).
    for path, role in database_files(engine.url):
        if _same_path(target, path):
            raise InvalidInput(f"that is {role}; a backup goes to a new file of its own", where=str(target))
    if target.is_dir():
        raise InvalidInput("a folder: name the backup's new file in it", where=str(target))
    if target.exists():
        raise InvalidInput("the backup file exists already; choose a new name", where=str(target))
    if not target.parent.is_dir():
        raise InvalidInput("no such folder", where=str(target))
    # Written beside the target under a name of its own and linked into place when whole: a kill leaves no
    # half copy. (One fixed name, ``.NAME.part``, deleted first: a second backup to the same name deleted
    # the first one's copy in progress, and the first then renamed over the second's finished backup.)
    try:
        # A full copy of the client base: readable by its owner only, as ``db init`` makes the database.
        handle, name = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".part", dir=target.parent)
    except OSError as error:  # a read-only folder: said as the exports say it, naming the file given
        raise InvalidInput(f"cannot write there: {error.strerror or error}", where=str(target)) from None
    os.close(handle)
    partial = Path(name)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial, target)
        else:
            _pg_dump(engine, partial)
        _publish(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _publish(partial: Path, target: Path) -> None:
    """Give the whole copy its name, never over a file that took the name meanwhile (another backup)."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise InvalidInput(
            "the backup file exists already (another backup made it meanwhile); choose a new name",
            where=str(target),
        ) from None
    except OSError:  # a file system without hard links: the rename, after one more look
        if target.exists():
            raise InvalidInput(
                "the backup file exists already; choose a new name", where=str(target)
            ) from None
        os.replace(partial, target)


def _same_path(one: Path, other: Path) -> bool:
    """Whether two names lead to one file, whether or not it exists (links followed where they can be)."""
    try:
        return one.resolve() == other.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return one.absolute() == other.absolute()


def _sqlite_backup(engine: Engine, partial: Path, target: Path) -> None:
    """Page by page through SQLite's online backup, from one of the engine's own connections. A failure
    of the copy names the backup: it said "database unavailable: database or disk is full" when the
    backup's own disk filled up."""
    copy = sqlite3.connect(partial)
    try:
        with engine.connect() as connection:
            source = driver_connection(connection)
            try:
                source.backup(copy)
            except sqlite3.Error as error:
                raise Unavailable(f"the backup to {target} failed: {error}") from None
    finally:
        copy.close()


def record_backup(uow: UnitOfWork, *, target: Path, size: int) -> None:
    """The audit entry of a backup: a full copy of the client base left the database."""
    from hotline.core.services.audit import record_audit

    # The full path: "nightly.db" could not say to which folder the client base went.
    where = os.path.abspath(target)
    record_audit(uow, action="db.backup", entity="database", after={"file": where, "bytes": size})


def pg_dump_command(url: URL, target: Path, *, program: str = "pg_dump") -> tuple[list[str], dict[str, str]]:
    """The argv and the environment of ``pg_dump``: the password (the URL's or its ``?password=``) travels
    in the environment (``PGPASSWORD``, readable only by the same OS user), never on the command line, which
    every user can read in ``/proc/PID/cmdline``; an ``sslpassword``, which libpq takes from no variable,
    is refused."""
    url = url.set(drivername="postgresql")
    if "sslpassword" in url.query:
        raise InvalidInput(
            "a key's passphrase (sslpassword) would show on pg_dump's command line, which every user of the"
            " machine can read: back up with pg_dump and the passphrase typed, or use a key without one",
            where="database_url",
        )
    environment = dict(os.environ)
    environment.pop("PGPASSWORD", None)
    # libpq takes the password from the URL's user part or from its ``password`` parameter.
    given = url.query.get("password")
    if isinstance(given, tuple):  # ``?password=a&password=b``: libpq takes the last
        given = given[-1]
    password = url.password if url.password is not None else given
    if password is not None:
        environment["PGPASSWORD"] = str(password)
    url = url.difference_update_query(["password"])
    # ``URL.set`` ignores None: rebuild the URL without its password.
    dbname = url._replace(password=None).render_as_string(hide_password=False)
    # Row security holds an admin's role on the contact points (``contact_handout``): pg_dump, which by
    # default refuses a table it would not read whole, reads what the policies give her (everything).
    argv = [program, "--format=custom", "--enable-row-security", f"--file={target}", f"--dbname={dbname}"]
    return argv, environment


def _pg_dump(engine: Engine, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise Unavailable("pg_dump is not installed; install the PostgreSQL client tools to back up")
    argv, environment = pg_dump_command(engine.url, target, program=pg_dump)
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, URL from our own settings
            argv,
            capture_output=True,
            text=True,
            check=False,
            timeout=PG_DUMP_TIMEOUT_SECONDS,
            env=environment,
        )
    except subprocess.TimeoutExpired:  # it was a traceback (pg_dump waiting on a lock for ever, say)
        raise Unavailable(
            f"pg_dump did not finish within {PG_DUMP_TIMEOUT_SECONDS:g} s and was stopped;"
            " no backup was written"
        ) from None
    if result.returncode != 0:
        said = result.stderr.strip().splitlines()
        raise Unavailable(f"pg_dump failed: {said[-1] if said else f'exit status {result.returncode}'}")
