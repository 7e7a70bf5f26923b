"""Every report over a year of the demo data, and the wallboard's refresh, on SQLite and PostgreSQL.

Targets (issue 17, on the 1,000,000-client demo): each report over a year ≤ 2 s; the wallboard's
refresh ≤ 100 ms of database time. Loads the demo with the real commands (``hotline db init`` and
``hotline demo``) in a child process, then times ``run_report`` and ``read_wallboard`` in this process
(the best of a few runs; the wallboard's work is its queries, the Python around them is a few dozen
rows). Prints a Rich table and appends one JSON object per figure to ``bench-results.jsonl``.
``SCALE`` multiplies the number of clients (``SCALE=0.01`` for ten thousand); PostgreSQL is timed too
when the test server answers (a database of its own, made afresh).

    SCALE=0.01 .venv/bin/python tests/bench/bench_reports.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from benchlib import pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from hotline.core.clock import FixedClock, parse_instant
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.reports import REPORT_NAMES, Filters, Period, ReportRequest, run_report
from hotline.core.services.wallboard import read_wallboard

if TYPE_CHECKING:
    from collections.abc import Callable

SCALE = float(os.environ.get("SCALE", "1"))
CLIENTS = max(1_000, int(1_000_000 * SCALE))
REPORT_TARGET = 2.0
WALLBOARD_TARGET = 0.100
RUNS = 3
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
NOW = "2026-11-23T10:00:00+03:00"
ZONE = ZoneInfo("Europe/Moscow")
TIMEOUT_SECONDS = 3600
console = Console(highlight=False)


def hotline(url: str, *args: str) -> None:
    command = [
        sys.executable,
        "-c",
        "from hotline.cli.main import run; run()",
        "--db",
        url,
        "--now",
        NOW,
        *args,
    ]
    env = {
        **os.environ,
        "HOTLINE_OPERATOR": "bench-admin",
        "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="hotline-no-config-"),
    }
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")


def best_of(work: Callable[[], None]) -> tuple[float, float]:
    """The shortest wall time of ``RUNS`` runs, and the shortest CPU time of this process (on a busy
    machine the wall time of SQLite's in-process work is mostly waiting for a core)."""
    walls, cpus = [], []
    for _ in range(RUNS):
        started, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def measure(url: str, backend: str) -> list[tuple[str, float, str, float | None, str]]:
    hotline(url, "db", "init")
    hotline(url, "demo", "--clients", str(CLIENTS), "--force")
    engine = make_engine(url)
    clock = FixedClock(parse_instant(NOW))
    today = clock.now().astimezone(ZONE).date()
    year = ReportRequest(Period(today - timedelta(days=364), today, ZONE), Filters())
    figures = []
    with engine.connect() as connection:
        counts = {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                  for table in ("client", "ticket", "ticket_event", "interaction")}  # fmt: skip
    for name in REPORT_NAMES:

        def build(name: str = name) -> None:
            with UnitOfWork(engine, clock=clock, readonly=True) as uow:
                run_report(uow, name=name, request=year)

        wall, cpu = best_of(build)
        figures.append((f"report {name} (a year)", wall, "s", REPORT_TARGET, backend))
        figures.append((f"report {name}: CPU of this process", cpu, "s", None, backend))

    def wallboard() -> None:
        with UnitOfWork(engine, clock=clock, readonly=True) as uow:
            read_wallboard(uow, zone=ZONE)

    wall, cpu = best_of(wallboard)
    figures.append(("wallboard refresh", wall * 1000, "ms", WALLBOARD_TARGET * 1000, backend))
    figures.append(("wallboard refresh: CPU of this process", cpu * 1000, "ms", None, backend))
    engine.dispose()
    figures.extend((f"rows: {table}", float(count), "rows", None, backend) for table, count in counts.items())
    return figures


def main() -> None:
    figures = []
    with tempfile.TemporaryDirectory(prefix="hotline-bench-reports-") as folder:
        figures += measure(f"sqlite:///{Path(folder) / 'demo.db'}", "sqlite")
    pg_url = pg_bench_database("hotline_bench_reports", console, fresh=True)
    if pg_url is not None:
        figures += measure(pg_url, "postgresql")
    table = Table(
        title=f"reports and wallboard on the demo of {CLIENTS:,} clients (scale {SCALE})",
        title_justify="left",
    )
    for column in ("backend", "metric", "value", "unit", "target"):
        table.add_column(column)
    with RESULTS.open("a", encoding="utf-8") as out:
        for metric, value, unit, target, backend in figures:
            if unit == "rows":
                table.add_row(backend, metric, f"{value:,.0f}", unit, "—")
                continue
            verdict = (
                "—" if target is None else f"≤ {target:,.3g}" + (" ok" if value <= target else " MISSED")
            )
            table.add_row(backend, metric, f"{value:,.3f}", unit, verdict)
            out.write(json.dumps({"benchmark": "reports", "metric": metric, "value": round(value, 4), "unit": unit,
                                  "target": target, "backend": backend, "scale": SCALE}) + "\n")  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
