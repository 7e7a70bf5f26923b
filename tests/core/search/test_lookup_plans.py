"""The lookup's plans stay index-driven whatever the statistics, and bulk writes leave fresh statistics.

PostgreSQL: a database of its own, its client and lookup tables with autovacuum off and analysed while
empty (statistics deliberately stale), then filled without ANALYZE. Every statement the lookup runs for
each kind of query is recorded and EXPLAINed under the lookup's own planner settings: no sequential
scan of a client or lookup table. The same statements explained without those settings do show
sequential scans (the test would see a regression). SQLite: the same walk with EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import UnitOfWork, driver_connection, make_engine
from hotline.core.search import lookup, rebuild_index, reindex_clients
from hotline.core.search.engine import index_driven_plans
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.statistics import lookup_tables, refresh_statistics, worth_refreshing
from tests.conftest import PG_ADMIN_URL

WATCHED = set(lookup_tables())
FIRST = ["Louise", "Ivan", "Anna", "Peter", "Maria", "Oleg", "Sarah", "Tom"]
LAST = ["Holt", "Ward", "Lane", "Kemp", "Petrov", "Smirnova", "Anderson", "Kuznetsov", "Gray", "Lowe"]
QUERIES = [
    "Holt",  # one word
    "holt louise",  # two words
    "hotl louise",  # a typo in a short word
    "anderosn",  # a typo in a long word
    "007",  # a three-digit phone fragment
    "9261",  # four digits
    "+7 495 926-10-07",  # a whole number
    "petrov@",  # an email fragment
    "@mail.ru",
    "пётр",  # the other alphabet
    "#12",  # a ticket number
]


def _fill(engine: Engine, count: int) -> None:
    with UnitOfWork(engine) as uow:
        ids = []
        for number in range(count):
            first, last = FIRST[number % len(FIRST)], LAST[number % len(LAST)]
            client = create_client(
                uow,
                draft=ClientDraft(
                    first_name=first,
                    last_name=last,
                    phones=[f"+7 495 926-{10 + number // 100:02d}-{number % 100:02d}"],
                    emails=[f"{last.lower()}.{number}@mail.ru"],
                ),
                default_region="RU",
            )
            ids.append(client.id)
        reindex_clients(uow.session, ids)


@pytest.fixture
def stale_pg() -> Iterator[Engine]:
    """A fresh PostgreSQL database whose statistics say the client and lookup tables are empty."""
    admin = make_engine(PG_ADMIN_URL)
    name = f"hotline_plans_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL NOT REACHABLE: {error}")
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            for table in WATCHED:
                connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
            connection.exec_driver_sql(f"ANALYZE {', '.join(sorted(WATCHED))}")
        _fill(engine, 300)
        yield engine
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _recorded(engine: Engine, query: str) -> list[tuple[str, Any]]:
    """The SELECT statements (and their parameters) one lookup sends to the database."""
    seen: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "set_config" not in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            if engine.dialect.name == "sqlite":
                # The lookup talks to sqlite3 directly there: its trace shows each statement, values bound.
                driver = driver_connection(uow.session.connection())
                driver.set_trace_callback(lambda statement: note(None, None, statement, {}, None, False))
                try:
                    lookup(uow.session, query, default_region="RU")
                finally:
                    driver.set_trace_callback(None)
            else:
                lookup(uow.session, query, default_region="RU")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def _pg_scans(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if "Relation Name" in node:
        yield node["Node Type"], node["Relation Name"]
    for child in node.get("Plans", []):
        yield from _pg_scans(child)


def _pg_sequential(engine: Engine, statements: list[tuple[str, Any]], *, hinted: bool) -> set[str]:
    found: set[str] = set()
    with engine.begin() as connection:
        for statement, parameters in statements:
            if hinted:
                with index_driven_plans(connection):
                    rows = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
                    plan = rows.scalar_one()
            else:
                plan = connection.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, parameters
                ).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            found |= {
                f"{relation}: {statement[:80]}"
                for kind, relation in _pg_scans(plan[0]["Plan"])
                if kind == "Seq Scan" and relation in WATCHED
            }
    return found


def test_postgresql_plans_stay_on_indexes_with_stale_statistics(stale_pg: Engine) -> None:
    with stale_pg.connect() as connection:
        analysed = connection.exec_driver_sql(
            "SELECT relname, reltuples FROM pg_class WHERE relname = 'client'"
        ).one()
    assert analysed.reltuples <= 0  # the statistics still say empty: the premise of the test
    statements = [pair for query in QUERIES for pair in _recorded(stale_pg, query)]
    assert len(statements) >= len(QUERIES)
    assert _pg_sequential(stale_pg, statements, hinted=True) == set()
    # Without the lookup's settings the same statements scan tables: the check above can fail.
    assert _pg_sequential(stale_pg, statements, hinted=False)


def test_postgresql_three_digit_fragment_reads_by_index(stale_pg: Engine) -> None:
    statements = _recorded(stale_pg, "007")
    with stale_pg.begin() as connection, index_driven_plans(connection):
        for statement, parameters in statements:
            plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            kinds = {kind for kind, _ in _pg_scans(plan[0]["Plan"])}
            text_plan = json.dumps(plan)
            assert "Seq Scan" not in kinds and "Hash Join" not in text_plan, statement
    with UnitOfWork(stale_pg, readonly=True) as uow:
        hits = lookup(uow.session, "007", default_region="RU")
        during = uow.session.connection().exec_driver_sql("SHOW enable_seqscan").scalar_one()
    with UnitOfWork(stale_pg, readonly=True) as uow:
        after = uow.session.connection().exec_driver_sql("SHOW enable_seqscan").scalar_one()
        again = lookup(uow.session, "007", default_region="RU")  # a new transaction: set again
        assert uow.session.connection().exec_driver_sql("SHOW enable_seqscan").scalar_one() == "off"
    # Transaction-local: the lookup's own transaction plans for indexes, the next one as usual.
    assert hits == again and (during, after) == ("off", "on")


def test_sqlite_plans_stay_on_indexes_with_stale_statistics(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'stale.db'}")
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")  # analysed while empty, then filled
        _fill(engine, 300)
        statements = [pair for query in QUERIES for pair in _recorded(engine, query)]
        assert len(statements) >= len(QUERIES)
        full_scans = set()
        with engine.connect() as connection:
            for statement, parameters in statements:
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                    detail = row[-1]
                    words = detail.split()
                    if words[0] == "SCAN" and words[1] in WATCHED and "INDEX" not in detail:
                        full_scans.add(f"{detail}: {statement[:80]}")
        assert full_scans == set()
    finally:
        engine.dispose()


@pytest.mark.parametrize(("added", "total", "expected"), [(0, 0, False), (499, 10_000, False),
                                                         (500, 1_000_000, True), (10, 100, True),
                                                         (9, 100, False)])  # fmt: skip
def test_worth_refreshing(added: int, total: int, expected: bool) -> None:
    assert worth_refreshing(added, total) is expected


def _analysed(engine: Engine) -> dict[str, int]:
    """Per table, rows the statistics know of: pg_class.reltuples / sqlite_stat1's first figure."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('client', 'client_phone')"
            )
            return {name: int(tuples) for name, tuples in rows}
        rows = connection.exec_driver_sql(
            "SELECT tbl, max(CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER)) FROM sqlite_stat1"
            " WHERE tbl IN ('client', 'client_phone') GROUP BY tbl"
        )
        return dict(rows.all())


def test_bulk_writes_leave_fresh_statistics(engine: Engine) -> None:
    _fill(engine, 40)
    assert refresh_statistics(engine, added=3) is False  # a few rows of 40: not a bulk write
    assert refresh_statistics(engine, added=40) is True
    assert _analysed(engine) == {"client": 40, "client_phone": 40}
    _fill(engine, 20)
    with UnitOfWork(engine) as uow:
        rebuild_index(uow.session)
    assert _analysed(engine) == {"client": 60, "client_phone": 60}
