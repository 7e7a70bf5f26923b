"""Where the slowest units of work of ``bench_operators.py --phases`` spent their time.

Each timed unit of work is split, from SQLAlchemy's events and the thread's own CPU clock, into: its
statements (the wall time of each ``cursor.execute``, psycopg's ``BEGIN`` inside the first one), its end
(``COMMIT`` or ``ROLLBACK``), and the Python around them; each part into the thread's CPU and the rest
(waiting for the server, the pooler, a core or the GIL). Beside them, what was going on at the time:
a heartbeat thread per simulator process (how late a 10 ms sleep wakes: the GIL and the run queue as the
operators' threads see them), the machine's run queue (``procs_running``), the server's wait events
(``pg_stat_activity``) and PgBouncer's waiting clients (``SHOW POOLS``), sampled in the main process.
The report compares the slowest 2 % of each operation with its median units.
"""

from __future__ import annotations

import bisect
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import event
from sqlalchemy.engine import Engine

HEARTBEAT_SECONDS = 0.010
STALL_MS = 5.0
ANALYSED = ("call log", "lookup", "card open")


@dataclass(frozen=True)
class Unit:
    """One timed unit of work, split (milliseconds; ``started`` is wall-clock seconds)."""

    operation: str
    started: float
    pid: int
    first: bool
    wall: float
    cpu: float
    exec_wall: float
    exec_cpu: float
    end_wall: float
    end_cpu: float
    statements: int
    slowest_statement: float

    @property
    def ended(self) -> float:
        return self.started + self.wall / 1000


class UnitPhases:
    """Times the parts of each unit of work run by ``start``/``finish`` on this thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.local = threading.local()
        self.units: list[Unit] = []
        self.seen: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._ending)
        event.listen(engine, "rollback", self._ending)

    def start(self) -> None:
        self.local.record = {
            "t0": time.perf_counter(),
            "cpu0": time.thread_time(),
            "wall0": time.time(),
            "exec_wall": 0.0,
            "exec_cpu": 0.0,
            "statements": 0,
            "slowest": 0.0,
            "end": None,
        }

    def finish(self, operation: str, who: str) -> None:
        record = getattr(self.local, "record", None)
        self.local.record = None
        if record is None:
            return
        now, cpu = time.perf_counter(), time.thread_time()
        end_wall = end_cpu = 0.0
        if record["end"] is not None:
            end_wall, end_cpu = now - record["end"][0], cpu - record["end"][1]
        with self.lock:
            # A console's first of an operation, its warm-up included ("call log (console's first)").
            key = (who, operation.split(" (")[0])
            first = key not in self.seen
            self.seen.add(key)
            self.units.append(
                Unit(
                    operation=operation,
                    started=record["wall0"],
                    pid=self.pid,
                    first=first,
                    wall=(now - record["t0"]) * 1000,
                    cpu=(cpu - record["cpu0"]) * 1000,
                    exec_wall=record["exec_wall"] * 1000,
                    exec_cpu=record["exec_cpu"] * 1000,
                    end_wall=end_wall * 1000,
                    end_cpu=end_cpu * 1000,
                    statements=record["statements"],
                    slowest_statement=record["slowest"] * 1000,
                )
            )

    def _before(self, *_args: Any) -> None:
        record = getattr(self.local, "record", None)
        if record is not None:
            record["exec_start"] = (time.perf_counter(), time.thread_time())

    def _after(self, *_args: Any) -> None:
        record = getattr(self.local, "record", None)
        if record is not None and "exec_start" in record:
            wall = time.perf_counter() - record["exec_start"][0]
            record["exec_wall"] += wall
            record["exec_cpu"] += time.thread_time() - record["exec_start"][1]
            record["statements"] += 1
            record["slowest"] = max(record["slowest"], wall)

    def _ending(self, *_args: Any) -> None:
        record = getattr(self.local, "record", None)
        if record is not None and record["end"] is None:
            record["end"] = (time.perf_counter(), time.thread_time())


class Heartbeat:
    """How late a 10 ms sleep wakes in this process: each wake later than ``STALL_MS`` is kept (when it
    began, how late), with a count of every wake by lateness."""

    def __init__(self) -> None:
        self.stalls: list[tuple[float, float]] = []
        self.lateness: Counter[int] = Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            began, wall = time.perf_counter(), time.time()
            time.sleep(HEARTBEAT_SECONDS)
            late = (time.perf_counter() - began - HEARTBEAT_SECONDS) * 1000
            self.lateness[int(late)] += 1
            if late > STALL_MS:
                self.stalls.append((wall, late))


@dataclass
class Samples:
    """What the main process sampled during the run (wall-clock seconds)."""

    run_queue: list[tuple[float, int]] = field(default_factory=list)
    waits: Counter[str] = field(default_factory=Counter)
    wait_times: list[tuple[float, str]] = field(default_factory=list)
    wait_samples: int = 0
    pooler_waiting: list[tuple[float, int, int]] = field(default_factory=list)


def run_queue_sampler(samples: Samples, stop: threading.Event) -> None:
    """The machine's runnable tasks (``procs_running`` in ``/proc/stat``) every 20 ms."""
    stat = Path("/proc/stat")
    while not stop.wait(0.02):
        for line in stat.read_text(encoding="ascii").splitlines():
            if line.startswith("procs_running"):
                samples.run_queue.append((time.time(), int(line.split()[1])))
                break


def wait_sampler(direct_url: str, samples: Samples, stop: threading.Event) -> None:
    """The bench database's busy backends every 50 ms: their state and wait event."""
    import psycopg

    with psycopg.connect(direct_url, autocommit=True, connect_timeout=5) as connection:
        while not stop.wait(0.05):
            rows = connection.execute(
                "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'on CPU') FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND state <> 'idle'"
                " AND query NOT LIKE 'LISTEN%'"
            ).fetchall()
            now = time.time()
            samples.wait_samples += 1
            for state, wait in rows:
                name = f"{state} / {wait}"
                samples.waits[name] += 1
                if not wait.startswith(("on CPU", "Client:ClientRead")):
                    samples.wait_times.append((now, name))


def pooler_sampler(bouncer: Any, database: str, samples: Samples, stop: threading.Event) -> None:
    """PgBouncer's clients waiting for a server connection, and the longest wait, every 250 ms."""
    while not stop.wait(0.25):
        try:
            rows = bouncer.admin_show("pools")
        except Exception:  # a sample missed is no figure lost
            continue
        for row in rows:
            if row["database"] == database:
                wait_us = int(row["maxwait"]) * 1_000_000 + int(row.get("maxwait_us", 0))
                samples.pooler_waiting.append((time.time(), int(row["cl_waiting"]), wait_us))


def _during(series: list[tuple[float, Any]], times: list[float], unit: Unit) -> list[Any]:
    low = bisect.bisect_left(times, unit.started)
    high = bisect.bisect_right(times, unit.ended)
    return [value for _, value in series[low:high]]


def report_phases(
    console: Console,
    units: list[Unit],
    stalls: dict[int, list[tuple[float, float]]],
    lateness: Counter[int],
    samples: Samples,
    escalations: list[tuple[float, float]],
) -> None:
    """Print the median units and the slowest 2 % of each analysed operation side by side."""
    run_queue = sorted(samples.run_queue)
    run_times = [moment for moment, _ in run_queue]
    waits = sorted(samples.wait_times)
    wait_times = [moment for moment, _ in waits]
    stall_times = {
        pid: ([moment for moment, _ in sorted(found)], sorted(found)) for pid, found in stalls.items()
    }
    table = Table(title="where the time went: median units against the slowest 2 %", title_justify="left")
    columns = (
        "operation",
        "units",
        "wall",
        "py cpu",
        "py off-cpu",
        "stmt cpu",
        "stmt wait",
        "end cpu",
        "end wait",
        "stmts",
        "slowest stmt",
        "first",
        "run queue",
        "GIL/CPU stall ≥ 5 ms",
        "in escalation",
        "server waits",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "operation" else "right")
    for operation in ANALYSED:
        mine = sorted((unit for unit in units if unit.operation == operation), key=lambda unit: unit.wall)
        if len(mine) < 20:
            continue
        middle = mine[int(len(mine) * 0.4) : int(len(mine) * 0.6)]
        slowest = mine[-max(1, len(mine) // 50) :]
        for label, group in (("median", middle), ("slowest 2 %", slowest)):
            stalled, queue, server = [], [], Counter()
            for unit in group:
                times, found = stall_times.get(unit.pid, ([], []))
                stalled.append(sum(_during(found, times, unit)))
                queue.extend(_during(run_queue, run_times, unit))
                server.update(_during(waits, wait_times, unit))
            mean = lambda values: statistics.fmean(values) if values else 0.0  # noqa: E731
            table.add_row(
                f"{operation} ({label})",
                str(len(group)),
                f"{mean([u.wall for u in group]):.1f}",
                f"{mean([u.cpu - u.exec_cpu - u.end_cpu for u in group]):.1f}",
                f"{mean([u.wall - u.exec_wall - u.end_wall - (u.cpu - u.exec_cpu - u.end_cpu) for u in group]):.1f}",
                f"{mean([u.exec_cpu for u in group]):.1f}",
                f"{mean([u.exec_wall - u.exec_cpu for u in group]):.1f}",
                f"{mean([u.end_cpu for u in group]):.1f}",
                f"{mean([u.end_wall - u.end_cpu for u in group]):.1f}",
                f"{mean([u.statements for u in group]):.1f}",
                f"{mean([u.slowest_statement for u in group]):.1f}",
                f"{sum(u.first for u in group) / len(group):.0%}",
                f"{mean(queue):.1f}",
                f"{mean(stalled):.1f} ms",
                f"{sum(any(a <= u.ended and u.started <= b for a, b in escalations) for u in group) / len(group):.0%}",
                ", ".join(f"{name} ×{count}" for name, count in server.most_common(3)),
            )
    Console(highlight=False, width=260).print(table)
    console.print(
        "columns: ms per unit (mean); py = the Python around the statements; stmt = inside cursor.execute"
        " (psycopg's BEGIN with the first); end = COMMIT/ROLLBACK; wait = wall − the thread's CPU; run"
        " queue = the machine's runnable tasks meanwhile; stall = the process's heartbeat lateness summed"
        " over the unit"
    )
    wakes = sum(lateness.values())
    if wakes:
        ordered = sorted(lateness.elements())
        console.print(
            f"heartbeats (10 ms sleeps, every simulator process): {wakes:,}; late p50 {ordered[wakes // 2]} ms,"
            f" p99 {ordered[int(wakes * 0.99)]} ms, max {ordered[-1]} ms"
        )
    if run_queue:
        values = sorted(value for _, value in run_queue)
        console.print(
            f"machine run queue (procs_running, 2 cores): p50 {values[len(values) // 2]},"
            f" p90 {values[int(len(values) * 0.9)]}, p99 {values[int(len(values) * 0.99)]}"
        )
    if samples.wait_samples:
        console.print(
            f"server, per 50 ms sample ({samples.wait_samples:,}): "
            + ", ".join(
                f"{name} {count / samples.wait_samples:.2f}" for name, count in samples.waits.most_common(8)
            )
        )
    if samples.pooler_waiting:
        waiting = [count for _, count, _ in samples.pooler_waiting]
        longest = max(wait for _, _, wait in samples.pooler_waiting)
        console.print(
            f"PgBouncer pools ({len(waiting)} samples): clients waiting for a server in"
            f" {sum(1 for count in waiting if count) / len(waiting):.0%} of samples, at most {max(waiting)};"
            f" the longest wait seen {longest / 1000:.1f} ms"
        )
