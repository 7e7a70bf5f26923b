"""The merges of a staged update import (``--on-duplicate update``) on SQLite: computed and written into
TEMP tables without the write lock, applied under it with one set-based statement per table.

Merging 100,000 rows into stored clients one ``UPDATE`` at a time, their lookup-index rows rebuilt in the
same transaction, held SQLite's write lock for as long as the import ran. Here the merges are computed
as the direct path computes them (``ClientStore.plan_merges``: the same rules, the same order) from the
stored clients read in one snapshot, and what changes is written to ``stage_merge`` (a bit per column
that changes), the contacts added to ``stage_merge_phone`` and ``stage_merge_email``, and every merged
client's ``updated_at`` as read to ``stage_target``. Under the lock, ``unchanged`` checks that nobody
wrote any targeted client since (one join on ``stage_target``; otherwise the import decides again inside
the lock, as a staged import of new clients does), then one ``UPDATE … FROM`` per set of columns that
change (a handful) and two ``INSERT … SELECT`` apply the lot. Organisations and groups this import
creates are named by stand-in ids (minus their sequence number) until the publish gives them theirs.

The merged clients' index rows are rebuilt after the commit, in short transactions: the transaction that
applies the merges records them (and the contact persons of merged organisations, whose rows carry the
organisation's name) in ``search_owed`` (``search.pending.owe_clients``), so that the lookup finds them
by their own rows until then, and a process killed before leaves them to the next import or ``hotline db
upgrade``. A merge into a client this same import creates is left to the direct path (``stageable``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from hotline.core.importing.drafts import ClientDraft
from hotline.core.importing.store import CLIENT, ClientStore, Merges, fold
from hotline.core.search.pending import IndexRun, owe_clients, rebuild_owed

if TYPE_CHECKING:
    from hotline.core.importing.run import Update

MERGED_COLUMNS = (
    "name", "first_name", "middle_name", "last_name", "birthday", "notes", "source", "campaign", "tags",
    "group_id", "organisation_id", "owner_id",
)  # fmt: skip
NAMES = ("target", "merge", "merge_phone", "merge_email")
TABLES = (
    "CREATE TEMP TABLE stage_target (client_id INTEGER PRIMARY KEY, seen)",
    f"CREATE TEMP TABLE stage_merge (client_id INTEGER PRIMARY KEY, changed INTEGER NOT NULL,"
    f" {', '.join(MERGED_COLUMNS)})",
    "CREATE TEMP TABLE stage_merge_phone (seq INTEGER PRIMARY KEY, client_id INTEGER NOT NULL,"
    " raw TEXT, e164 TEXT, digits TEXT, label TEXT)",
    "CREATE TEMP TABLE stage_merge_email (seq INTEGER PRIMARY KEY, client_id INTEGER NOT NULL, address TEXT)",
)


def _assignment(column: str) -> str:
    value = f"s.{column}"
    if column == "group_id":  # a stand-in: a group this import creates
        value = "CASE WHEN s.group_id < 0 THEN :group - s.group_id ELSE s.group_id END"
    elif column == "organisation_id":  # a stand-in: an organisation this import creates
        value = "CASE WHEN s.organisation_id < 0 THEN :base - s.organisation_id ELSE s.organisation_id END"
    return f"{column} = {value}"


def _update(changed: int) -> str:
    """The ``UPDATE … FROM`` of the merges that change the columns of bitmask ``changed``: only those are
    set (an index on a column set is rewritten for every row, changed or not: ``source``, ``campaign``
    and ``organisation_id`` have one); 0: contacts added only, ``updated_at`` alone."""
    columns = [column for bit, column in enumerate(MERGED_COLUMNS) if changed & (1 << bit)]
    return (
        f"UPDATE client SET {''.join(_assignment(column) + ', ' for column in columns)}updated_at = :now"
        f" FROM temp.stage_merge s WHERE s.changed = {int(changed)} AND client.id = s.client_id"
    )


_INSERT_CONTACTS = (
    "INSERT INTO client_phone (id, client_id, raw, e164, digits, label)"
    " SELECT :phone + seq, client_id, raw, e164, digits, label FROM temp.stage_merge_phone ORDER BY seq",
    "INSERT INTO client_email (id, client_id, address)"
    " SELECT :email + seq, client_id, address FROM temp.stage_merge_email ORDER BY seq",
)
_OWED = (
    "SELECT client_id FROM temp.stage_merge UNION"
    " SELECT id FROM client WHERE organisation_id IN (SELECT client_id FROM temp.stage_merge)"
)


class MergeStage:
    """The staged merges of one import, on the staging connection (``staging.TempStage``'s)."""

    def __init__(self, connection: Connection, store: ClientStore, updates: Sequence[Update]) -> None:
        self.connection = connection
        self.store = store
        self.updates = list(updates)
        self.merges: Merges | None = None
        self.stamps: list[tuple[int, Any]] = []
        self.phone_seqs: list[int] = []
        self.email_seqs: list[int] = []
        """The numbers of the phones and emails the merges add among all the import adds (ids are the
        highest stored one plus these): the direct path's order (``staging.TempStage``)."""
        self.owed: list[int] = []
        """The clients whose index rows the publish left to rebuild after its commit."""

    def __bool__(self) -> bool:
        return bool(self.updates)

    @property
    def drafts(self) -> list[ClientDraft]:
        return [draft for _, draft, _ in self.updates]

    @property
    def targets(self) -> set[int]:
        return {target.client_id for target, _, _ in self.updates if target.client_id is not None}

    def plan(
        self, *, organisations: dict[str, int], groups: dict[str, int], organisation_targets: dict[int, int]
    ) -> None:
        """Compute the merges from the stored clients (one snapshot, no write lock), as the direct path
        would: ``organisations`` and ``groups`` give the stand-in ids of those this import creates. The
        rows' decisions learn whether they change their client."""
        items = [(target.client_id, draft) for target, draft, _ in self.updates]
        with self.connection.begin():  # BEGIN DEFERRED: the reads below see one state of the database
            self.store.connection = self.connection
            self.merges = self.store.plan_merges(
                items,  # type: ignore[arg-type]
                organisations=organisations,
                groups=groups,
                organisation_targets=organisation_targets,
            )
            ids = sorted(self.targets)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                found = self.connection.exec_driver_sql(
                    f"SELECT id, updated_at FROM client WHERE id IN ({marks})", tuple(chunk)
                )
                self.stamps += [tuple(row) for row in found]
        for (target, _, decision), answer in zip(self.updates, self.merges.answers, strict=True):
            if decision is not None:
                decision.client_id = target.client_id
                decision.action = "updated" if answer else "unchanged"

    def new_groups(self) -> Iterator[str]:
        """The groups the merges name that do not exist (each time named: the caller keeps the first)."""
        for draft in self.drafts:
            if draft.group and fold(draft.group) not in self.store.group_ids:
                yield draft.group

    def write(self, cursor: Any) -> None:
        """Fill the TEMP tables (in the caller's transaction, which locks only TEMP)."""
        merges = self.merges
        assert merges is not None, "plan first"
        dialect = self.connection.dialect
        processors = [CLIENT.c[name].type._cached_bind_processor(dialect) for name in MERGED_COLUMNS]
        rows = []
        for client_id, changes in merges.changes.items():
            changed, values = 0, []
            for bit, (column, process) in enumerate(zip(MERGED_COLUMNS, processors, strict=True)):
                value = changes.get(column)
                if column in changes:
                    changed |= 1 << bit
                values.append(value if process is None or value is None else process(value))
            rows.append((client_id, changed, *values))
        cursor.executemany("INSERT INTO temp.stage_target VALUES (?, ?)", self.stamps)
        marks = ", ".join("?" * (2 + len(MERGED_COLUMNS)))
        cursor.executemany(f"INSERT INTO temp.stage_merge VALUES ({marks})", rows)
        cursor.executemany(
            "INSERT INTO temp.stage_merge_phone VALUES (?, ?, ?, ?, ?, ?)",
            [
                (seq, p["client_id"], p["raw"], p["e164"], p["digits"], p["label"])
                for seq, p in zip(self.phone_seqs, merges.phones, strict=True)
            ],
        )
        cursor.executemany(
            "INSERT INTO temp.stage_merge_email VALUES (?, ?, ?)",
            [
                (seq, e["client_id"], e["address"])
                for seq, e in zip(self.email_seqs, merges.emails, strict=True)
            ],
        )

    def unchanged(self, connection: Connection) -> bool:
        """Under the lock: whether every merged client is as the merges read it (same ``updated_at``,
        not deleted). One join of the staged stamps with ``client``'s primary key."""
        if not self.updates:
            return True
        same = connection.exec_driver_sql(
            "SELECT count(*) FROM temp.stage_target t JOIN client c ON c.id = t.client_id"
            " WHERE c.updated_at = t.seen"
        ).scalar_one()
        return same == len(self.stamps)

    def publish(self, connection: Connection, *, now: Any, **bases: int) -> None:
        """Under the lock, after the new clients and groups went in: apply the merges, and record the
        clients whose index rows are now stale as owed (rebuilt by ``rebuild`` after the commit).
        ``bases``: the highest ``base`` client, ``group``, ``phone`` and ``email`` ids before the import."""
        if not self.updates:
            return
        stamp = CLIENT.c.updated_at.type._cached_bind_processor(connection.dialect)
        values = {**bases, "now": now if stamp is None else stamp(now)}
        masks = connection.exec_driver_sql("SELECT DISTINCT changed FROM temp.stage_merge").scalars().all()
        for statement in [_update(changed) for changed in masks] + list(_INSERT_CONTACTS):
            connection.exec_driver_sql(statement, {k: v for k, v in values.items() if f":{k}" in statement})
        if owe_clients(connection, _OWED):
            self.owed = list(
                connection.execute(
                    text("SELECT client_id FROM search_owed WHERE owner = :me"), {"me": os.getpid()}
                ).scalars()
            )

    def rebuild(self, begin: Callable[[], AbstractContextManager[Connection]]) -> IndexRun:
        """After the commit: the owed clients' index rows, in short transactions."""
        return rebuild_owed(begin, self.owed)


__all__ = ["NAMES", "TABLES", "MergeStage"]
