"""Fresh planner statistics after bulk writes, on both backends.

A million clients loaded by ``hotline demo`` or an import leave ``client``, ``client_phone`` and
``client_email`` never analysed: PostgreSQL then planned the lookup's contact query as parallel
sequential scans (119 ms of each lookup), and autovacuum is off on some servers and late on all. So
every bulk write ends with ``ANALYZE`` of the tables the lookup reads: demo load and ``rebuild_index``
always, an import when it added ``MIN_ADDED`` clients or ``MIN_SHARE`` of the base.

SQLite analyses with ``analysis_limit`` (a sample of each index: milliseconds instead of seconds at a
million rows, and as good for choosing between indexes), then ``PRAGMA optimize``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CLIENT_TABLES = ("client", "client_phone", "client_email")
MIN_ADDED = 500
MIN_SHARE = 0.10
SQLITE_ANALYSIS_LIMIT = 1000
"""Rows sampled per index by SQLite's ANALYZE (its documented 100–1000 range)."""


def lookup_tables() -> tuple[str, ...]:
    """The client tables and the lookup index's tables: what the lookup's plans depend on."""
    from hotline.core.search.schema import TABLES  # imported here: the search package imports this module

    return (*CLIENT_TABLES, *TABLES)


def analyze(connection: Connection, tables: tuple[str, ...] | None = None) -> None:
    """ANALYZE ``tables`` (default: every table) inside the caller's transaction (both backends allow it)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE" + (f" {', '.join(tables)}" if tables else ""))
        return
    limit = connection.exec_driver_sql("PRAGMA analysis_limit").scalar_one()
    connection.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
    try:
        for table in tables or ("",):
            connection.exec_driver_sql(f"ANALYZE {table}".strip())
        connection.exec_driver_sql("PRAGMA optimize")
    finally:
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {int(limit)}")


def worth_refreshing(added: int, total: int) -> bool:
    """Whether ``added`` new clients out of ``total`` change the tables enough to analyse them again."""
    if added <= 0:
        return False
    return added >= MIN_ADDED or added >= MIN_SHARE * max(total, 1)


def refresh_statistics(engine: Engine, *, added: int, total: int | None = None) -> bool:
    """After an import committed ``added`` clients (``total`` now, counted when not given): ANALYZE
    when it was a bulk write.

    Runs in its own short transaction, so a face calls it after the import's unit of work. Returns
    whether it analysed.
    """
    if added <= 0:
        return False
    with engine.begin() as connection:
        if total is None:
            total = int(connection.exec_driver_sql("SELECT count(*) FROM client").scalar_one())
        if not worth_refreshing(added, total):
            return False
        analyze(connection, lookup_tables())
    return True
