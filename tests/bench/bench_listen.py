"""Live updates on PostgreSQL: one LISTEN connection per console against one per host through a relay.

For N idle consoles (default 10, 50 and 90; ``max_connections`` is 100) and each way:
- per console: N ``ChangeWatcher`` instances, each with its own LISTEN connection, each waited on by a
  thread (as each console's live thread does);
- per host: one ``ChangeWatcher`` in a relay thread that writes each change (channel and ticket
  numbers, one line) to N consoles connected over a Unix socket — a small prototype of the relay the
  issue proposes, standard library only, to measure the design (it is not the product's relay).

Figures: the server connections in use with the N consoles idle (``pg_stat_activity``, this database),
and from just before the writer's commit to each console receiving the change (``NOTIFIES`` changes,
one transaction each, ``GAP_SECONDS`` apart): p50/p95/p99/max over every (change, console) pair, and
p95 of the time until the last console had it.

The consoles are threads of this one process (the GIL adds to both ways alike); real consoles are
processes on several machines. By default the benchmark starts a PostgreSQL server of its own
(``initdb`` as the ``postgres`` user, a free loopback port, ``max_connections = 100``) so that 90 idle
connections take nothing from the shared test server; ``LISTEN_BENCH_SHARED=1`` uses the shared server
instead and skips, loudly, an N that does not fit in its free connections (with 10 left to others).

    .venv/bin/python tests/bench/bench_listen.py            # N = 10, 50, 90
    LISTEN_COUNTS=10,50 .venv/bin/python tests/bench/bench_listen.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from benchlib import PG_ADMIN_URL, pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from hotline.core import migrate
from hotline.core.changes import ChangeWatcher, signal_change
from hotline.core.db import UnitOfWork, make_engine

COUNTS = [int(n) for n in os.environ.get("LISTEN_COUNTS", "10,50,90").split(",")]
NOTIFIES = int(os.environ.get("LISTEN_NOTIFIES", "40"))
GAP_SECONDS = 0.05
DELIVERY_DEADLINE_SECONDS = 30.0
SPARE_SHARED = 10
"""On the shared server, connections left to everyone else."""
SPARE_OWN = 3
"""On its own server: the benchmark's writer, its probe and its check of what is free."""
DATABASE = "hotline_push_bench_listen"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

console = Console(width=170)


# -- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def own_server() -> Iterator[str | None]:
    """A throwaway PostgreSQL (``max_connections = 100``) on a free loopback port; None if it cannot
    be started here."""
    if os.environ.get("LISTEN_BENCH_SHARED") or not (PG_BIN / "initdb").exists():
        yield None
        return
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="hotline-bench-listen-"))
    if as_postgres:
        shutil.chown(data, "postgres")
    port = free_port()
    started = False
    try:
        subprocess.run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off"
        start = ["-o", options, "-w", "-t", "60", "start"]
        started = True  # from here on, stopped at the end whatever happens
        subprocess.run(  # -l: the server must not hold our pipes (run() would wait for them)
            [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), *start],
            check=True,
            capture_output=True,
            timeout=120,
        )
        admin = make_engine(f"postgresql://postgres@127.0.0.1:{port}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()
        yield f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    except (OSError, subprocess.SubprocessError) as error:
        console.print(f"[yellow]could not start a server of its own ({error}); using the shared one[/]")
        yield None
    finally:
        if started:
            subprocess.run(
                [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
                check=False,
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(data, ignore_errors=True)


def connections_in_use(engine, database: str) -> int:
    """Client connections to ``database`` now, the one asking excluded."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ),
                {"d": database},
            ).scalar_one()
        )


def free_connections(engine) -> int:
    with engine.connect() as connection:
        used = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
        ).scalar_one()
        limit = connection.execute(text("SELECT current_setting('max_connections')::int")).scalar_one()
        reserved = connection.execute(
            text("SELECT current_setting('superuser_reserved_connections')::int")
        ).scalar_one()
    return int(limit) - int(reserved) - int(used)


# -- the consoles ---------------------------------------------------------------------------------------


class Received:
    """When each console received each change: ``times[(console, change)]``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[tuple[int, int], float] = {}

    def record(self, console_index: int, numbers: frozenset[int] | None, at: float) -> None:
        with self.lock:
            for number in numbers or ():
                self.times.setdefault((console_index, number), at)

    def count(self) -> int:
        with self.lock:
            return len(self.times)


def listen_per_console(engine, n: int, received: Received, stop: threading.Event) -> list[threading.Thread]:
    """N consoles, each with its own LISTEN connection (made before returning)."""
    watchers = [ChangeWatcher(engine) for _ in range(n)]

    def run(index: int, watcher: ChangeWatcher) -> None:
        try:
            while not stop.is_set():
                if "ticket" in watcher.wait(0.25):
                    received.record(index, watcher.ids("ticket"), time.monotonic())
        finally:
            watcher.close()

    threads = [
        threading.Thread(target=run, args=(index, watcher), daemon=True)
        for index, watcher in enumerate(watchers)
    ]
    for thread in threads:
        thread.start()
    return threads


def listen_per_host(engine, n: int, received: Received, stop: threading.Event) -> list[threading.Thread]:
    """One LISTEN connection in a relay thread; N consoles read its lines from a Unix socket."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-relay-"))
    path = str(folder / "relay.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(n)
    watcher = ChangeWatcher(engine)
    consoles: list[socket.socket] = []
    clients = []
    for _ in range(n):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        clients.append(client)
        consoles.append(server.accept()[0])

    def relay() -> None:
        try:
            while not stop.is_set():
                changed = watcher.wait(0.25)
                if "ticket" in changed:
                    numbers = watcher.ids("ticket")
                    line = ("ticket " + ",".join(map(str, sorted(numbers or ()))) + "\n").encode()
                    for peer in consoles:
                        peer.sendall(line)
        finally:
            watcher.close()
            for peer in consoles:
                peer.close()
            server.close()
            shutil.rmtree(folder, ignore_errors=True)

    def run(index: int, client: socket.socket) -> None:
        client.settimeout(0.25)
        pending = b""
        with client:
            while not stop.is_set():
                try:
                    chunk = client.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                at = time.monotonic()
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    _, _, ids = line.decode().partition(" ")
                    received.record(index, frozenset(int(i) for i in ids.split(",") if i), at)

    threads = [threading.Thread(target=relay, daemon=True)]
    threads += [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    return threads


WAYS = {"LISTEN per console": listen_per_console, "relay per host": listen_per_host}


# -- one measurement -------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, database: str, way: str, n: int) -> dict[str, object]:
    engine = make_engine(url)
    probe = make_engine(url)
    received, stop = Received(), threading.Event()
    base = connections_in_use(probe, database)
    threads = WAYS[way](engine, n, received, stop)
    try:
        time.sleep(0.5)  # idle, as consoles mostly are
        idle = connections_in_use(probe, database) - base
        sent: dict[int, float] = {}
        for change in range(1, NOTIFIES + 1):
            with UnitOfWork(engine) as uow:
                signal_change(uow, "ticket", [change])
                sent[change] = time.monotonic()  # the commit follows at once
            time.sleep(GAP_SECONDS)
        deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
        while received.count() < n * NOTIFIES and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        engine.dispose()
    with received.lock:
        times = dict(received.times)
    probe.dispose()
    latencies = [(at - sent[change]) * 1000 for (_, change), at in times.items() if change in sent]
    last = [
        max((at - sent[change]) * 1000 for (_, c), at in times.items() if c == change)
        for change in sent
        if any(c == change for (_, c) in times)
    ]
    return {
        "connections": idle,
        "delivered": f"{len(latencies)}/{n * NOTIFIES}",
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        "last p95": percentile(last, 0.95) if last else float("nan"),
    }


def main() -> None:
    with own_server() as private_url:
        if private_url is not None:
            url, where = private_url, "a server of its own (max_connections 100)"
        else:
            shared = pg_bench_database(DATABASE, console)
            if shared is None:
                sys.exit(0)
            url, where = shared, f"the shared server {PG_ADMIN_URL.rsplit('@', 1)[-1]}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        database = url.rsplit("/", 1)[1]
        table = Table(
            title=f"notify → console, {NOTIFIES} changes {GAP_SECONDS * 1000:.0f} ms apart, on {where}"
        )
        for column in ("consoles", "way", "server connections", "delivered"):
            table.add_column(column)
        for column in ("p50 ms", "p95 ms", "p99 ms", "max ms", "all had it p95 ms", "load"):
            table.add_column(column, justify="right")
        for n in COUNTS:
            for way in WAYS:
                needed = n if way == "LISTEN per console" else 1
                free = free_connections(engine)
                if needed + (SPARE_OWN if private_url else SPARE_SHARED) > free:
                    table.add_row(str(n), way, f"SKIPPED: needs {needed}, {free} free", "", *[""] * 6)
                    continue
                figures = measure(url, database, way, n)
                table.add_row(
                    str(n),
                    way,
                    str(figures["connections"]),
                    str(figures["delivered"]),
                    *(f"{figures[key]:.1f}" for key in ("p50", "p95", "p99", "max", "last p95")),
                    f"{os.getloadavg()[0]:.2f}",
                )
                console.print(f"N={n} {way}: done")
        engine.dispose()
        if private_url is None:
            admin = make_engine(PG_ADMIN_URL)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            admin.dispose()
    console.print(table)


if __name__ == "__main__":
    main()
