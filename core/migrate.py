"""Schema migrations (Alembic), run by ``hotline db init`` and ``hotline db upgrade``.

Alembic is imported only when migrating: the console checks the schema at every start, and that check
(``schema_state``) reads one row with plain SQL against the head known from the revision files' names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Revision files are named NNNN_description.py with revision id NNNN, each revising the one before.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")

MIGRATION_LOCK = 0x686C6D67  # "hlmg": the advisory lock a migration holds to its commit (PostgreSQL)
SchemaState = Literal["empty", "foreign", "behind", "unknown", "ready"]


def _config(connection: object) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest); a database stamped with a revision this
    version does not know is ``Unavailable`` (exit 1) and left as it is."""
    from alembic import command

    _require_known(engine)
    _require_hotlines(engine)
    _require_the_owner(engine)
    # Two at once (two admins, a deploy run twice) both read "no schema" and made the same tables: one failed
    # on PostgreSQL's "duplicate key … pg_type_typname_nsp_index", or on SQLite's "database is locked" (a
    # reader cannot become a writer once another wrote). The second now waits for the first, then finds
    # its tables made: an advisory lock on PostgreSQL, the write lock from BEGIN on SQLite.
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(_config(connection), revision)


def foreign_tables(engine: Engine) -> list[str]:
    """The tables of a database with no hotline schema (no revision): another application's, when any.
    Read only for such a database (``db init``, ``db status``), never on the console's start."""
    from sqlalchemy import inspect

    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
    return sorted(name for name in names if name != "alembic_version")


def listed(tables: list[str]) -> str:
    """The first few of ``tables``, as a message names them (a table's name is any text)."""
    from hotline.core.text import printable

    return ", ".join(printable(name) for name in tables[:5]) + (", …" if len(tables) > 5 else "")


def _require_hotlines(engine: Engine) -> None:
    """A database with no hotline schema must be empty: ``db init`` on another application's database
    put hotline's tables beside its own (or failed half-way on a table of the same name)."""
    if current_revision(engine) is not None:
        return
    if found := foreign_tables(engine):
        from hotline.core.errors import InvalidInput

        raise InvalidInput(
            f"the database holds tables that are not hotline's ({listed(found)}) and no hotline schema:"
            " is it the right database? Nothing was changed",
            where="--db",
        )


def _require_the_owner(engine: Engine) -> None:
    """On PostgreSQL a schema to change (not an empty one) is changed by its owner or a superuser: an admin's
    login role got the first statement PostgreSQL refused ("must be owner of …"), exit 1. Refused first."""
    if engine.dialect.name != "postgresql":
        return
    current = current_revision(engine)
    if current is None or current == head_revision():
        return
    from hotline.core.errors import PermissionDenied
    from hotline.core.pg_roles import owns_the_tables

    with engine.connect() as connection:
        role, owns = owns_the_tables(connection)
    if not owns:
        raise PermissionDenied(
            f"db upgrade: the database role {role!r} may not change the schema; run it as a superuser or as"
            " the owner of hotline's tables"
        )


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``-1`` for one step)."""
    from alembic import command

    _require_known(engine)
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database.

    A PostgreSQL role that may not read it is not one of hotline's (``db grants`` lets every group role
    read it): ``PermissionDenied``, not "empty, run db init". The refusal cannot be audited: such a role may
    not write the audit trail either; PostgreSQL's own log has it."""
    import psycopg

    from hotline.core.errors import PermissionDenied

    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as error:
            if not isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
                return None
            connection.rollback()
            role = connection.execute(text("SELECT current_user")).scalar_one()
    raise PermissionDenied(
        f"the database role {role!r} is not a hotline operator (it may not read the schema)"
    )


def known_revisions() -> set[str]:
    """Every revision this version of hotline has a file for."""
    return {
        match.group(1)
        for path in (MIGRATIONS / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    }


def _require_known(engine: Engine) -> None:
    from hotline.core.errors import Unavailable

    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise Unavailable(unknown_revision_message(current) + " Nothing was changed")


def unknown_revision_message(current: str) -> str:
    """What is said of a database stamped with a revision this version has no file for."""
    from hotline.core.text import printable

    return (
        f"the database is at schema revision {printable(current)!r}, which this version of hotline does "
        f"not know (its newest is {head_revision()}); was it made by a newer hotline?"
    )


def head_revision() -> str:
    """The newest revision this version of hotline knows (from the revision files' names)."""
    return max(
        match.group(1)
        for path in (MIGRATIONS / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    )


def alembic_head_revision() -> str:
    """The head as Alembic computes it from the revision graph (tests compare it with ``head_revision``)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert head is not None
    return head


def schema_state(engine: Engine) -> SchemaState:
    """``empty`` (no tables), ``foreign`` (another application's tables, no hotline schema), ``behind``
    (older than this version of hotline), ``unknown`` (a revision it has no file for: a newer hotline's)
    or ``ready``."""
    current = current_revision(engine)
    if current is None:
        return "foreign" if foreign_tables(engine) else "empty"
    if current == head_revision():
        return "ready"
    return "behind" if current in known_revisions() else "unknown"
