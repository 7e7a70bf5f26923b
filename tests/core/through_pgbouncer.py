"""Fixtures that run a test module through a real PgBouncer in transaction mode.

A module imports ``bouncer``, ``backend``, ``database_url`` and ``engine`` from here: they replace the
shared ones, so the storage tests it imports (lookup, cards, calls, tickets, mail intake, escalation,
imports) run unchanged with every unit of work going through the pooler. The module gets a database of
its own (created and dropped here) and a PgBouncer of its own (stopped by its pid).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import make_engine
from hotline.core.settings import DatabaseSettings
from tests.conftest import PG_ADMIN_URL, _truncate_all
from tests.pgbouncer import Bouncer, pgbouncer_missing, running_pgbouncer

SERVER_CONNECTIONS = 3
"""PgBouncer's pool for the test database: fewer server connections than the tests' threads."""


def pooled_settings(bouncer: Bouncer) -> DatabaseSettings:
    """What a deployment behind this PgBouncer writes in ``[database]``."""
    return DatabaseSettings(pooler="transaction", listen_url=bouncer.direct_url)


@pytest.fixture(scope="module")
def bouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bouncer]:
    """A fresh database migrated to head through PgBouncer (transaction mode, 3 server connections)."""
    missing = pgbouncer_missing()
    if missing:
        pytest.skip(f"PGBOUNCER TESTS SKIPPED: {missing}")
    admin = make_engine(PG_ADMIN_URL)
    name = f"hotline_test_pgb_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL NOT REACHABLE at {PG_ADMIN_URL}: {str(error).splitlines()[0]}")
    direct_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        folder = tmp_path_factory.mktemp("pgbouncer")
        with running_pgbouncer(direct_url, Path(folder), pool_size=SERVER_CONNECTIONS) as running:
            engine = make_engine(running.url, database=pooled_settings(running))
            try:
                migrate.upgrade(engine)  # the migrations themselves run through the pooler
            finally:
                engine.dispose()
            yield running
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def backend() -> str:
    """PostgreSQL (behind PgBouncer): tests that branch on the backend take the PostgreSQL path."""
    return "postgresql"


@pytest.fixture
def database_url(bouncer: Bouncer) -> Iterator[str]:
    """The PgBouncer URL of an emptied database at head."""
    _empty(bouncer.direct_url)
    try:
        yield bouncer.url
    finally:
        _empty(bouncer.direct_url)


def _empty(url: str) -> None:
    """Empty every table, leaving no connection open (the tests count the server's connections)."""
    cleaner = make_engine(url)
    try:
        _truncate_all(cleaner)
    finally:
        cleaner.dispose()


@pytest.fixture
def engine(database_url: str, bouncer: Bouncer) -> Iterator[Engine]:
    """An engine through PgBouncer, made as ``hotline`` makes it from ``[database] pooler = "transaction"``."""
    engine = make_engine(database_url, database=pooled_settings(bouncer))
    try:
        yield engine
    finally:
        engine.dispose()
