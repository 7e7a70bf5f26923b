"""The PostgreSQL test database is emptied between tests without ``TRUNCATE`` of every table.

``TRUNCATE`` of all forty tables (twice per test) gave every table and index a new file: 0.5-1 s a test
on a loaded machine, the largest single cost of the suite's PostgreSQL half. A test now starts on empty
tables with every identity at its start, as before, at a few milliseconds' cost.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from tests.conftest import _BIG_TABLE_BYTES, _truncate_all

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


def _fill(engine) -> None:
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR, display_name="Anna")
    with UnitOfWork(engine, actor_login="anna") as uow:
        create_client(
            uow,
            draft=ClientDraft(first_name="Ivan", last_name="Ivanov", phones=["+7 912 345-67-89"]),
            default_region="RU",
        )


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).scalars()
        return {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def test_a_few_rows_are_deleted_not_truncated_and_ids_start_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _fill(engine)
        assert sum(_counts(engine).values()) > 0
        seen = _statements(engine)
        _truncate_all(engine)
        assert not [s for s in seen if s.lstrip().upper().startswith("TRUNCATE")], seen
        assert set(_counts(engine).values()) == {0}
        _fill(engine)  # identities start again: the first client and operator are 1 again
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM client")).scalars().all() == [1]
            assert connection.execute(text("SELECT id FROM operator")).scalars().all() == [1]
    finally:
        engine.dispose()


def test_a_big_table_is_truncated(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(
                text("INSERT INTO counter (name, value) SELECT 'c' || n, n FROM generate_series(1, :rows) n"),
                {"rows": _BIG_TABLE_BYTES // 20},
            )
        seen = _statements(engine)
        _truncate_all(engine)
        assert [s for s in seen if s.lstrip().upper().startswith("TRUNCATE")]
        assert set(_counts(engine).values()) == {0}
        with engine.connect() as connection:
            size = "SELECT pg_relation_size('counter')"
            assert connection.execute(text(size)).scalar_one() == 0  # no dead rows left behind
    finally:
        engine.dispose()
