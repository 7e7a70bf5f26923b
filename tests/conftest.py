"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

Console tests (``tests/tui``) drive the screens through the same services: they run on SQLite, and on
PostgreSQL too where the backend changes what the console sees (live updates, screen pops, writers on
other connections): those modules or tests carry ``@pytest.mark.both_backends``. The long tests are
handed out first, so no worker is left with one at the end.

PostgreSQL is reached at ``HOTLINE_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
each test session creates its own database and drops it at the end. If the server cannot be reached the
PostgreSQL variants are skipped with the reason, and the summary says so in capitals.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from hotline.core import migrate
from hotline.core.clock import Clock, FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.services.mail.sending import MailSending, SendingAccount

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]
# A Monday, 10:00 in Moscow: inside business hours, so SLA tests start from a plain moment.
TEST_NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
SENDING = MailSending(
    accounts=(
        SendingAccount(name="support", queue="Support", from_address="support@example.com", has_smtp=True),
    )
)
"""One account that can send: what ``reply_ticket`` needs when a test is not about sending accounts."""

_pg_skip_reason: list[str] = []

TEST_ROLE_PREFIX = os.environ.setdefault(
    f"TESTS_PG_ROLES_OF_{os.getpid()}", f"hlt{os.getpid()}x{uuid.uuid4().hex[:6]}"
)
"""PostgreSQL roles are the cluster's, not a database's: dropping the test database leaves them. Every role
a test makes carries this prefix (per session, so per xdist worker: two workers never share a name): the
group roles of ``db grants`` (``HOTLINE_PG_ROLE_PREFIX``, set for the whole session, subprocesses too), and
the login roles tests name. ``database_url`` drops them after each test (with the login roles hotline made
in those groups); any left at the end of the session is an error (``pg_database_url``). Kept by process
id in the environment: pytest loads this file as ``conftest`` and tests import it as ``tests.conftest``,
two modules that must agree."""
os.environ["HOTLINE_PG_ROLE_PREFIX"] = TEST_ROLE_PREFIX


def session_roles(connection: Connection) -> list[str]:
    """The roles this session made: named with ``TEST_ROLE_PREFIX``, and the members of its group roles
    (``operators add`` names a login role after the login), members first so they drop first."""
    rows = connection.execute(
        text(
            "WITH ours AS (SELECT oid FROM pg_roles WHERE starts_with(rolname, :prefix))"
            " SELECT r.rolname FROM pg_roles r"
            " WHERE r.oid IN (SELECT oid FROM ours)"
            " OR r.oid IN (SELECT member FROM pg_auth_members WHERE roleid IN (SELECT oid FROM ours))"
            " ORDER BY r.rolcanlogin DESC, r.rolname"
        ),
        {"prefix": TEST_ROLE_PREFIX},
    )
    return [row[0] for row in rows]


def drop_session_roles(engine: Engine) -> list[str]:
    """Drop the roles this session made (their privileges in the test database first); their names."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        roles = session_roles(connection)
        for role in roles:
            quoted = '"' + role.replace('"', '""') + '"'
            connection.exec_driver_sql(f"DROP OWNED BY {quoted}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {quoted}")
        return roles


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (per xdist worker), migrated to head."""
    admin = make_engine(PG_ADMIN_URL)
    name = f"hotline_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        reason = f"PostgreSQL NOT REACHABLE at {PG_ADMIN_URL}: {str(error).splitlines()[0]}"
        _pg_skip_reason.append(reason)
        pytest.skip(reason)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        # The guard: ``database_url`` drops the roles of each test; what is left here a test made
        # around it (and did not drop). Dropped all the same, then the session ends in an error.
        dropper = make_engine(url)
        left = drop_session_roles(dropper)
        dropper.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            left += session_roles(connection)
        admin.dispose()
        if left:
            raise AssertionError(
                f"POSTGRESQL ROLES LEFT BEHIND by the tests (cluster-wide): {', '.join(left)}"
            )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


_BIG_TABLE_BYTES = 1 << 20
"""A table past this size (a bulk import's rows, or the dead rows earlier deletes left) is truncated."""


def _truncate_all(engine: Engine) -> None:
    """Empty every table but ``alembic_version`` and restart every used sequence at its start.

    ``TRUNCATE`` of all forty tables (what this did) gives each table and index a new file: 0.5-1 s
    on a loaded machine, twice per PostgreSQL test, most of those tests' time. Most tests leave a few
    rows in a few tables, so only the tables holding rows are emptied, with ``DELETE`` and neither
    triggers nor foreign-key checks (``session_replication_role = replica``, as ``TRUNCATE`` fires no
    row trigger either): a few milliseconds. A big table, or a role that may not skip the checks
    (not a superuser), still gets the ``TRUNCATE``, so no test starts on a bloated table."""
    with engine.begin() as connection:
        rows = connection.execute(
            text(
                "SELECT tablename, pg_relation_size(format('%I.%I', schemaname, tablename)),"
                " current_setting('is_superuser') = 'on'"
                " FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).all()
        if not rows:
            return
        holding = ", ".join(f"('{name}', EXISTS (SELECT 1 FROM \"{name}\"))" for name, _, _ in rows)
        full = [
            name
            for name, has_rows in connection.execute(text(f"SELECT * FROM (VALUES {holding}) AS t"))
            if has_rows
        ]
        big = any(size > _BIG_TABLE_BYTES for _, size, _ in rows)
        if big or not rows[0][2]:
            quoted = ", ".join(f'"{name}"' for name, _, _ in rows)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        elif full:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for name in full:
                connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend this test runs on."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at head, on the parametrised backend; usable by subprocesses (CLI tests)."""
    if backend == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database_url")
    cleaner = make_engine(url)
    # Emptied before the test, not after it too: what a test leaves, the next PostgreSQL test of this
    # session (worker) empties before it starts, and the session's database is dropped at its end. The
    # second emptying cost each PostgreSQL test its round trips (more on a loaded server) for nothing.
    _truncate_all(cleaner)
    try:
        yield url
    finally:
        drop_session_roles(cleaner)  # the login and group roles its commands made (db grants, operators add)
        cleaner.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database at head: SQLite and PostgreSQL."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at Monday 2026-11-23 10:00 Moscow time."""
    return FixedClock(TEST_NOW)


UowFactory = Callable[..., UnitOfWork]


@pytest.fixture
def uow_factory(engine: Engine, clock: Clock) -> UowFactory:
    """``uow_factory(actor_login=None, clock=None, readonly=False)`` → a UnitOfWork on the test engine."""

    def factory(
        actor_login: str | None = None, clock_: Clock | None = None, readonly: bool = False
    ) -> UnitOfWork:
        return UnitOfWork(engine, actor_login=actor_login, clock=clock_ or clock, readonly=readonly)

    return factory


SLOW_MARKERS = ("tmux", "kamailio", "slow")
"""Handed out first, in this order (the tmux shift is the longest test of all)."""
_console_pg_deselected: list[int] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Console tests' PostgreSQL variants only where marked ``both_backends``; long tests first."""
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("backend") == "postgresql"
        console = item.path.is_relative_to(Path(__file__).parent / "tui")
        if on_pg and console and item.get_closest_marker("both_backends") is None:
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        _console_pg_deselected.append(len(deselected))
    kept.sort(key=_how_soon)
    items[:] = kept


def _how_soon(item: pytest.Item) -> int:
    return next(
        (rank for rank, name in enumerate(SLOW_MARKERS) if item.get_closest_marker(name)), len(SLOW_MARKERS)
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    why = "(the services under them run on both backends in tests/core and tests/cli)"
    if _console_pg_deselected:
        terminalreporter.write_line(
            f"{_console_pg_deselected[0]} console tests run on SQLite only: their PostgreSQL variants are"
            f" deselected {why}"
        )
    elif terminalreporter.config.pluginmanager.hasplugin("dsession"):  # xdist: the workers collected
        terminalreporter.write_line(
            "console tests run on SQLite, and on PostgreSQL only where marked both_backends " + why
        )
    if _pg_skip_reason:
        terminalreporter.section("POSTGRESQL TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(_pg_skip_reason[0], red=True, bold=True)
