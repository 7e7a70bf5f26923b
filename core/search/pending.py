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
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

MARKER_PREFIX = "search-pending:"
BLOCK_CLIENTS = 1_000
"""Clients a recovery reindexes in one go (its transactions take as many blocks as their budget allows)."""
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
    """Forget every marker (a full rebuild of the index writes every client's rows)."""
    connection.execute(
        text("DELETE FROM counter WHERE substr(name, 1, :k) = :prefix"),
        {"k": len(MARKER_PREFIX), "prefix": MARKER_PREFIX},
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
        return sum(p.last_id - p.first_id + 1 for p in pending_ranges(reader.session.connection()))


def pause() -> None:
    """The write lock left free between two index transactions (tests write here)."""
    time.sleep(PAUSE_SECONDS)


def complete_pending(engine: Engine) -> int:
    """Index the clients of every marker whose owner is gone (an import killed after committing its
    clients), from the client tables, in short transactions. Returns how many clients that covered.

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
    return sum(pending.last_id - pending.first_id + 1 for pending in ranges)


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
    "owed_clients",
    "owner_of",
    "pending_ranges",
    "release",
]
