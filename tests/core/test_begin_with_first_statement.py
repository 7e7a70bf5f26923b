"""On PostgreSQL the engine sends each transaction's ``BEGIN`` in one flight with its first statement
(``core.db``): the transaction is as real as psycopg's own, an error in that flight leaves the
connection usable, ``AUTOCOMMIT`` and other isolation levels keep their meaning, statements sent
straight to the driver run inside the unit, and what was queued for a ``BEGIN`` never reaches another
transaction. ``test_pgbouncer`` runs these through PgBouncer in transaction mode too."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError

from hotline.core.db import UnitOfWork, driver_connection, send_with_begin


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("BEGIN and its flight are PostgreSQL's")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS flight_probe (n int)")
        connection.exec_driver_sql("DELETE FROM flight_probe")
    return engine


def _probes(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.exec_driver_sql("SELECT n FROM flight_probe ORDER BY n").scalars())


class Undo(Exception):
    pass


def test_the_first_statement_runs_inside_the_transaction(pg: Engine) -> None:
    def undone() -> None:
        with UnitOfWork(pg) as uow:
            uow.session.execute(text("INSERT INTO flight_probe VALUES (1)"))  # the unit's first statement
            started = uow.session.execute(text("SELECT now(), pg_backend_pid()")).one()
            uow.session.execute(text("SELECT pg_sleep(0.01)"))
            # One transaction: its start time and its server connection stay (also through PgBouncer).
            assert uow.session.execute(text("SELECT now(), pg_backend_pid()")).one() == started
            raise Undo

    with pytest.raises(Undo):
        undone()
    assert _probes(pg) == []  # rolled back with the unit
    with UnitOfWork(pg) as uow:
        uow.session.execute(text("INSERT INTO flight_probe VALUES (2)"))
    assert _probes(pg) == [2]


def test_an_error_in_the_first_flight_rolls_back_and_the_connection_serves_again(pg: Engine) -> None:
    with pytest.raises(DataError, match="division by zero"), UnitOfWork(pg) as uow:
        uow.session.execute(text("SELECT 1 / (n - n) FROM (VALUES (1)) AS v (n)"))
    with UnitOfWork(pg) as uow:
        uow.session.execute(text("INSERT INTO flight_probe VALUES (3)"))
        assert uow.session.execute(text("SELECT count(*) FROM flight_probe")).scalar_one() == 1
    assert _probes(pg) == [3]


def test_autocommit_still_runs_each_statement_on_its_own(pg: Engine) -> None:
    with pg.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM flight_probe")  # refused inside a transaction block
        connection.exec_driver_sql("INSERT INTO flight_probe VALUES (4)")
        connection.rollback()  # nothing to undo: the insert committed on its own
    assert _probes(pg) == [4]


def test_another_isolation_level_is_kept_and_gone_afterwards(pg: Engine) -> None:
    with pg.connect().execution_options(isolation_level="SERIALIZABLE") as connection:
        assert connection.exec_driver_sql("SHOW transaction_isolation").scalar_one() == "serializable"
    for _ in range(2):  # the pooled connection, reset
        with UnitOfWork(pg, readonly=True) as uow:
            level = uow.session.execute(text("SHOW transaction_isolation")).scalar_one()
            assert level == "read committed"
            assert uow.session.execute(text("SELECT now() <> statement_timestamp()")).scalar_one()


def test_statements_straight_to_the_driver_run_inside_the_unit(pg: Engine) -> None:
    def undone() -> None:
        with UnitOfWork(pg) as uow:
            driver = driver_connection(uow.session.connection())  # before any statement of the unit
            driver.execute("INSERT INTO flight_probe VALUES (5)")
            raise Undo

    with pytest.raises(Undo):
        undone()
    assert _probes(pg) == []


def test_a_statement_queued_for_begin_stays_in_its_own_transaction(pg: Engine) -> None:
    with UnitOfWork(pg, readonly=True) as uow:
        send_with_begin(uow.session.connection(), "SELECT set_config('enable_seqscan', 'off', true)")
        assert uow.session.execute(text("SHOW enable_seqscan")).scalar_one() == "off"
    # Queued, then the unit ends without a statement: the next transaction does not get it.
    with UnitOfWork(pg, readonly=True) as uow:
        send_with_begin(uow.session.connection(), "SELECT set_config('enable_seqscan', 'off', true)")
    with UnitOfWork(pg, readonly=True) as uow:
        assert uow.session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
    # Once the transaction is open, it runs at once.
    with UnitOfWork(pg, readonly=True) as uow:
        uow.session.execute(text("SELECT 1"))
        send_with_begin(uow.session.connection(), "SELECT set_config('enable_seqscan', 'off', true)")
        assert uow.session.execute(text("SHOW enable_seqscan")).scalar_one() == "off"


def test_many_rows_at_once_open_the_transaction_too(pg: Engine) -> None:
    def undone() -> None:
        with UnitOfWork(pg) as uow:
            # The unit's first statement is an executemany (psycopg pipelines it itself).
            uow.session.execute(text("INSERT INTO flight_probe VALUES (:n)"), [{"n": 6}, {"n": 7}])
            assert uow.session.execute(text("SELECT count(*) FROM flight_probe")).scalar_one() == 2
            raise Undo

    with pytest.raises(Undo):
        undone()
    assert _probes(pg) == []


def test_a_read_only_transaction_and_a_server_side_cursor_keep_their_begin(pg: Engine) -> None:
    with UnitOfWork(pg) as uow:
        uow.session.execute(text("INSERT INTO flight_probe SELECT generate_series(1, 50)"))
    with pg.connect().execution_options(postgresql_readonly=True) as connection:
        assert connection.exec_driver_sql("SHOW transaction_read_only").scalar_one() == "on"
    with pg.connect() as connection:
        rows = connection.exec_driver_sql(  # a server-side cursor: DECLARE, in a transaction
            "SELECT n FROM flight_probe ORDER BY n",
            execution_options={"stream_results": True, "max_row_buffer": 10},
        )
        assert [n for (n,) in rows] == list(range(1, 51))
        assert connection.exec_driver_sql("SELECT now() <> statement_timestamp()").scalar_one()
        assert connection.exec_driver_sql("SHOW transaction_read_only").scalar_one() == "off"
