"""A big import on SQLite written ahead into TEMP tables, then published in short transactions.

SQLite has one writer at a time: writing 100,000 clients, their contacts and their lookup-index rows
holds the write lock for many seconds, and a screen pop or a ticket meanwhile waits and fails with
"database is locked". Tables in the connection's TEMP database are written without the main database's
write lock, so everything an import of new clients writes is built there first — client rows numbered
1..N instead of ids, contacts, name words, phone suffixes, address parts, documents and vocabulary.

Then the clients, their phones and emails (and new groups, and the import's audit entry) are published
in one ``BEGIN IMMEDIATE`` transaction with one ``INSERT … SELECT`` per table, the ids assigned there
(the next free ones, so writers that created clients meanwhile never collide): the import is there
whole or not at all. Their lookup-index rows, two thirds of the bytes, follow once that transaction
has committed, in chunks of rows in short transactions with pauses between them (``stage_index.py``,
``search.pending``), so no writer waits behind the import for more than a fraction of a second. A marker
committed with the clients names the clients still owed index rows; a process killed before the last
chunk leaves it, and the next import (or ``hotline db upgrade``) indexes them. A killed import otherwise
leaves nothing: TEMP tables die with their connection.

The staged rows are exactly those the direct path (``ImportRun._write`` then ``search.index``) writes:
``tests/core/importing/test_staged_publish.py`` compares both on one file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from hotline.core.db import driver_connection
from hotline.core.importing import stage_index, stage_merges
from hotline.core.importing.drafts import ClientDraft
from hotline.core.importing.identity import Target
from hotline.core.importing.stage_merges import MergeStage
from hotline.core.importing.store import CLIENT, EMAIL, GROUP, PHONE, fold
from hotline.core.search.index import BULK_CACHE_KIB, word_rows
from hotline.core.search.pending import mark_pending, release
from hotline.core.search.schema import TABLES as SEARCH_TABLES

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.importing.run import ImportRun

STAGE_FROM_NEW_CLIENTS = 2_000
"""Imports creating or merging at least this many clients are staged on SQLite; smaller ones hold the
lock for well under a second anyway."""

_CLIENT_COLUMNS = (
    "kind", "name", "first_name", "middle_name", "last_name", "organisation_id", "group_id", "owner_id",
    "birthday", "notes", "tags", "source", "campaign", "created_at", "updated_at",
)  # fmt: skip
_TABLES = ("client", "phone", "email", *stage_index.NAMES, *stage_merges.NAMES)


def stageable(uow: UnitOfWork, run: ImportRun, *, stage_from: int) -> bool:
    """Whether this import takes the staged path: SQLite, a writing import creating or merging enough
    clients, whose merges all go into stored clients (one into a client this import creates keeps the
    direct path: ``stage_merges``), and a unit of work whose transaction has not begun (the publish
    must run on the connection holding the TEMP tables).

    PostgreSQL needs none of this: its writers do not block readers or other writers' unrelated rows.
    """
    if uow.engine.dialect.name != "sqlite" or run.plan is None or not run.writing:
        return False
    if uow.session.in_transaction():
        return False
    targets = [target for _, updates in run.plan for target, _, _ in updates]
    if any(target.client_id is None for target in targets):
        return False
    return sum(len(pending) for pending, _ in run.plan) + len(targets) >= stage_from


@dataclass
class _Numbered:
    """The staged clients in the order the direct path would insert them (per batch, organisations
    first), each with its sequence number; ids are base + number at publish."""

    clients: list[tuple[ClientDraft, Target]] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)  # stripped names, in order of first use
    existing_organisations: set[int] = field(default_factory=set)
    existing_groups: set[int] = field(default_factory=set)


class TempStage:
    """The TEMP tables of one staged import, on a connection of its own that the publishing unit of work
    is then bound to."""

    def __init__(self, uow: UnitOfWork, run: ImportRun) -> None:
        self.run = run
        self.connection: Connection = uow.engine.connect()
        self.driver = driver_connection(self.connection)
        self.numbered = _Numbered()
        self.merges = MergeStage(
            self.connection, run.store, [update for _, updates in run.plan or [] for update in updates]
        )
        self._published = False
        self._group_seqs: dict[str, int] = {}  # folded name of a group this import creates → its seq
        self._contact_seqs: list[tuple[int, int]] = []  # per staged client: its first phone and email seq
        self._closed = False
        self._index: stage_index.IndexPublisher | None = None  # set by the publish
        self._committed = False
        self.analyse = False
        self._keys: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        """The staged clients' folded names (and organisations'), phones and addresses: what
        ``still_valid`` compares with the clients written meanwhile, made before the lock is taken
        (folding 100,000 names took most of a second under it)."""
        """Whether the last index transaction refreshes the lookup tables' statistics (many clients)."""

    # -- writing ahead -------------------------------------------------------------------------------

    def write(self) -> None:
        """Build every row of the publish in TEMP tables, in short transactions that lock only TEMP."""
        plan = self.run.plan
        assert plan is not None
        group_names: dict[str, str] = {}  # folded → as first named, in the order the direct path makes them
        for pending, updates in plan:
            organisations = [(d, t) for d, t in pending if d.kind == "organisation"]
            people = [(d, t) for d, t in pending if d.kind != "organisation"]
            self.numbered.clients += organisations + people
            named = [d.group for d, _ in organisations + people] + [d.group for _, d, _ in updates]
            for group in named:
                if group and fold(group) not in self.run.store.group_ids:
                    group_names.setdefault(fold(group), group.strip())
        self.numbered.new_groups = list(group_names.values())
        self._group_seqs = {key: seq for seq, key in enumerate(group_names, start=1)}
        if self.merges:
            stand_ins: dict[str, int] = {}
            targets: dict[int, int] = {}
            for seq, (draft, target) in enumerate(self.numbered.clients, start=1):
                if draft.kind == "organisation":
                    stand_ins.setdefault(fold(draft.name), -seq)
                    targets[id(target)] = -seq
            groups = {key: -seq for key, seq in self._group_seqs.items()}
            self.merges.plan(organisations=stand_ins, groups=groups, organisation_targets=targets)
        self._number_contacts()
        drafts = [d for d, _ in self.numbered.clients] + self.merges.drafts
        names = {fold(d.name) for d in drafts}
        names |= {fold(d.organisation) for d in drafts if d.organisation}
        phones = {p.e164 for d in drafts for p in d.phones}
        self._keys = (names, phones, {address for d in drafts for address in d.emails})
        cursor = self.driver.cursor()
        try:
            # This connection is closed after the publish: a big page cache for it alone keeps the
            # publish from spilling pages half-way (as ``search.index.rebuild_index`` does).
            cursor.execute(f"PRAGMA temp.cache_size = -{BULK_CACHE_KIB}")
            cursor.execute(f"PRAGMA main.cache_size = -{BULK_CACHE_KIB}")
            # Its commits do not fold the WAL back into the file (a checkpoint, fsync included, that
            # SQLite runs inside COMMIT, after the lock is free): ``_checkpoint`` does it just after,
            # so that the figures of the lock's holds are the holds alone.
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
            # Every reference the publish writes is checked at the publish instead of row by row
            # (a quarter of its time): the client ids are its own, the organisations and groups it
            # names are checked by ``still_valid`` when anything changed, the owner is the actor.
            cursor.execute("PRAGMA foreign_keys = OFF")
            for name in _TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS temp.stage_{name}")
            self._create(cursor)
            cursor.execute("BEGIN")
            self._write_clients(cursor)
            if self.merges:
                self.merges.write(cursor)
            cursor.execute("COMMIT")
            cursor.execute("BEGIN")
            self._write_index(cursor)
            cursor.execute("COMMIT")
        except BaseException:
            if self.driver.in_transaction:
                self.driver.rollback()
            raise
        finally:
            cursor.close()

    def _number_contacts(self) -> None:
        """The phones and emails get the ids the direct path gives them: batch by batch, the new
        clients' (organisations first) and then those the batch's merges add."""
        plan = self.run.plan or []
        added = iter(self.merges.merges.added if self.merges.merges is not None else [])
        phone = email = 0
        for pending, updates in plan:
            organisations = [d for d, _ in pending if d.kind == "organisation"]
            for draft in organisations + [d for d, _ in pending if d.kind != "organisation"]:
                self._contact_seqs.append((phone + 1, email + 1))
                phone, email = phone + len(draft.phones), email + len(draft.emails)
            for _ in updates:
                phones, emails = next(added)
                self.merges.phone_seqs += range(phone + 1, phone + phones + 1)
                self.merges.email_seqs += range(email + 1, email + emails + 1)
                phone, email = phone + phones, email + emails

    def _create(self, cursor: Any) -> None:
        client_columns = ", ".join(_CLIENT_COLUMNS)
        for statement in (
            f"CREATE TEMP TABLE stage_client (seq INTEGER PRIMARY KEY, organisation_seq INTEGER,"
            f" group_seq INTEGER, {client_columns})",
            "CREATE TEMP TABLE stage_phone (seq INTEGER PRIMARY KEY, client_seq INTEGER NOT NULL,"
            " raw TEXT, e164 TEXT, digits TEXT, label TEXT)",
            "CREATE TEMP TABLE stage_email (seq INTEGER PRIMARY KEY, client_seq INTEGER NOT NULL,"
            " address TEXT)",
            *stage_index.TABLES,
            *stage_merges.TABLES,
        ):
            cursor.execute(statement)

    def _write_clients(self, cursor: Any) -> None:
        store = self.run.store
        numbered = self.numbered
        new_organisations: dict[str, int] = {}  # folded name → seq, first one wins (as in the store)
        client_rows, phone_rows, email_rows = [], [], []
        processors = _processors(self.connection, _CLIENT_COLUMNS)
        seqs = {id(target): seq for seq, (_, target) in enumerate(numbered.clients, start=1)}
        for seq, (draft, _target) in enumerate(numbered.clients, start=1):
            organisation_id = organisation_seq = None
            linked = draft.organisation_target
            if linked is not None:  # linked by the file's ids: stored already, or staged here
                organisation_id = linked.client_id
                if organisation_id is None:
                    organisation_seq = seqs[id(linked)]
                else:
                    numbered.existing_organisations.add(organisation_id)
            elif draft.organisation:
                key = fold(draft.organisation)
                organisation_id = store.organisation_ids.get(key)
                if organisation_id is None:
                    organisation_seq = new_organisations.get(key)
                else:
                    numbered.existing_organisations.add(organisation_id)
            group_id = group_seq = None
            if draft.group:
                key = fold(draft.group)
                group_id = store.group_ids.get(key)
                if group_id is None:
                    group_seq = self._group_seqs[key]
                else:
                    numbered.existing_groups.add(group_id)
            if draft.kind == "organisation":
                new_organisations.setdefault(fold(draft.name), seq)
            values = (
                draft.kind, draft.name, draft.first_name, draft.middle_name, draft.last_name,
                organisation_id, group_id, draft.owner_id if draft.owner_given else store.owner_id,
                draft.birthday, draft.notes, sorted(set(draft.tags)), draft.source, draft.campaign,
                draft.created_at or store.now, store.now,
            )  # fmt: skip
            converted = [
                v if p is None or v is None else p(v) for p, v in zip(processors, values, strict=True)
            ]
            client_rows.append((seq, organisation_seq, group_seq, *converted))
            phone, email = self._contact_seqs[seq - 1]
            phone_rows += [
                (phone + n, seq, p.raw, p.e164, p.digits, p.label) for n, p in enumerate(draft.phones)
            ]
            email_rows += [(email + n, seq, address) for n, address in enumerate(draft.emails)]
        marks = ", ".join("?" * (3 + len(_CLIENT_COLUMNS)))
        cursor.executemany(f"INSERT INTO temp.stage_client VALUES ({marks})", client_rows)
        cursor.executemany(
            "INSERT INTO temp.stage_phone (seq, client_seq, raw, e164, digits, label)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            phone_rows,
        )
        cursor.executemany(
            "INSERT INTO temp.stage_email (seq, client_seq, address) VALUES (?, ?, ?)", email_rows
        )

    def _write_index(self, cursor: Any) -> None:
        """The lookup-index rows of the staged clients, as ``search.index.reindex_clients`` makes them."""
        names = self._organisation_names()
        words: list[tuple[int, str, str, str]] = []
        for seq, (draft, _target) in enumerate(self.numbered.clients, start=1):
            organisation = names.get(fold(draft.organisation)) if draft.organisation else None
            row = (seq, draft.name, draft.first_name, draft.middle_name, draft.last_name, organisation)
            words += word_rows(row)
        stage_index.write_index_rows(cursor, words)

    def _organisation_names(self) -> dict[str, str]:
        """Folded organisation name → the name an index row carries: the stored organisation's own name,
        or the staged organisation's (the first of that name)."""
        names: dict[str, str] = {}
        for draft, _target in self.numbered.clients:
            if draft.kind == "organisation":
                names.setdefault(fold(draft.name), draft.name)
        ids = sorted(self.numbered.existing_organisations)
        stored: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            stored.update(self.driver.execute(f"SELECT id, name FROM client WHERE id IN ({marks})", chunk))
        for key, client_id in self.run.store.organisation_ids.items():
            if client_id in stored:
                names[key] = stored[client_id]
        return names

    # -- publishing ----------------------------------------------------------------------------------

    def bind(self, uow: UnitOfWork) -> None:
        """Make ``uow`` write on this connection (BEGIN IMMEDIATE at its first statement). When that
        transaction has committed the clients, their index rows are published (``publish_index``);
        the connection is then closed, TEMP tables and all, however the transaction ended."""
        uow.session.bind = self.connection.execution_options(sqlite_begin="IMMEDIATE")

        @event.listens_for(uow.session, "after_commit")
        def _committed(_session: Any) -> None:
            if self._published:
                self._committed = True
                self._note_hold("publish")

        @event.listens_for(uow.session, "after_transaction_end")
        def _release(_session: Any, transaction: Any) -> None:
            if transaction.parent is None and not transaction.nested:
                try:
                    if self._committed:
                        self.publish_index()
                finally:
                    self.close()

    def _note_hold(self, what: str) -> None:
        outcome = self.run.outcome
        if outcome.write_started is not None and outcome.write_started_cpu is not None:
            wall = time.perf_counter() - outcome.write_started
            outcome.lock_holds.append((what, wall, time.thread_time() - outcome.write_started_cpu))

    def publish_index(self) -> None:
        """After the clients committed: their index rows, in short transactions on this connection
        (``stage_index``), the last one refreshing the lookup tables' statistics. A database error (a
        writer holding the lock past the busy timeout, a full disk) gives the marker up: the next import
        or ``hotline db upgrade`` writes the rest, and the outcome says so. Then the merged clients'
        rows are rebuilt (``stage_merges``), in short transactions too, the same way."""
        self._checkpoint()
        if self._index is not None:
            try:
                run = self._index.run(analyse_lookup if self.analyse else None, between=self._checkpoint)
            except (OperationalError, sqlite3.OperationalError):
                self.run.outcome.index_pending = True
                with contextlib.suppress(OperationalError), self.connection.begin():
                    release(self.connection, self._index.marker)
                return
            self.run.outcome.lock_holds += [("index", wall, cpu) for wall, cpu in run.holds]
        if self.merges.owed:
            try:
                run = self.merges.rebuild(self._begin)
            except (OperationalError, sqlite3.OperationalError):
                self.run.outcome.index_pending = True  # the rows stay owed, this process's: taken over
                return
            self.run.outcome.lock_holds += [("index", wall, cpu) for wall, cpu in run.holds]

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction on this connection (BEGIN IMMEDIATE), committed on leaving."""
        with self.connection.begin():
            yield self.connection

    def _checkpoint(self) -> None:
        """Fold the WAL back into the database file after a commit, outside the write lock (PASSIVE:
        never waits for, nor blocks, a writer; a writer committing meanwhile skips its own)."""
        self.driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Drop the connection for good (not back to the pool): its TEMP tables go with it."""
        if not self._closed:
            self._closed = True
            self.connection.detach()
            self.connection.close()

    def still_valid(self, uow: UnitOfWork, before: tuple[Any, ...]) -> bool:
        """Whether the decisions taken without the lock still hold, now that ``uow`` holds it: nobody
        deleted a client, and no client written since shares a phone, an address or a name with a staged
        one, and no group of a staged name appeared or of a stored one vanished. (``before`` is
        ``service.clients_version``.)"""
        connection = uow.session.connection()
        max_id, clients, max_updated, _phones, max_phone, _emails, max_email, _groups = before
        max_id, max_phone, max_email = max_id or 0, max_phone or 0, max_email or 0
        run = connection.execute
        added = run(select(func.count()).select_from(CLIENT).where(CLIENT.c.id > max_id)).scalar_one()
        if run(select(func.count()).select_from(CLIENT)).scalar_one() != clients + added:
            return False  # a client was deleted: a staged person may name it as organisation
        # Two range probes (the primary key, ``ix_client_updated_at``), never a scan of every client:
        # an ``OR`` of both may be planned as one scan.
        ids = {client_id for (client_id,) in run(select(CLIENT.c.id).where(CLIENT.c.id > max_id))}
        if max_updated is not None:
            updated = select(CLIENT.c.id).where(CLIENT.c.updated_at > max_updated)
            ids |= {client_id for (client_id,) in run(updated)}
        ids |= {c for (c,) in run(select(PHONE.c.client_id).where(PHONE.c.id > max_phone))}
        ids |= {c for (c,) in run(select(EMAIL.c.client_id).where(EMAIL.c.id > max_email))}
        if ids & self.merges.targets:
            return False  # a client this import merges into was written meanwhile
        staged_names, phones, emails = self._keys
        groups = run(select(GROUP.c.id, GROUP.c.name)).all()
        if {fold(name) for _, name in groups} & {fold(name) for name in self.numbered.new_groups}:
            return False
        if not self.numbered.existing_groups <= {group_id for group_id, _ in groups}:
            return False  # a group deleted meanwhile (the publish does not check references row by row)
        if not ids:
            return True
        for chunk in _chunks(sorted(ids)):
            for (name,) in run(select(CLIENT.c.name).where(CLIENT.c.id.in_(chunk))):
                if fold(name) in staged_names:
                    return False
            found = run(select(PHONE.c.e164).where(PHONE.c.client_id.in_(chunk)))
            if any(e164 in phones for (e164,) in found):
                return False
            found = run(select(EMAIL.c.address).where(EMAIL.c.client_id.in_(chunk)))
            if any(address in emails for (address,) in found):
                return False
        return True

    def publish(self, uow: UnitOfWork) -> None:
        """Copy the staged clients, phones and emails into the real tables in ``uow`` (which holds the
        write lock), with the next free ids, and mark them as owed their index rows (written after the
        commit); tell the run's decisions their client ids."""
        connection = uow.session.connection()
        assert connection.connection.driver_connection is driver_connection(self.connection), "not bound here"
        cursor = self.driver.cursor()
        store = self.run.store
        try:
            group_base = _highest(cursor, "client_group")
            for name in self.numbered.new_groups:
                group = store.new_group_values(name)
                cursor.execute(
                    "INSERT INTO client_group (name, colour, contract_level) VALUES (?, ?, ?)",
                    (group["name"], group["colour"], group["contract_level"]),
                )
                store.group_ids[fold(name)] = cursor.lastrowid
                store.groups_created.append(name)
            if _highest(cursor, "client_group") != group_base + len(self.numbered.new_groups):
                raise RuntimeError("group ids are not contiguous")
            base = _highest(cursor, "client")
            phone_base, email_base = _highest(cursor, "client_phone"), _highest(cursor, "client_email")
            values = {"base": base, "phone": phone_base, "email": email_base, "group": group_base}
            columns = [
                "coalesce(organisation_id, :base + organisation_seq)" if name == "organisation_id"
                else "coalesce(group_id, :group + group_seq)" if name == "group_id"
                else name
                for name in _CLIENT_COLUMNS
            ]  # fmt: skip
            for statement in (
                f"INSERT INTO client (id, {', '.join(_CLIENT_COLUMNS)})"
                f" SELECT :base + seq, {', '.join(columns)} FROM temp.stage_client ORDER BY seq",
                "INSERT INTO client_phone (id, client_id, raw, e164, digits, label)"
                " SELECT :phone + seq, :base + client_seq, raw, e164, digits, label"
                " FROM temp.stage_phone ORDER BY seq",
                "INSERT INTO client_email (id, client_id, address)"
                " SELECT :email + seq, :base + client_seq, address FROM temp.stage_email ORDER BY seq",
            ):
                cursor.execute(statement, {k: v for k, v in values.items() if f":{k}" in statement})
            clients = len(self.numbered.clients)
            if _highest(cursor, "client") != base + clients:
                raise RuntimeError("client ids are not contiguous")  # never: we hold the write lock
            self.merges.publish(connection, now=store.now, **values)
            if clients:
                stamp = cursor.execute("SELECT updated_at FROM temp.stage_client WHERE seq = 1").fetchone()
                self._index = stage_index.IndexPublisher(
                    self.connection,
                    marker=mark_pending(connection, base + 1, base + clients),
                    base=base,
                    phone_base=phone_base,
                    email_base=email_base,
                    clients=clients,
                    stamp=stamp[0],
                    words_seen=_highest(cursor, "search_word", "rowid"),
                    data_version=cursor.execute("PRAGMA data_version").fetchone()[0],
                )
            # The TEMP tables are not dropped here (that took a good part of the lock): they go with the
            # connection, closed when this transaction ends.
        finally:
            cursor.close()
        for seq, (draft, target) in enumerate(self.numbered.clients, start=1):
            target.client_id = base + seq
            if target.decision is not None:
                target.decision.client_id = base + seq
            if draft.kind == "organisation":
                store.organisation_ids.setdefault(fold(draft.name), base + seq)
                store.organisations_named.setdefault(fold(draft.name), []).append(base + seq)
        for decision, target in self.run.unresolved:
            decision.client_id = target.client_id
        self.run.plan = []
        self._published = True


def _highest(cursor: Any, table: str, column: str = "id") -> int:
    return cursor.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]


def _processors(connection: Connection, names: Iterable[str]) -> list[Any]:
    """The client columns' bind processors (dates, JSON lists) as the direct path applies them."""
    dialect = connection.dialect
    return [CLIENT.c[name].type._cached_bind_processor(dialect) for name in names]


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def analyse_lookup(connection: Connection) -> None:
    """Fresh planner statistics for the lookup tables after many rows went in (``rebuild_index`` ends
    the same way), sampled (``analysis_limit``) so that it costs milliseconds under the write lock."""
    previous = connection.exec_driver_sql("PRAGMA analysis_limit").scalar_one()
    connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
    for table in SEARCH_TABLES:
        connection.exec_driver_sql(f"ANALYZE {table}")
    connection.exec_driver_sql(f"PRAGMA analysis_limit = {int(previous)}")


__all__ = ["STAGE_FROM_NEW_CLIENTS", "TempStage", "analyse_lookup", "stageable"]
