"""``hotline clients import`` leaves fresh planner statistics after a bulk import, on both backends."""

from __future__ import annotations

from pathlib import Path

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.test_clients_io import CSV_TEXT, clients_csv, hotline


def _analysed_at(url: str) -> object:
    """When ``client`` was last analysed (PostgreSQL) / its row count in sqlite_stat1 (SQLite)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return connection.exec_driver_sql(
                    "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'client'"
                ).scalar_one()
            exists = connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).scalar_one()
            if not exists:
                return None
            return connection.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'client' AND idx IS NULL"
                " OR tbl = 'client' AND idx LIKE 'ix_client_%' LIMIT 1"
            ).scalar()
    finally:
        engine.dispose()


def test_import_analyses_the_client_tables(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
    engine.dispose()
    before = _analysed_at(database_url)
    dry = hotline(database_url, "clients", "import", str(clients_csv(tmp_path)), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert _analysed_at(database_url) == before  # a dry run writes nothing, statistics included
    result = hotline(database_url, "clients", "import", str(clients_csv(tmp_path, CSV_TEXT)))
    assert result.exit_code == 0, result.output
    after = _analysed_at(database_url)
    assert after is not None and after != before
    if isinstance(after, str):
        assert after.split()[0] == "2"  # SQLite: two clients, as the file has
