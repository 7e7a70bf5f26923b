"""Lookup-index rows owed to clients already committed: a marker per range of client ids, and the short
transactions that write them.

A big staged import on SQLite (``importing/staging.py``) commits its clients, phones and emails in one
transaction (all or nothing), and their lookup-index rows — most of what it writes — after it, in
transactions of about ``BUDGET_SECONDS`` with ``PAUSE_SECONDS`` between them, so that no other writer
waits behind the import for long. The client publish writes a marker with the clients: a ``counter``
row named ``search-pending:FIRST-LAST`` whose value is the process id of whoever is writing those rows.
The transaction writing the last of them deletes it. If that process dies first, the marker stays:
``complete_pending`` (run by the next import and by ``hotline db upgrade``) sees that its owner is gone,
takes it over and indexes the range again from the client tables, a block of ``BLOCK_CLIENTS`` at a
time (``reindex_range`` deletes whatever half-written rows it finds first). ``rebuild_index`` drops the
markers with everything else it recomputes.

The owner check only saves work: two processes indexing one range at once stay correct, because each
transaction writes under the write lock and a client indexed meanwhile by someone else is indexed
again from its stored rows (``importing/stage_index.py``).

Clients an update import merged are no contiguous range: ``search_owed`` (migration 0014) names each,
with the process rebuilding its rows (``owe_clients``, in the transaction committing the merges). Their
old index rows stay until the rebuild, which ``rebuild_owed`` makes in blocks of ``OWED_BLOCK_CLIENTS``, each
block deleting its ``search_owed`` rows in the transaction that rewrites its index rows; the lookup
meanwhile leaves those clients' index rows aside and reads their own rows (``search/owed.py``). A process
killed first leaves its rows, taken over by ``complete_pending`` like an abandoned marker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

MARKER_PREFIX = "search-pending:"
BLOCK_CLIENTS = 1_000
"""Clients a recovery reindexes in one go (its transactions take as many blocks as their budget allows)."""
OWED_BLOCK_CLIENTS = 200
"""Merged clients ``rebuild_owed`` reindexes in one step: a client's rows are deleted and written again
(a few times the work of a new client's), so a fifth of a recovery's block keeps a step well inside
``BUDGET_SECONDS`` on a busy machine."""
BUDGET_SECONDS = 0.25
"""An index transaction takes steps until it has held the write lock this long (one step more at most,
then its commit)."""
PAUSE_SECONDS = 0.12
"""Between two index transactions, the write lock is free this long: longer than the 100 ms between two
tries of a writer SQLite's busy handler has kept waiting, so that whoever waits gets in."""

Step = Callable[["Connection"], None]
"""A piece of index writing that fits in any transaction (a chunk of rows, a block of clients)."""


@dataclass(frozen=True)
class PendingRange:
    """One marker: clients ``first_id..last_id`` are committed and not all their index rows are."""

    name: str
    first_id: int
    last_id: int
    owner: int
    """The process id writing the rows (0: nobody)."""


@dataclass
class IndexRun:
    """What writing a range's index rows took: each transaction's hold of the write lock."""

    holds: list[tuple[float, float]] = field(default_factory=list)
    """(wall, CPU) seconds from BEGIN to COMMIT of each transaction."""
    finished: bool = False


def mark_pending(connection: Connection, first_id: int, last_id: int) -> str:
    """Record, in the caller's transaction (the one committing the clients), that clients
    ``first_id..last_id`` have no index rows yet and that this process is writing them."""
    name = f"{MARKER_PREFIX}{first_id}-{last_id}"
    connection.execute(
        text("INSERT INTO counter (name, value) VALUES (:n, :v)"), {"n": name, "v": os.getpid()}
    )
    return name


def pending_ranges(connection: Connection) -> list[PendingRange]:
    """Every range of clients still owed index rows (none, nearly always: one tiny read)."""
    rows = connection.execute(
        text("SELECT name, value FROM counter WHERE substr(name, 1, :k) = :prefix ORDER BY name"),
        {"k": len(MARKER_PREFIX), "prefix": MARKER_PREFIX},
    )
    ranges = []
    for name, value in rows:
        first, last = name.removeprefix(MARKER_PREFIX).split("-")
        ranges.append(PendingRange(name, int(first), int(last), int(value)))
    return ranges


def clear_pending(connection: Connection) -> None:
    """Forget every marker and owed client (a full rebuild of the index writes every client's rows)."""
    connection.execute(
        text("DELETE FROM counter WHERE substr(name, 1, :k) = :prefix"),
        {"k": len(MARKER_PREFIX), "prefix": MARKER_PREFIX},
    )
    connection.execute(text("DELETE FROM search_owed"))


def owe_clients(connection: Connection, select_ids: str, parameters: dict[str, object] | None = None) -> int:
    """Record, in the caller's transaction (the one committing the merges), that the clients whose ids
    ``select_ids`` (a SELECT of one column) yields have stale index rows that this process rebuilds.
    A client another import still owes is taken over. Returns how many clients are owed now."""
    connection.execute(
        text(
            f"WITH owed (id) AS ({select_ids}) INSERT INTO search_owed (client_id, owner)"
            " SELECT DISTINCT id, :owner FROM owed WHERE true"
            " ON CONFLICT (client_id) DO UPDATE SET owner = excluded.owner"
        ),
        {**(parameters or {}), "owner": os.getpid()},
    )
    return connection.execute(
        text("SELECT count(*) FROM search_owed WHERE owner = :owner"), {"owner": os.getpid()}
    ).scalar_one()


def rebuild_owed(
    begin: Callable[[], AbstractContextManager[Connection]], client_ids: Sequence[int]
) -> IndexRun:
    """Rebuild the index rows of ``client_ids`` that this process owes, in short transactions (``begin``),
    a block of ``OWED_BLOCK_CLIENTS`` each, every block clearing its ``search_owed`` rows as it commits. A
    client someone else took over (a later import merged it again) is left to them."""
    from hotline.core.search.index import reindex_ids

    me = os.getpid()
    ids = sorted(client_ids)

    def block(chunk: list[int]) -> Step:
        def step(connection: Connection) -> None:
            still = [
                client_id
                for (client_id,) in connection.execute(
                    text(
                        "SELECT client_id FROM search_owed WHERE owner = :me AND client_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"me": me, "ids": chunk},
                )
            ]
            if still:
                reindex_ids(connection, still)
                connection.execute(
                    text("DELETE FROM search_owed WHERE owner = :me AND client_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"me": me, "ids": still},
                )

        return step

    size = OWED_BLOCK_CLIENTS
    steps = [block(ids[start : start + size]) for start in range(0, len(ids), size)]
    if not steps:
        return IndexRun(finished=True)
    return in_short_transactions(
        begin, steps, start=lambda _connection: True, finish=lambda _connection: None
    )


def owner_of(connection: Connection, name: str) -> int | None:
    """The process writing marker ``name``'s rows; None once the marker is gone (all written)."""
    value = connection.execute(
        text("SELECT value FROM counter WHERE name = :n"), {"n": name}
    ).scalar_one_or_none()
    return None if value is None else int(value)


def release(connection: Connection, name: str) -> None:
    """Give the marker up (the rows could not all be written): anyone may take it over at once."""
    connection.execute(text("UPDATE counter SET value = 0 WHERE name = :n"), {"n": name})


def in_short_transactions(
    begin: Callable[[], AbstractContextManager[Connection]],
    steps: Sequence[Step],
    *,
    start: Callable[[Connection], bool],
    finish: Callable[[Connection], None],
    between: Callable[[], None] | None = None,
) -> IndexRun:
    """Run ``steps`` in order in transactions opened by ``begin()`` (each begins IMMEDIATE and commits
    on leaving), each taking steps until it has held the lock ``BUDGET_SECONDS``, with a pause before
    each. Every transaction first calls ``start`` (False: stop here, someone else took over); the one
    running the last step then calls ``finish``. ``between`` runs after each commit, lock free."""
    run = IndexRun()
    done = 0
    while not run.finished:
        pause()
        started, started_cpu = time.perf_counter(), time.thread_time()
        with begin() as connection:
            if not start(connection):
                return run
            first = done
            while done < len(steps) and (done == first or time.perf_counter() - started < BUDGET_SECONDS):
                steps[done](connection)
                done += 1
            if done == len(steps):
                finish(connection)
                run.finished = True
        run.holds.append((time.perf_counter() - started, time.thread_time() - started_cpu))
        if between is not None:
            between()
    return run


def owed_clients(engine: Engine) -> int:
    """How many committed clients are still owed index rows (``hotline db status`` says so)."""
    from hotline.core.db import UnitOfWork

    with UnitOfWork(engine, readonly=True) as reader:
        connection = reader.session.connection()
        owed = connection.execute(text("SELECT count(*) FROM search_owed")).scalar_one()
        return owed + sum(p.last_id - p.first_id + 1 for p in pending_ranges(connection))


def pause() -> None:
    """The write lock left free between two index transactions (tests write here)."""
    time.sleep(PAUSE_SECONDS)


def complete_pending(engine: Engine) -> int:
    """Index the clients of every marker, and rebuild those of every ``search_owed`` row, whose owner is
    gone (an import killed after committing its clients or its merges), from the client tables, in
    short transactions. Returns how many clients that covered.

    Derived data only: it writes what the committed clients already imply, so it needs no authority.
    """
    from hotline.core.db import UnitOfWork
    from hotline.core.search.index import reindex_range

    with UnitOfWork(engine, readonly=True) as reader:
        ranges = [
            pending for pending in pending_ranges(reader.session.connection()) if _abandoned(pending.owner)
        ]

    @contextmanager
    def begin() -> Iterator[Connection]:
        with UnitOfWork(engine) as uow:
            yield uow.session.connection()

    me = os.getpid()
    for pending in ranges:
        claimed = False

        def start(connection: Connection, pending: PendingRange = pending) -> bool:
            nonlocal claimed
            owner = owner_of(connection, pending.name)
            if owner is None:
                return False  # all written meanwhile
            if claimed:
                return owner == me  # else another process took it over: its work now
            if not _abandoned(owner):
                return False
            connection.execute(
                text("UPDATE counter SET value = :v WHERE name = :n"), {"n": pending.name, "v": me}
            )
            claimed = True
            return True

        def finish(connection: Connection, pending: PendingRange = pending) -> None:
            connection.execute(text("DELETE FROM counter WHERE name = :n"), {"n": pending.name})

        blocks = [
            _reindex_block(reindex_range, first, min(first + BLOCK_CLIENTS - 1, pending.last_id))
            for first in range(pending.first_id, pending.last_id + 1, BLOCK_CLIENTS)
        ]
        in_short_transactions(begin, blocks, start=start, finish=finish)
    return sum(pending.last_id - pending.first_id + 1 for pending in ranges) + _complete_owed(engine, begin)


def _complete_owed(engine: Engine, begin: Callable[[], AbstractContextManager[Connection]]) -> int:
    """Take over the ``search_owed`` rows of owners that are gone, and rebuild those clients' rows."""
    from hotline.core.db import UnitOfWork

    with UnitOfWork(engine, readonly=True) as reader:
        owners = reader.session.connection().execute(text("SELECT DISTINCT owner FROM search_owed")).scalars()
        abandoned = [owner for owner in owners if _abandoned(owner)]
    if not abandoned:
        return 0
    me = os.getpid()
    with begin() as connection:
        connection.execute(
            text("UPDATE search_owed SET owner = :me WHERE owner IN :owners").bindparams(
                bindparam("owners", expanding=True)
            ),
            {"me": me, "owners": abandoned},
        )
        ids = list(
            connection.execute(
                text("SELECT client_id FROM search_owed WHERE owner = :me"), {"me": me}
            ).scalars()
        )
    rebuild_owed(begin, ids)
    return len(ids)


def _reindex_block(reindex: Callable[[Connection, int, int], None], first: int, last: int) -> Step:
    return lambda connection: reindex(connection, first, last)


def _abandoned(owner: int) -> bool:
    """Whether marker owner ``owner`` is writing nothing any more: released (0), this very process (its
    import gave the rows up, or it would not be asking), or a process that no longer exists."""
    if owner in (0, os.getpid()):
        return True
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


__all__ = [
    "BLOCK_CLIENTS",
    "IndexRun",
    "PendingRange",
    "clear_pending",
    "complete_pending",
    "in_short_transactions",
    "mark_pending",
    "owe_clients",
    "owed_clients",
    "owner_of",
    "pending_ranges",
    "rebuild_owed",
    "release",
]
