"""Engines and units of work.

One engine per process, made by the entry point (never at import). A ``UnitOfWork`` is one transaction:
a CLI command, a console action, one mail message. It commits once, so a write and its audit entry land
together or not at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from hotline.core.clock import Clock, SystemClock
from hotline.core.contact_handout import HANDS_OUT
from hotline.core.contact_handout import refusal_of as contact_refusal
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

    from hotline.core.enums import Role
    from hotline.core.models import Operator
    from hotline.core.rules.book import RuleBook
    from hotline.core.settings import DatabaseSettings

_T = TypeVar("_T")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Reading through memory mapping saves a copy per page: full-text doclists and the lookup index are big.
SQLITE_MMAP_BYTES = 1 << 30
# The direct URL each PostgreSQL engine's LISTEN connection uses, keyed by the engine's pool (shared by
# every ``execution_options`` copy of the engine).
_LISTEN_URLS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# The pools of PostgreSQL engines whose URL goes through a transaction pooler (``pooler = "transaction"``).
_BEHIND_POOLER: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


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


_USER_PASSWORD = re.compile(r"^([a-z0-9+.-]+://[^:@/?#]*):[^@]*@", re.IGNORECASE)
_PASSWORD_PARAMETER = re.compile(r"([?&](?:ssl)?password=)[^&#]*", re.IGNORECASE)


def shown_url(url: str | URL) -> str:
    """The URL as a message may show it: the password hidden, the user part's and ``?password=`` (libpq
    reads both) and a key's ``sslpassword``; works on a URL too malformed to parse."""
    text_ = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    return _PASSWORD_PARAMETER.sub(r"\1***", _USER_PASSWORD.sub(r"\1:***@", text_))


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


def make_engine(
    url: str,
    *,
    echo: bool = False,
    create_folder: bool = False,
    create_file: bool = True,
    database: DatabaseSettings | None = None,
) -> Engine:
    """An engine for a SQLite file or a PostgreSQL URL; a malformed URL is ``Unavailable`` (exit 1).

    A SQLite file in a folder that does not exist is ``InvalidInput`` (a mistyped path must not become a
    new empty database), unless ``create_folder`` (the default location, made on first use); so is a
    missing file unless ``create_file`` (``db init`` and ``db upgrade``) or ``create_folder``.
    ``database`` (the ``[database]`` settings) sizes the PostgreSQL pool and names the direct URL the
    live-update watcher listens on when ``url`` goes through a transaction pooler.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number fails here, not at the first query
    except (ArgumentError, ValueError):
        hint = f" (a file is sqlite:///{printable(url)})" if url.startswith(("/", "./", "../")) else ""
        raise Unavailable(f"malformed database URL: {printable(shown_url(url))!r}{hint}") from None
    if parsed.get_backend_name() == "sqlite" and (parsed.database or "").startswith("~"):
        # SQLite opens ``~/hotline.db`` as written (a folder named "~" here): the file it names is used.
        parsed = parsed.set(database=str(Path(parsed.database or "").expanduser()))
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite" and _in_memory(parsed):
        # "database ready at revision …" (exit 0), and the database went with the process.
        raise InvalidInput(
            "a database in memory is gone when the command ends: name a file (sqlite:///PATH)", where="--db"
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(
                url, parsed.database, echo=echo, create_folder=create_folder, create_file=create_file
            )
        if parsed.get_backend_name() == "postgresql":
            return _postgres_engine(url, echo=echo, database=database)
    except NoSuchModuleError:
        pass
    except InvalidInput:
        raise
    except (ArgumentError, ValueError) as error:
        raise Unavailable(f"malformed database URL: {printable(shown_url(url))!r} ({error})") from None
    raise Unavailable(
        f"unsupported database URL (use sqlite:///FILE or postgresql://...): {shown_url(url)!r}"
    )


def _in_memory(parsed: URL) -> bool:
    """Whether a SQLite URL names no file: ``sqlite://``, ``:memory:``, or a ``mode=memory`` URI."""
    mode = parsed.query.get("mode")
    return (
        parsed.database in (None, "", ":memory:")
        or mode == "memory"
        or (isinstance(mode, tuple) and "memory" in mode)
    )


def _postgres_engine(url: str, *, echo: bool, database: DatabaseSettings | None) -> Engine:
    if database is None:
        from hotline.core.settings import DatabaseSettings

        database = DatabaseSettings()
    engine = create_engine(
        url,
        echo=echo,
        # No ``pool_pre_ping``: it cost every unit of work a round trip (one of a card open's eight
        # through PgBouncer). ``_check_on_checkout`` looks at the socket instead, and pings only a
        # connection that sat idle long enough for something on the way to the server to drop it.
        pool_pre_ping=False,
        # Small and releasing: ``pool_size`` connections stay open while idle, a burst opens up to
        # ``max_overflow`` more and closes them as they come back (see ``DatabaseSettings``).
        pool_size=database.pool_size,
        max_overflow=database.max_overflow,
        pool_timeout=database.pool_timeout_seconds,
        # No server-side prepared statements, ever: behind PgBouncer in transaction mode (1.18 has no
        # protocol-level support) the next transaction may run on a server connection that never saw
        # the statement; and automatic preparing made trigram queries slower here anyway.
        connect_args={"prepare_threshold": None, "connect_timeout": 5},
    )
    if database.listen_url is not None:
        _LISTEN_URLS[engine.pool] = normalise_url(database.listen_url)
    if database.pooler == "transaction":
        _BEHIND_POOLER[engine.pool] = True
    event.listen(engine, "checkout", _check_on_checkout)
    event.listen(engine, "checkin", _note_return)
    return engine


# A pooled connection given back longer ago than this is pinged (one round trip) before it is used again:
# a firewall or a NAT may forget an idle connection without a word. A busy console reuses its
# connection within seconds and pays nothing.
PING_AFTER_IDLE_SECONDS = 30.0
_RETURNED_AT = "hotline.returned_at"


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RETURNED_AT] = time.monotonic()


def connection_lost(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection is gone, seen without a round trip: an idle connection has
    nothing to read, so a readable socket is the server's goodbye (``pg_terminate_backend``, a restart,
    PgBouncer closing the client) or its end of file."""
    import select

    from psycopg.pq import ConnStatus

    if dbapi_connection.closed or dbapi_connection.pgconn.status != ConnStatus.OK:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _check_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """The pool's check before lending a PostgreSQL connection (instead of ``pool_pre_ping``): raising
    ``DisconnectionError`` makes the pool drop it and lend a fresh one, so the unit of work never sees it."""
    from sqlalchemy.exc import DisconnectionError

    if connection_lost(dbapi_connection):
        raise DisconnectionError("the server closed the connection while it was idle")
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        # Outside a transaction: the unit of work's own BEGIN stays its own (what ``do_ping`` does).
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as error:
        raise DisconnectionError(f"the connection did not answer a ping: {error}") from error


def listen_conninfo(engine: Engine) -> str:
    """The libpq URL the live-update watcher's ``LISTEN`` connection uses: the ``[database] listen_url``
    the engine was made with (a transaction pooler cannot hold a LISTEN), else the engine's own URL."""
    direct = _LISTEN_URLS.get(engine.pool)
    parsed = make_url(direct) if direct is not None else engine.url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_engine(
    url: str, database: str | None, *, echo: bool, create_folder: bool, create_file: bool
) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise InvalidInput(f"no such folder for the database file: {folder}", where="--db")
        path = Path(database).expanduser()
        if not create_file and not create_folder and not os.path.lexists(path):
            # A typo made an empty database there for any command, which then said "no schema yet".
            raise InvalidInput(
                f"no database file {printable(str(path))} (`hotline db init` makes one)", where="--db"
            )
        _create_private(path)
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


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file ``url`` names and that does not exist (as a message shows it),
    else ``None`` (it exists, or ``url`` is no SQLite file)."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    if os.path.lexists(path) or not path.parent.is_dir():  # a missing folder is said where it is checked
        return None
    return printable(str(path))


def _create_private(path: Path) -> None:
    """Create a missing database file owner-only (0600) before SQLite opens it: SQLite makes it with the
    umask's mode (0644, readable by every local user), and the schema and data went in before
    ``restrict_sqlite_file`` narrowed it, or without it when ``db init`` was then refused."""
    with contextlib.suppress(OSError):  # it exists, or cannot be made here: SQLite says why, as before
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def may_prepare(connection: Connection) -> bool:
    """Whether a statement prepared on this connection's server session is there for the next
    transaction: PostgreSQL reached directly, not through a transaction pooler (which may run the next
    transaction on a server connection that never saw the statement)."""
    return connection.dialect.name == "postgresql" and connection.engine.pool not in _BEHIND_POOLER


def begin_with(driver: Any, statement: str) -> bool:
    """Open the transaction with ``statement`` in one round trip, where psycopg would send its ``BEGIN``
    alone first; False (nothing done) when a transaction is open already or psycopg's ``BEGIN`` would
    carry options. Both go as one simple query through libpq (``pgconn``, psycopg's documented way to
    low-level commands); psycopg reads the transaction status from libpq, so it then sends no ``BEGIN``
    of its own, and ends the transaction as usual."""
    import psycopg
    from psycopg.pq import ExecStatus, TransactionStatus

    plain = driver.isolation_level is None and driver.read_only is None and not driver.deferrable
    if driver.autocommit or not plain or driver.info.transaction_status != TransactionStatus.IDLE:
        return False
    result = driver.pgconn.exec_(f"BEGIN; {statement}".encode())
    if result.status != ExecStatus.TUPLES_OK:
        if result.status == ExecStatus.FATAL_ERROR:
            raise psycopg.errors.error_from_result(result)  # with its SQLSTATE (a refusal says who refused)
        message = (result.error_message or driver.pgconn.error_message).decode(errors="replace")
        raise psycopg.OperationalError(message.strip() or "could not begin the transaction")
    return True


def copies_into(connection: Connection, table: str) -> bool:
    """Whether ``COPY … FROM`` may write ``table``: PostgreSQL refuses it where row security holds the
    acting role (every role but a superuser, one with ``BYPASSRLS`` and the table's owner), as it does
    an admin's on the contact points (``contact_handout``); an ``INSERT`` is checked row by row instead."""
    if connection.dialect.name != "postgresql":
        return False
    allowed = connection.execute(
        text(
            "SELECT NOT c.relrowsecurity OR r.rolsuper OR r.rolbypassrls"
            " OR pg_has_role(current_user, c.relowner, 'USAGE')"
            " FROM pg_class c, pg_roles r WHERE c.oid = to_regclass(:table) AND r.rolname = current_user"
        ),
        {"table": table},
    ).scalar()
    return allowed is None or bool(allowed)


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


def is_permission_denied(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL's own privilege check refusing the acting role a table, sequence or
    schema ("permission denied for …"): for a console already open, its operator's group roles were
    revoked (deactivated). Hotline's triggers raise the same SQLSTATE (an audit entry forged, a role
    remapping itself, migrations 0017 and 0018) with messages of their own: those are not this."""
    import psycopg

    cause = getattr(error, "orig", None) or error
    if not isinstance(cause, psycopg.errors.InsufficientPrivilege):
        return False
    return (cause.diag.message_primary or "").startswith("permission denied for ")


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
        # a text file, say: the wrong file, not a server down
        if getattr(error.orig, "sqlite_errorname", None) == "SQLITE_NOTADB":
            raise InvalidInput(
                f"{printable(engine.url.database or '')} is not a SQLite database file", where="--db"
            ) from None
        if _login_refused(error):  # who you are is refused, as an unknown or deactivated login is: exit 2
            raise PermissionDenied(f"the database refused the login: {reason}") from None
        raise Unavailable(f"cannot reach the database {shown_url(engine.url)}: {reason}") from None


_REFUSED_LOGIN = re.compile(r'role ".*" (is not permitted to log in|does not exist)|password authentication')


def _login_refused(error: DBAPIError) -> bool:
    """PostgreSQL refused the role itself (SQLSTATE class 28: a ``NOLOGIN`` role, as ``operators
    deactivate`` leaves one, a role that does not exist, a wrong password), not the server's reach."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if sqlstate is not None:
        return str(sqlstate).startswith("28")
    text_of = str(getattr(error, "orig", error))  # a refused connection carries no SQLSTATE, only its text
    return bool(
        re.search(r'role ".*" (is not permitted to log in|does not exist)|password authentication', text_of)
    )


class UnitOfWork:
    """One transaction on behalf of an operator (or of the system, with no login).

    ``readonly`` units take no write lock on SQLite; everything else begins IMMEDIATE there. ``via`` says
    where the work comes from (``cli: hotline tickets create``, ``console``, ``poller``, ``cron: ...``)
    and goes into every audit entry; ``invoker_login`` is whoever started a system run (cron, the PBX):
    the system writes, but only what the invoker's role allows.
    """

    session: Session

    def __init__(
        self,
        engine: Engine,
        *,
        actor_login: str | None = None,
        clock: Clock | None = None,
        readonly: bool = False,
        via: str = "system",
        invoker_login: str | None = None,
        rules: RuleBook | None = None,
    ) -> None:
        self.engine = engine
        self.actor_login = actor_login
        self.clock: Clock = clock or SystemClock()
        self.readonly = readonly
        self.via = via
        self.invoker_login = invoker_login
        self.rules = rules
        """The event rules the service operations run (``hotline.core.rules``); None: no rules."""
        self._actor: Operator | None = None
        self._invoker: Operator | None = None

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
        refused = None if exc is None else contact_refusal(exc)
        if refused is not None:
            # The role's budget of clients' contact points spent, or not made yet (0021): a refusal
            # like any other, said in one line and audited.
            try:
                self.refuse("read", f"the database refused: {refused}", entity="client")
            finally:
                self.session.close()
        try:
            if exc_type is not None:
                self.session.rollback()
            elif not self.readonly:
                self.session.commit()
            else:
                # A read-only unit just closes: what it loaded stays readable after the block.
                self._end_reading()
        finally:
            self.session.close()

    def _end_reading(self) -> None:
        """End a read-only unit's PostgreSQL transaction with a ``ROLLBACK`` (a ``COMMIT`` where it handed
        clients' contact points out) said to libpq directly.

        The same rollback the session's close would send, but psycopg's own also forgets every statement
        prepared on the connection (a rolled-back transaction may have made what one refers to; a
        read-only unit makes nothing): the lookup's statements (``plans_kept``) would be prepared again,
        a round trip each, at every keystroke. psycopg reads the transaction's state from libpq, so the
        session's rollback that follows finds nothing to do.
        """
        if not self.session.in_transaction() or self.engine.dialect.name != "postgresql":
            return
        from psycopg.pq import TransactionStatus

        driver = driver_connection(self.session.connection())
        if driver.info.transaction_status == TransactionStatus.INTRANS:
            # What it handed out to the role (``contact_handout``) is kept: rolled back, it would be
            # handed out, and paid for, again at the next keystroke. Without waiting for the disk: the
            # ledger is unlogged (a crash empties it anyway) and a read-only unit wrote nothing else.
            ending = (
                b"SET LOCAL synchronous_commit TO off; COMMIT"
                if self.session.info.get(HANDS_OUT)
                else b"ROLLBACK"
            )
            driver.pgconn.exec_(ending)

    def now(self) -> datetime:
        """The unit's clock."""
        return self.clock.now()

    def _find_operator(self, login: str) -> Operator:
        from sqlmodel import select

        from hotline.core.models import Operator

        found = self.session.exec(select(Operator).where(Operator.login == login)).first()
        if found is None:
            raise NotFound(f"unknown operator {login!r} (add it with: hotline operators add)")
        return found

    @property
    def actor(self) -> Operator | None:
        """The acting operator; ``None`` for the system (cron, the poller). An unknown login is NotFound."""
        if self.actor_login is None:
            return None
        if self._actor is None:
            self._actor = self._find_operator(self.actor_login)
        return self._actor

    @property
    def actor_pending(self) -> bool:
        """Whether the acting operator has still to be read: a statement that reads more can bring it
        along (``adopt_actor``) and save the round trip of its own."""
        return self.actor_login is not None and self._actor is None

    def adopt_actor(self, operator: Operator) -> None:
        """Take ``operator``, read by a statement of this unit, as the actor (it must be that login)."""
        if operator.login != self.actor_login:
            raise ValueError(f"{operator.login!r} is not the acting operator {self.actor_login!r}")
        self._actor = operator

    @property
    def actor_name(self) -> str:
        """How the actor is written in audit entries and events."""
        return self.actor_login or "system"

    @property
    def _responsible(self) -> Operator | None:
        """The operator whose role bounds this unit: the actor, or the invoker of a system run."""
        if self.actor_login is not None:
            return self.actor
        if self.invoker_login is None:
            return None
        if self._invoker is None:
            self._invoker = self._find_operator(self.invoker_login)
        return self._invoker

    def authorize(
        self, operation: str, *, entity: str = "operation", entity_id: object | None = None
    ) -> None:
        """Refuse ``operation`` (``PermissionDenied``, exit 2) unless the operator may perform it by the
        permission table; the system itself may do anything. A refusal is recorded in the audit trail."""
        from hotline.core.authority import least_role, refusal_message

        least_role(operation)
        operator = self._responsible
        if operator is None:
            return
        reason = refusal_message(
            login=operator.login, role=operator.role, active=operator.active, operation=operation
        )
        if reason is not None:
            rule = "role" if operator.active else None
            self.refuse(operation, reason, entity=entity, entity_id=entity_id, rule=rule)

    def may(self, operation: str) -> bool:
        """Whether the operator may perform ``operation``: a question a form asks before offering it, not an
        attempt (nothing is audited; the operation itself still calls :meth:`authorize`)."""
        from hotline.core.authority import allows, least_role

        least_role(operation)
        operator = self._responsible
        return operator is None or (operator.active and allows(operator.role, operation))

    def require_role(self, *allowed: Role) -> None:
        """Older form of :meth:`authorize` (kept so branches written against it still merge): refuse,
        audited, unless the operator is active and has one of ``allowed``. New code names an operation."""
        operator = self._responsible
        if operator is None:
            return
        if not operator.active:
            self.refuse("read", f"operator {operator.login!r} is deactivated")
        if operator.role not in {role.value for role in allowed}:
            wanted = " or ".join(role.value for role in allowed)
            self.refuse("role", f"operator {operator.login!r} is a {operator.role}; this needs {wanted}")

    def require_active(self) -> None:
        """Refuse any write by an unknown or deactivated operator (``record_audit`` calls it)."""
        self.authorize("read")

    def refuse(
        self,
        operation: str,
        reason: str,
        *,
        entity: str = "operation",
        entity_id: object | None = None,
        rule: str | None = None,
    ) -> None:
        """Drop what this unit did, record the refused attempt (committed on its own), raise
        (``PermissionDenied`` naming ``operation`` and the ``rule`` that refused it)."""
        from hotline.core.models import AuditEntry

        self.session.rollback()
        self.session.add(
            AuditEntry(
                at=self.now(),
                actor=(self.actor_login or self.invoker_login or "system")[:64],
                action=f"refused:{operation}"[:64],
                entity=entity,
                # often typed by whoever was refused (a login, a report's name): never a control sequence
                entity_id=None if entity_id is None else printable(str(entity_id))[:64],
                after={"reason": reason},
                via=self.via[:200],
            )
        )
        self.session.commit()
        raise PermissionDenied(reason, operation=operation, rule=rule)


def restrict_sqlite_file(engine: Engine, *, group: str | None = None) -> Path | None:
    """Make a SQLite database file (and its WAL files) readable by its owner only, 0600 (an existing file
    keeps its group's access), or by its owner and ``group``, 0660: on SQLite the file's permissions are
    the access boundary. ``None`` on
    PostgreSQL (where a group is ``InvalidInput``); an unknown group is ``InvalidInput``."""
    import grp

    from hotline.core.errors import InvalidInput

    if engine.dialect.name != "sqlite" and group is not None:  # "database ready", exit 0, nothing shared
        raise InvalidInput(
            "shares a SQLite database file with an OS group; on PostgreSQL the database's roles decide"
            " (hotline db grants)",
            where="--group",
        )
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    path = Path(engine.url.database).expanduser()
    if not path.exists():
        path.touch(mode=0o600)
    elif not path.is_file():  # /dev/null: made 0600 for every user of the machine, then "disk I/O error"
        raise InvalidInput(f"not a regular file: {path}", where="--db")
    gid = -1
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise InvalidInput(f"no such group {group!r}", where="--group") from None
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.is_file():
            now = file.stat()
            # Only what is to change: another admin of the group (not the owner) may change neither.
            if gid != -1 and now.st_gid != gid:
                os.chown(file, -1, gid)
            # Without --group a file keeps its group's access (a second ``db init`` made a database shared
            # with the operators' group 0600, and their consoles lost it): only everyone else's goes.
            mode = 0o660 if group is not None else (now.st_mode & 0o660) | 0o600
            if stat.S_IMODE(now.st_mode) != mode:
                file.chmod(mode)
    return path
