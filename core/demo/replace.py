"""Whether a database may be replaced by the demo, and what the replacement deletes.

The demo replaces only demo data on its own say-so. A database holding anything else (clients or
tickets that no demo load made: an import, the console, mail) is deleted only when an admin confirms it
by the database's name; the counts deleted go into the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from hotline.core.db import UnitOfWork

DELETED_TABLES = (
    "client",
    "client_phone",
    "client_email",
    "ticket",
    "ticket_event",
    "interaction",
    "reminder",
    "contract",
)
"""What a replacement deletes (operators, queues, groups and articles are kept); contracts go with their
clients (ON DELETE CASCADE)."""
_DEMO_OWN_ACTIONS = ("demo.%", "ticket.escalate", "refused:%", "identity.%")


@dataclass(frozen=True)
class Replacement:
    """What loading the demo over this database would delete."""

    database: str
    """The name to type to confirm: the SQLite file's name, or the PostgreSQL database's."""
    counts: dict[str, int]
    foreign: dict[str, int] = field(default_factory=dict)
    """Audited changes no demo load made, by action: non-empty means the data is not (only) the demo's."""

    @property
    def demo_only(self) -> bool:
        return not self.foreign


def database_name(engine: Engine, connection: Connection | None = None) -> str:
    """The name to type: the SQLite file's, or the PostgreSQL database's as the server names it (a URL
    without one, read through ``PGDATABASE`` or a service file, asked to confirm with the name "None")."""
    if engine.dialect.name == "sqlite":
        return Path(engine.url.database or "memory").name
    if connection is not None:
        return str(connection.execute(text("SELECT current_database()")).scalar_one())
    with engine.connect() as own:
        return str(own.execute(text("SELECT current_database()")).scalar_one())


def replacement(connection: Connection, engine: Engine) -> Replacement:
    """The counts a replacement would delete, and whether anything in them is not demo data."""
    counts = {
        table: int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
        for table in DELETED_TABLES
    }
    own = " AND ".join(f"action NOT LIKE '{pattern}'" for pattern in _DEMO_OWN_ACTIONS)
    # Only changes since the last replacement: it deleted every row they made (else data confirmed and
    # deleted once was "not the demo's" for ever, and every later --force asked for the name again).
    # An admin's replacement: an operator may add audit entries in SQL (the actor is hers, migration
    # 0017), and one saying "demo.replace" would otherwise hide every real change before it.
    replaced = connection.execute(
        text(
            "SELECT coalesce(max(a.id), 0) FROM audit_entry a JOIN operator o ON o.login = a.actor"
            " WHERE a.action = 'demo.replace' AND o.role = 'admin'"
        )
    ).scalar_one()
    foreign = {
        str(action): int(count)
        for action, count in connection.execute(
            text(
                "SELECT action, count(*) FROM audit_entry WHERE entity IN"
                " ('client', 'ticket', 'interaction', 'reminder', 'contract')"
                f" AND {own} AND id > :replaced GROUP BY action ORDER BY action"
            ),
            {"replaced": replaced},
        )
    }
    demo_loads = connection.execute(
        text("SELECT count(*) FROM audit_entry WHERE action = 'demo.load'")
    ).scalar_one()
    if counts["client"] and not demo_loads:
        foreign["clients not made by a demo load"] = counts["client"]
    return Replacement(database=database_name(engine, connection), counts=counts, foreign=foreign)


def check_replacement(uow: UnitOfWork) -> Replacement | None:
    """What ``demo --force`` would delete (admins only); ``None`` when the database has no clients."""
    uow.authorize("demo.load", entity="database")
    connection = uow.session.connection()
    if not connection.execute(text("SELECT count(*) FROM client")).scalar_one():
        return None
    return replacement(connection, uow.engine)
