"""Engines and units of work.

One engine per process, made by the entry point (never at import). A ``UnitOfWork`` is one transaction:
a CLI command, a console action, one mail message. It commits once, so a write and its audit entry land
together or not at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from hotline.core.clock import Clock, SystemClock
from hotline.core.errors import (
    DatabaseFailure,
    HotlineError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from hotline.core.text import printable

if TYPE_CHECKING:
    from sqlmodel import Session

    from hotline.core.models import Operator
    from hotline.core.models.enums import Role

_T = TypeVar("_T")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Reading through memory mapping saves a copy per page: full-text doclists and the lookup index are big.
SQLITE_MMAP_BYTES = 1 << 30


def default_database_url() -> str:
    """The embedded database: ``$XDG_DATA_HOME/hotline/hotline.db``."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{data_home / 'hotline' / 'hotline.db'}"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_label(url: str | URL) -> str:
    """The database as an operator recognises it: the SQLite file name, or the server and the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite {Path(parsed.database or ':memory:').name}"
    return f"postgresql {parsed.host or 'localhost'}/{parsed.database}"


def database_files(url: str | URL) -> list[tuple[Path, str]]:
    """The files of a SQLite database (with its journal, WAL and shared-memory files), each with what it
    is, so no command writes an export or an error list over them; none for a server."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    path = Path(parsed.database).expanduser()
    return [(path, "the database")] + [
        (path.with_name(path.name + suffix), "a file of the database")
        for suffix in ("-wal", "-shm", "-journal")
    ]


def make_engine(url: str, *, echo: bool = False, create_folder: bool = False) -> Engine:
    """An engine for a SQLite file or a PostgreSQL URL; a malformed URL is ``Unavailable`` (exit 1).

    A SQLite file in a folder that does not exist is ``InvalidInput`` (a mistyped path must not become a
    new empty database), unless ``create_folder`` (the default location, made on first use).
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number fails here, not at the first query
    except (ArgumentError, ValueError):
        raise Unavailable(f"malformed database URL: {printable(url)!r}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, parsed.database, echo=echo, create_folder=create_folder)
        if parsed.get_backend_name() == "postgresql":
            return create_engine(
                url,
                echo=echo,
                pool_pre_ping=True,
                # Automatic server-side prepared statements made trigram queries slower here.
                connect_args={"prepare_threshold": None, "connect_timeout": 5},
            )
    except NoSuchModuleError:
        pass
    except InvalidInput:
        raise
    except (ArgumentError, ValueError) as error:
        raise Unavailable(f"malformed database URL: {printable(url)!r} ({error})") from None
    raise Unavailable(f"unsupported database URL (use sqlite:///FILE or postgresql://...): {url!r}")


def _sqlite_engine(url: str, database: str | None, *, echo: bool, create_folder: bool) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise InvalidInput(f"no such folder for the database file: {folder}", where="--db")
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN: two writers queue on the busy timeout instead of
        # failing when a read lock cannot be upgraded.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def driver_connection(connection: Connection) -> Any:
    """The DB-API connection under a SQLAlchemy connection (sqlite3 or psycopg), in the same transaction.

    The one way into the driver: the lookup, knowledge-base, import and demo hot paths use it where
    SQLAlchemy's per-row work would cost more than the SQL itself.
    """
    driver = connection.connection.driver_connection
    assert driver is not None, "the connection is closed"
    return driver


def database_error_reason(error: BaseException) -> str:
    """The first line of what the database driver said (SQLAlchemy keeps it in ``orig``)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def classify_database_error(error: BaseException) -> HotlineError | None:
    """The one reading of a database failure for every face (CLI, console, poller).

    A server that cannot be reached, a locked SQLite file, a dropped connection: ``Unavailable`` (exit 1).
    Any other error the driver raised: ``DatabaseFailure`` (exit 1). ``None`` when ``error`` did not come
    from the database (SQLAlchemy, or the sqlite3/psycopg drivers used directly on the hot paths).
    """
    import sqlite3

    import psycopg
    from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

    reason = database_error_reason(error)
    unreachable = (
        OperationalError,
        InterfaceError,
        sqlite3.OperationalError,
        sqlite3.InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )
    if isinstance(error, unreachable):
        return Unavailable(f"database unavailable: {reason}")
    if isinstance(error, SQLAlchemyError | sqlite3.Error | psycopg.Error):
        return DatabaseFailure(f"database error: {reason}")
    return None


def is_database_busy(error: BaseException) -> bool:
    """Whether ``error`` says another writer holds the lock (SQLite's "database is locked", a PostgreSQL
    lock or serialisation failure): trying again later may well succeed."""
    reason = database_error_reason(error).lower()
    if "database is locked" in reason or "database is busy" in reason or "database table is locked" in reason:
        return True
    import psycopg

    cause = getattr(error, "orig", None) or error
    errors = psycopg.errors
    return isinstance(cause, errors.LockNotAvailable | errors.SerializationFailure | errors.DeadlockDetected)


def retry_while_busy(work: Callable[[], _T], *, patience_seconds: float, pause_seconds: float = 0.2) -> _T:
    """Run ``work`` (one whole unit of work) again while the database is busy, for up to
    ``patience_seconds``: what must not be lost to a long write elsewhere (a screen pop) waits its turn."""
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            return work()
        except Exception as error:
            if not is_database_busy(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause_seconds)


def check_connection(engine: Engine) -> None:
    """Connect once, so an unreachable server is reported as one line and exit 1."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        reason = database_error_reason(error)
        raise Unavailable(f"cannot reach the database {engine.url.render_as_string()}: {reason}") from None


def check_operator(engine: Engine, login: str) -> None:
    """Refuse a login that is unknown (``NotFound``) or deactivated (``PermissionDenied``), both exit 2:
    the console checks it before its first frame, so an operator whose every save would fail never gets
    one. Plain SQL on purpose: the ORM is loaded after the first frame."""
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT active FROM operator WHERE login = :login"), {"login": login}
        ).first()
    if row is None:
        raise NotFound(f"unknown operator {login!r} (add it with: hotline operators add)")
    if not row[0]:
        raise PermissionDenied(f"operator {login!r} is deactivated")


class UnitOfWork:
    """One transaction on behalf of an operator (or of the system, with no login).

    ``readonly`` units take no write lock on SQLite; everything else begins IMMEDIATE there.
    """

    session: Session

    def __init__(
        self,
        engine: Engine,
        *,
        actor_login: str | None = None,
        clock: Clock | None = None,
        readonly: bool = False,
    ) -> None:
        self.engine = engine
        self.actor_login = actor_login
        self.clock: Clock = clock or SystemClock()
        self.readonly = readonly
        self._actor: Operator | None = None

    def __enter__(self) -> Self:
        # The ORM and the tables are loaded on the first unit of work, not when the engine is made:
        # the console paints its first frame before they are needed.
        from sqlmodel import Session

        bind = self.engine
        if bind.dialect.name == "sqlite" and not self.readonly:
            bind = bind.execution_options(sqlite_begin="IMMEDIATE")
        self.session = Session(bind, expire_on_commit=False)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                self.session.rollback()
            elif not self.readonly:
                self.session.commit()
            # A read-only unit just closes: what it loaded stays readable after the block.
        finally:
            self.session.close()

    def now(self) -> datetime:
        """The unit's clock."""
        return self.clock.now()

    @property
    def actor(self) -> Operator | None:
        """The acting operator; ``None`` for the system (cron, the poller). An unknown login is NotFound."""
        if self.actor_login is None:
            return None
        if self._actor is None:
            from sqlmodel import select

            from hotline.core.models import Operator

            found = self.session.exec(select(Operator).where(Operator.login == self.actor_login)).first()
            if found is None:
                raise NotFound(f"unknown operator {self.actor_login!r} (add it with: hotline operators add)")
            self._actor = found
        return self._actor

    @property
    def actor_name(self) -> str:
        """How the actor is written in audit entries and events."""
        return self.actor_login or "system"

    def require_role(self, *allowed: Role) -> None:
        """Refuse the operation unless the actor has one of ``allowed`` (the system may do anything)."""
        if self.actor_login is None:
            return
        actor = self.actor
        assert actor is not None
        if not actor.active:
            raise PermissionDenied(f"operator {actor.login!r} is deactivated")
        if actor.role not in {role.value for role in allowed}:
            wanted = " or ".join(role.value for role in allowed)
            raise PermissionDenied(f"operator {actor.login!r} is a {actor.role}; this needs {wanted}")
