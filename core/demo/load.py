"""Loading the demo data set into an initialised database, fast.

The clients, contacts, calls, tickets and events go in with the driver's bulk paths (``executemany`` on
SQLite, ``COPY`` on PostgreSQL) in one transaction, with explicit ids and no per-row services or audit;
the fixed rows (groups, queues, operators) are added only where missing, the knowledge-base articles go
through the KB service, the lookup index is rebuilt once at the end, and one audit entry records the load.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection

from hotline.core.db import driver_connection
from hotline.core.demo import content
from hotline.core.demo.generate import COLUMNS, DemoGenerator, Reference
from hotline.core.demo.replace import replacement
from hotline.core.errors import InvalidInput
from hotline.core.search.index import BULK_CACHE_KIB
from hotline.core.services.audit import record_audit
from hotline.core.statistics import analyze

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

CHUNK_CLIENTS = 50_000
GENERATED_AHEAD = 2
"""Chunks the generator thread may be ahead of the writer (each is about 50,000 clients' rows)."""
BULK_SORT_THREADS = 2
TICKET_COUNTER = "ticket"
SEQUENCED_TABLES = ("client_group", "operator", "queue", *COLUMNS)
_Item = TypeVar("_Item")
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as the load goes (the CLI draws a bar)."""


@dataclass
class DemoReport:
    """What the load wrote, by table, and the ticket numbers it used."""

    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    first_ticket_number: int | None = None
    last_ticket_number: int | None = None
    articles: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """How long each phase took: rows, knowledge base, lookup index."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rows": dict(self.rows),
            "tickets": [self.first_ticket_number, self.last_ticket_number],
            "articles": self.articles,
        }


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


def load_demo(
    uow: UnitOfWork,
    *,
    clients: int,
    seed: int = 1,
    replace: bool = False,
    confirmed_name: str | None = None,
    default_region: str,
    progress: Progress = _quiet,
) -> DemoReport:
    """Load ``clients`` demo clients (with everything around them) in the unit of work's transaction.

    A database that already has clients is refused (``InvalidInput``) unless ``replace``: then the
    clients, their contacts, calls, tickets and reminders are deleted first (operators, queues, groups
    and articles are kept and reused), so loading twice never duplicates anything. Data that is not
    the demo's is deleted only with ``confirmed_name`` equal to the database's name; the counts deleted
    are audited. Admins only.
    """
    uow.authorize("demo.load", entity="database")
    if clients < 1:
        raise InvalidInput("the demo needs at least one client", where="--clients")
    connection = uow.session.connection()
    _require_the_owner(uow, connection)
    existing = connection.execute(text("SELECT count(*) FROM client")).scalar_one()
    if existing and not replace:
        raise InvalidInput(
            f"the database already has {existing:,} clients; the demo loads into an empty one"
            " (use --force to delete the clients, tickets and calls and load the demo afresh)",
            where="demo",
        )
    if existing:
        _confirm_replacement(uow, connection, confirmed_name)
        progress("deleting the old clients", 0, 1)
        _delete_client_data(connection)
        progress("deleting the old clients", 1, 1)
    sqlite = connection.dialect.name == "sqlite"
    report = DemoReport(seed=seed, rows={table: 0 for table in COLUMNS})
    with _bulk_settings(connection):
        started = time.perf_counter()
        reference = _reference(uow, connection)
        generator = DemoGenerator(
            count=clients,
            seed=seed,
            now=uow.now(),
            sqlite=sqlite,
            default_region=default_region,
            reference=reference,
        )
        remake = _write_rows(connection, generator, report, progress)
        if report.rows["ticket"]:
            report.first_ticket_number = reference.first_ticket_number
            report.last_ticket_number = generator.last_ticket_number
            _set_counter(connection, generator.last_ticket_number)
        if not sqlite:
            _advance_sequences(connection)
        report.seconds["rows"] = time.perf_counter() - started
        _timed(report, "indexes and keys", progress, lambda: _remake(connection, remake))
        _timed(report, "knowledge base", progress, lambda: _save_articles(uow, report))
        _timed(report, "lookup index", progress, lambda: rebuild_lookup_index(uow))
        # The tickets, calls and the rest were never analysed either (the lookup index's tables were).
        _timed(report, "statistics", progress, lambda: analyze(connection))
    record_audit(uow, action="demo.load", entity="demo", after={"clients": clients, **report.as_dict()})
    return report


def _require_the_owner(uow: UnitOfWork, connection: Connection) -> None:
    """On PostgreSQL the load sets the tables' keys and indexes aside (``ALTER TABLE``): only their owner
    or a superuser may. An admin's role got "database error: must be owner of table client", exit 1."""
    if connection.dialect.name != "postgresql":
        return
    from hotline.core.pg_roles import owns_the_tables

    role, owns = owns_the_tables(connection)
    if not owns:
        uow.refuse(
            "demo.load",
            f"demo: the database role {role!r} may not load it (it sets the tables' keys and indexes aside);"
            " run it as a superuser or as the owner of hotline's tables",
            entity="database",
        )


def _confirm_replacement(uow: UnitOfWork, connection: Connection, confirmed_name: str | None) -> None:
    """Refuse to delete data that is not the demo's unless confirmed by name; audit what goes."""
    found = replacement(connection, uow.engine)
    if not found.demo_only and confirmed_name != found.database:
        kinds = ", ".join(f"{count:,} {action}" for action, count in found.foreign.items())
        raise InvalidInput(
            f"the database {found.database!r} holds data that is not the demo's ({kinds});"
            f" to delete it, type its name at the prompt or pass --yes-i-mean-{found.database}",
            where="demo",
        )
    record_audit(
        uow,
        action="demo.replace",
        entity="database",
        entity_id=found.database,
        before={"deleted": found.counts, "not_demo": found.foreign},
        after={"confirmed_by_name": not found.demo_only},
    )


def _write_rows(
    connection: Connection, generator: DemoGenerator, report: DemoReport, progress: Progress
) -> list[str]:
    """Generate and write the clients and everything around them, chunk by chunk; returns the statements
    that make the set-aside indexes and keys again.

    The next chunk is generated in a thread while this one is written: the writer mostly waits on the
    database (COPY on PostgreSQL), so generating and ingesting overlap. The keys and indexes the loaded
    tables would check and update row by row are set aside and made again once, over all the rows.
    """
    writer = _writer(connection)
    progress("clients", 0, generator.count)
    if connection.dialect.name == "sqlite":
        remake = _drop_secondary_indexes(connection)
    else:
        remake = _set_aside_pg_indexes_and_keys(connection)
    with _no_cyclic_gc():
        for chunk, made in _generated_ahead(generator.chunks(CHUNK_CLIENTS)):
            for table, rows in chunk.rows.items():
                if rows:
                    writer(table, COLUMNS[table], rows)
                    report.rows[table] += len(rows)
            progress("clients", made, generator.count)
    return remake


def _generated_ahead(chunks: Iterator[_Item], *, ahead: int = GENERATED_AHEAD) -> Iterator[_Item]:
    """``chunks``, produced by a thread up to ``ahead`` items in advance; its error is raised here, and
    the thread stops when the consumer does (an error while writing, or the generator closed)."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def handed(entry: tuple[str, Any]) -> bool:
        """Put ``entry`` in the handoff unless the consumer stops first; whether it was put."""
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in chunks:
                if not handed(("item", item)):
                    return
            outcome: tuple[str, Any] = ("done", None)
        except BaseException as error:  # handed to the consumer, which raises it
            outcome = ("error", error)
        handed(outcome)

    thread = threading.Thread(target=produce, name="demo-generator", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def _set_aside_pg_indexes_and_keys(connection: Connection) -> list[str]:
    """PostgreSQL: drop the loaded tables' foreign keys and non-unique indexes and disable their triggers;
    returns the statements that make them again (indexes first, then the keys, each checked in one pass
    over the table, then the triggers).

    COPY otherwise checks every foreign key row by row (a trigger and an index probe per row) and inserts
    into every index in arrival order; at 10 million clients that was most of the load. Unique indexes
    and primary keys stay: they guard the data as it goes in. The drop is part of the load's
    transaction, so a failed load leaves the schema as it was.
    """
    tables = list(COLUMNS)
    indexes = connection.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = to_regnamespace(i.schemaname)"
            " JOIN pg_index x ON x.indexrelid = c.oid"
            " WHERE i.schemaname = current_schema() AND i.tablename IN :tables AND NOT x.indisunique"
            " ORDER BY i.tablename, i.indexname"
        ).bindparams(_expanding("tables")),
        {"tables": tables},
    ).all()
    keys = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid IN (SELECT oid FROM pg_class"
            "  WHERE relnamespace = to_regnamespace(current_schema()) AND relname IN :tables)"
            " ORDER BY 1, 2"
        ).bindparams(_expanding("tables")),
        {"tables": tables},
    ).all()
    # The role checks of migration 0020 (who wrote a ticket line or a call) run for every row too, and
    # pass for the tables' owner, who loads: set aside with the keys, enabled again with them.
    triggers = connection.execute(
        text(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid IN (SELECT oid FROM pg_class"
            "  WHERE relnamespace = to_regnamespace(current_schema()) AND relname IN :tables)"
            " ORDER BY 1, 2"
        ).bindparams(_expanding("tables")),
        {"tables": tables},
    ).all()
    for table, name, _definition in keys:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    for table, name in triggers:
        connection.exec_driver_sql(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
    return (
        [definition for _name, definition in indexes]
        + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys]
        + [f'ALTER TABLE {table} ENABLE TRIGGER "{name}"' for table, name in triggers]
    )


def _remake(connection: Connection, statements: list[str]) -> None:
    """Make the set-aside indexes and keys again (PostgreSQL sorts with more memory for the load)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_CACHE_KIB}kB'")
    for statement in statements:
        connection.exec_driver_sql(statement)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """No cycle collection while millions of row tuples are made (they hold no cycles; chunks are freed
    by reference counting); the collector's state is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _save_articles(uow: UnitOfWork, report: DemoReport) -> None:
    from hotline.core.demo.kb import save_demo_articles

    report.articles = save_demo_articles(uow)


def _timed(report: DemoReport, phase: str, progress: Progress, work: Callable[[], object]) -> None:
    progress(phase, 0, 1)
    started = time.perf_counter()
    work()
    report.seconds[phase] = time.perf_counter() - started
    progress(phase, 1, 1)


@contextmanager
def _bulk_settings(connection: Connection) -> Iterator[None]:
    """SQLite: 256 MB page cache, in-memory two-thread sorting for the load; the connection's own after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    temp_store = connection.exec_driver_sql("PRAGMA temp_store").scalar_one()
    threads = connection.exec_driver_sql("PRAGMA threads").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
    connection.exec_driver_sql(f"PRAGMA threads={BULK_SORT_THREADS}")  # CREATE INDEX sorts in parallel
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
        connection.exec_driver_sql(f"PRAGMA temp_store={int(temp_store)}")
        connection.exec_driver_sql(f"PRAGMA threads={int(threads)}")


def rebuild_lookup_index(uow: UnitOfWork) -> None:
    """Build the lookup index (owned by ``hotline.core.search``) for everything just loaded."""
    from hotline.core.search.index import rebuild_index

    rebuild_index(uow.session)


def _writer(connection: Connection) -> Callable[[str, tuple[str, ...], list[tuple]], None]:
    """A bulk insert for plain tuples: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    driver = driver_connection(connection)
    if connection.dialect.name == "postgresql":

        def copy_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
            column_list = ", ".join(columns)
            with driver.cursor() as cursor, cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

        return copy_rows

    def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" for _ in columns)})'
        cursor = driver.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    return insert_rows


def _drop_secondary_indexes(connection: Connection) -> list[str]:
    """SQLite: drop the non-unique indexes of the loaded tables; returns their DDL to create them again.

    Building an index once over sorted keys is much cheaper than keeping it up to date row by row.
    """
    tables = ", ".join(f"'{table}'" for table in COLUMNS)
    indexes = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables})"
        " AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
    ).all()
    for name, _sql in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in indexes]


def _reference(uow: UnitOfWork, connection: Connection) -> Reference:
    """Add the missing groups, queues and operators; read their ids and where new ids start."""
    now = uow.now()
    groups = _ensure(
        connection,
        "client_group",
        "name",
        [{"name": name, "colour": colour, "contract_level": level} for name, colour, level in content.GROUPS],
    )
    queues = _ensure(
        connection, "queue", "name", [{"name": name, "description": about} for name, about in content.QUEUES]
    )
    operators = _ensure(
        connection,
        "operator",
        "login",
        [
            {
                "login": login,
                "display_name": display,
                "role": role,
                "email": email,
                "active": active,
                "created_at": now,
            }
            for login, display, role, email, active in content.OPERATORS
        ],
    )
    roles = dict(
        connection.execute(
            text("SELECT login, role FROM operator WHERE login IN :logins").bindparams(_expanding("logins")),
            {"logins": list(operators)},
        ).all()
    )
    first_ids = {
        table: connection.execute(text(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"')).scalar_one()
        for table in COLUMNS
    }
    counter = connection.execute(
        text("SELECT value FROM counter WHERE name = :name"), {"name": TICKET_COUNTER}
    ).scalar_one_or_none()
    top_number = connection.execute(text("SELECT coalesce(max(number), 0) FROM ticket")).scalar_one()
    return Reference(
        operator_ids=operators,
        operator_roles=roles,
        queue_ids=queues,
        group_ids=groups,
        first_ids=first_ids,
        first_ticket_number=max(counter or 0, top_number) + 1,
    )


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _ensure(connection: Connection, table: str, key: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose ``key`` is not there yet (through SQLAlchemy, so types convert); key → id."""
    from sqlmodel import SQLModel

    import hotline.core.models  # noqa: F401 - registers the tables

    table_object = SQLModel.metadata.tables[table]
    present = {value for (value,) in connection.execute(text(f'SELECT "{key}" FROM "{table}"'))}
    missing = [row for row in rows if row[key] not in present]
    if missing:
        connection.execute(table_object.insert(), missing)
    wanted = [row[key] for row in rows]
    found = connection.execute(
        text(f'SELECT "{key}", id FROM "{table}" WHERE "{key}" IN :keys').bindparams(_expanding("keys")),
        {"keys": wanted},
    ).all()
    return {value: row_id for value, row_id in sorted(found, key=lambda row: wanted.index(row[0]))}


def _set_counter(connection: Connection, value: int) -> None:
    updated = connection.execute(
        text("UPDATE counter SET value = :value WHERE name = :name"), {"value": value, "name": TICKET_COUNTER}
    ).rowcount
    if not updated:
        connection.execute(
            text("INSERT INTO counter (name, value) VALUES (:name, :value)"),
            {"value": value, "name": TICKET_COUNTER},
        )


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL: move each id sequence past the explicit ids just written."""
    for table in SEQUENCED_TABLES:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
            f' (SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'
        )


def _delete_client_data(connection: Connection) -> None:
    """Delete every client and what hangs on clients (children first, so no cascade works row by row)."""
    for table in ("reminder", "interaction", "attachment", "ticket_event", "ticket"):
        connection.exec_driver_sql(f'DELETE FROM "{table}"')
    connection.execute(text("UPDATE counter SET value = 0 WHERE name = :name"), {"name": TICKET_COUNTER})
    for table in ("client_email", "client_phone"):
        connection.exec_driver_sql(f'DELETE FROM "{table}"')
    connection.exec_driver_sql("UPDATE client SET organisation_id = NULL WHERE organisation_id IS NOT NULL")
    connection.exec_driver_sql("DELETE FROM client")
