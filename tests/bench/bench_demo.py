"""``hotline demo --clients 1,000,000`` on SQLite: must finish in under 2 minutes (target 120 s).

Runs the real command in a child process on a fresh database (``hotline db init`` first), reads the
phases from its progress output, prints a Rich table and appends one JSON object per figure to
``bench-results.jsonl``. ``SCALE`` multiplies the number of clients (``SCALE=0.1`` for a tenth).

    SCALE=0.1 .venv/bin/python tests/bench/bench_demo.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from hotline.core.db import make_engine

SCALE = float(os.environ.get("SCALE", "1"))
CLIENTS = max(1_000, int(1_000_000 * SCALE))
TARGET_SECONDS = 120.0
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
NOW = "2026-11-23T10:00:00+03:00"
TIMEOUT_SECONDS = 1800

PHASE = re.compile(r"(rows|knowledge base|lookup index) ([0-9.]+) s")
console = Console(highlight=False)


def hotline(url: str, *args: str) -> subprocess.CompletedProcess[str]:
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
    return result


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hotline-bench-demo-") as folder:
        path = Path(folder) / "demo.db"
        url = f"sqlite:///{path}"
        hotline(url, "db", "init")
        started = time.perf_counter()
        loaded = hotline(url, "demo", "--clients", str(CLIENTS))
        elapsed = time.perf_counter() - started
        engine = make_engine(url)
        with engine.connect() as connection:
            counts = {
                table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in (
                    "client",
                    "client_phone",
                    "client_email",
                    "ticket",
                    "ticket_event",
                    "interaction",
                )
            }
        engine.dispose()
        size_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
    rows = sum(counts.values())
    phases = {name: float(value) for name, value in PHASE.findall(loaded.stderr)}
    figures = [
        ("demo load", elapsed, "s", max(10.0, TARGET_SECONDS * SCALE)),
        *((f"phase: {name}", value, "s", None) for name, value in phases.items()),
        ("rows per second", rows / elapsed, "rows/s", None),
        ("database size", size_mb, "MB", None),
    ]
    table = Table(title=f"hotline demo --clients {CLIENTS:,} (SQLite, scale {SCALE})", title_justify="left")
    for column in ("metric", "value", "unit", "target"):
        table.add_column(column)
    with RESULTS.open("a", encoding="utf-8") as out:
        for metric, value, unit, target in figures:
            verdict = "" if target is None else (" ok" if value <= target else " MISSED")
            table.add_row(
                metric, f"{value:,.1f}", unit, "—" if target is None else f"≤ {target:,.0f}{verdict}"
            )
            record = {
                "benchmark": "demo",
                "metric": metric,
                "value": round(value, 3),
                "unit": unit,
                "target": target,
                "backend": "sqlite",
                "scale": SCALE,
            }
            out.write(json.dumps(record) + "\n")
    for name, count in counts.items():
        table.add_row(f"rows: {name}", f"{count:,}", "rows", "—")
    console.print(table)


if __name__ == "__main__":
    main()
