"""Round trips and statements per console operation on PostgreSQL: what each keystroke costs the wire.

    .venv/bin/python tests/bench/bench_round_trips.py            # straight to the server
    .venv/bin/python tests/bench/bench_round_trips.py --pgbouncer

Each operation runs in a unit of work of its own, as the console runs it: a lookup per keystroke of
names drawn from the demo clients (1-12 letters), a card open, a call log, a screen pop requested and
taken. Counted per operation, from libpq's own protocol trace of every connection (so the ``BEGIN``
psycopg sends itself, the pool's ping when it makes one and the ``COMMIT`` are in): round trips (one
per ``ReadyForQuery`` the server sends back) and, among them, the statements SQLAlchemy executed (its
``before_cursor_execute`` event); and the median time. ``BENCH_DATABASE`` names the database (default
``hotline_bench_operators``, shared with ``bench_operators.py``, demo clients made once).

The card and the call log are held to their counts (``MOST_ROUND_TRIPS``): a change that adds a round
trip to either makes this benchmark fail (exit 1), as the test in ``tests/core/search`` does.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_operators import prepare
from benchlib import pg_bench_database, report_figures
from rich.console import Console
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.settings import DatabaseSettings
from tests.pgbouncer import pgbouncer_missing, running_pgbouncer

DATABASE = os.environ.get("BENCH_DATABASE", "hotline_bench_operators")
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
console = Console(highlight=False, width=150)
MOST_ROUND_TRIPS = {
    # BEGIN; the card in one statement; ROLLBACK (before: a ping, BEGIN, five or six statements, ROLLBACK).
    "card open": 3,
    # BEGIN; client, operator, the call's id, the PBX's record; the call with its audit entry and the
    # client's last interaction; COMMIT (before: a ping, BEGIN, six statements, COMMIT).
    "call log": 4,
}
"""The most round trips each of these operations may take on a pooled connection."""


class WireCounter:
    """Round trips (from libpq's trace of every connection the engine opens) and SQLAlchemy statements."""

    def __init__(self, engine: Engine) -> None:
        import psycopg

        self.trace = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the engine traces into it
        self.statements = 0
        self.traced: list[Any] = []
        flags = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(self.trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(flags)
            self.traced.append(dbapi_connection.pgconn)

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            self.statements += 1

    def round_trips(self) -> int:
        import psycopg

        flags = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE
        for pgconn in self.traced:  # libpq buffers its trace: stopping writes it out
            if pgconn.status == psycopg.pq.ConnStatus.OK:
                pgconn.untrace()
                pgconn.trace(self.trace.fileno())
                pgconn.set_trace_flags(flags)
        self.trace.seek(0)
        return sum(1 for line in self.trace if b"\tReadyForQuery\t" in line)

    @contextmanager
    def measuring(self) -> Iterator[dict[str, float]]:
        """The round trips, statements and milliseconds of the block."""
        figures: dict[str, float] = {}
        trips, statements = self.round_trips(), self.statements
        started = time.perf_counter()
        yield figures
        figures["ms"] = (time.perf_counter() - started) * 1000
        figures["round trips"] = self.round_trips() - trips
        figures["statements"] = self.statements - statements


def operations(
    engine: Engine, clients: list[tuple[int, str, str]], pick: random.Random
) -> Iterator[tuple[str, Callable[[], object]]]:
    """(operation, work) as the simulator's operators do them, over and over."""
    from hotline.core.enums import Direction
    from hotline.core.search import lookup
    from hotline.core.services.clients import client_card
    from hotline.core.services.interactions import log_call
    from hotline.core.services.screen_pop import request_screen_pop, take_screen_pops

    login = "op0000"
    while True:
        client_id, phone, name = pick.choice(clients)

        def ring(phone: str = phone) -> int:
            with UnitOfWork(engine, via="pbx: call incoming") as uow:
                return int(request_screen_pop(uow, operator_login=login, number=phone).id or 0)

        pop_ids: list[int] = []

        def request(pop_ids: list[int] = pop_ids) -> None:
            pop_ids.append(ring())

        yield "pop request", request

        def take(pop_ids: list[int] = pop_ids) -> None:
            with UnitOfWork(engine, actor_login=login, via="console") as uow:
                take_screen_pops(uow, pop_ids=pop_ids, console="bench")

        yield "pop take", take

        def card(client_id: int = client_id) -> None:
            with UnitOfWork(engine, actor_login=login, readonly=True, via="console") as uow:
                client_card(uow, client_id=client_id)

        yield "card open", card
        for length in range(1, min(len(name), pick.randint(4, 12)) + 1):

            def find(typed: str = name[:length]) -> None:
                with UnitOfWork(engine, actor_login=login, readonly=True, via="console") as uow:
                    lookup(uow.session, typed, default_region="RU", limit=20)

            yield "lookup", find

        def log(client_id: int = client_id) -> None:
            with UnitOfWork(engine, actor_login=login, via="console") as uow:
                log_call(
                    uow,
                    client_id=client_id,
                    direction=Direction.IN,
                    duration_seconds=60,
                    outcome="resolved",
                    notes="bench round trips",
                )

        yield "call log", log


def measure(
    url: str, clients: list[tuple[int, str, str]], *, calls: int, direct_url: str | None = None
) -> bool:
    """Print and record the figures; False when an operation took more round trips than it may.
    ``direct_url``: ``url`` is PgBouncer's, and this the server's (for LISTEN, as a deployment says)."""
    pooled = direct_url is not None
    settings = DatabaseSettings(pooler="transaction", listen_url=direct_url) if pooled else DatabaseSettings()
    engine = make_engine(url, database=settings)
    counter = WireCounter(engine)
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    pick = random.Random(19)
    done = 0
    for operation, work in operations(engine, clients, pick):
        with counter.measuring() as measured:
            work()
        for name, value in measured.items():
            figures[operation][name].append(value)
        done += operation == "call log"
        if done >= calls:
            break
    engine.dispose()
    mode = "through PgBouncer" if pooled else "direct"
    rows = []
    for operation, values in figures.items():
        count = len(values["ms"])
        rows += [
            (
                f"{operation}: round trips (mean of {count})",
                round(statistics.mean(values["round trips"]), 2),
                "trips",
            ),
            (
                f"{operation}: statements (mean)",
                round(statistics.mean(values["statements"]), 2),
                "statements",
            ),
            (f"{operation}: most round trips", int(max(values["round trips"])), "trips"),
            (f"{operation}: p50", round(statistics.median(values["ms"]), 2), "ms"),
        ]
    load = os.getloadavg()[0]
    report_figures(
        console,
        f"round trips per operation, {mode} — load {load:.2f}",
        rows,
        RESULTS,
        benchmark="round_trips",
        backend="postgresql",
        mode=mode,
        load=round(load, 2),
    )
    kept = True
    for operation, most in MOST_ROUND_TRIPS.items():
        taken = int(max(figures[operation]["round trips"]))
        if taken > most:
            console.print(f"[red]{operation}: {taken} round trips, more than its {most}[/red]")
            kept = False
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pgbouncer", action="store_true", help="through a PgBouncer of its own")
    parser.add_argument("--calls", type=int, default=100, help="simulated calls (default 100)")
    args = parser.parse_args()
    url = pg_bench_database(DATABASE, console)
    if url is None:
        return
    clients = prepare(url, 1)
    if not args.pgbouncer:
        if not measure(url, clients, calls=args.calls):
            raise SystemExit(1)
        return
    missing = pgbouncer_missing()
    if missing:
        console.print(f"[red]PGBOUNCER NOT AVAILABLE: {missing} — skipped[/red]")
        return
    with (
        tempfile.TemporaryDirectory(prefix="hotline-bench-pgbouncer-") as folder,
        running_pgbouncer(url, Path(folder), pool_size=5) as bouncer,
    ):
        kept = measure(bouncer.url, clients, calls=args.calls, direct_url=bouncer.direct_url)
    if not kept:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
