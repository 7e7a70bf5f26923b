"""Migrations: empty → head → one step down → head on both backends, and the models match the schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import hotline.core.models  # noqa: F401
from hotline.core import migrate


def test_revision_files_form_one_numbered_chain() -> None:
    """The fast head (from file names) is the head Alembic computes from the graph."""
    assert migrate.head_revision() == migrate.alembic_head_revision()


def test_schema_state_tells_empty_and_ready(engine: Engine) -> None:
    assert migrate.schema_state(engine) == "ready"
    migrate.downgrade(engine, "-1")
    assert migrate.schema_state(engine) == "behind"
    migrate.downgrade(engine, "base")
    assert migrate.schema_state(engine) == "empty"
    migrate.upgrade(engine)


def test_database_is_at_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert {"client", "ticket", "outbox", "audit_entry"} <= set(inspect(engine).get_table_names())


def test_last_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    head = migrate.head_revision()
    migrate.downgrade(engine, "-1")
    assert migrate.current_revision(engine) != head
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == head


def test_whole_chain_downgrades_to_empty(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "client" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.schema_state(engine) == "ready"


def _only_model_tables(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # Index tables built by migrations alone (search, FTS) are not models: leave them out of the comparison.
    if type_ == "table":
        return name in SQLModel.metadata.tables
    table = getattr(obj, "table", None)
    return table is None or table.name in SQLModel.metadata.tables


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _only_model_tables, "compare_type": False}
        )
        differences = [
            diff
            for diff in compare_metadata(context, SQLModel.metadata)
            # Indexes added by migrations for speed (not declared on models) are fine.
            if not (isinstance(diff, tuple) and diff[0] == "remove_index")
        ]
    assert differences == []


def test_two_migrations_at_once_queue_instead_of_one_failing(engine: Engine) -> None:
    """Two ``db init`` at once on a new database (two admins, or a deploy script run twice): one failed with
    "database error: duplicate key value violates unique constraint pg_type_typname_nsp_index"
    (PostgreSQL) or "database is locked" (SQLite), both creating the same tables. The second waits and
    finds them made."""
    import subprocess
    import sys

    migrate.downgrade(engine, "base")
    url = engine.url.render_as_string(hide_password=False)
    script = (
        "import sys; from hotline.core import migrate; from hotline.core.db import make_engine;"
        " migrate.upgrade(make_engine(sys.argv[1]))"
    )
    try:
        runs = [
            subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        said = [run.communicate(timeout=120)[1] for run in runs]
    finally:
        migrate.upgrade(engine)  # whatever happened, the shared database is left at head
    assert [run.returncode for run in runs] == [0, 0], said
    assert migrate.schema_state(engine) == "ready"
