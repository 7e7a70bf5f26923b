"""The PBX listener: Asterisk AMI events in, screen pops and call records out, on SQLite and PostgreSQL.

Figures:
- event → pop committed: from the ringing event written on the AMI socket to the screen-pop row
  committed in the database (p50/p95 over calls arriving one at a time; target ≤ 300 ms p95). The
  console then takes the pop on its next poll (issue 15 owns that half);
- 200 call events per second: whole calls (ring, answer, recording, hang-up: 10 events each) sent at
  200 events/s for ``10 × SCALE`` seconds; every call must be recorded as ended and every ring popped
  (no loss), and the listener must keep up (lag after the last event);
- the most events per second the listener takes when the PBX sends as fast as it can (read, tracked and
  written; 3,000 × SCALE events).

A test AMI server on loopback (tests/pbx/ami_server.py) replays Asterisk 18 captures. Prints a Rich
table and appends one JSON object per figure to ``bench-results.jsonl``.

    SCALE=0.1 .venv/bin/python tests/bench/bench_pbx.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, text
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: tests.pbx helpers

from benchlib import pg_bench_database

from hotline.core import migrate
from hotline.core.clock import SystemClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import CallRecord, ScreenPop
from hotline.core.pbx.ami_calls import Pop
from hotline.core.settings import AmiSettings
from hotline.pbx.listener import AmiListener
from hotline.pbx.recorder import CallRecorder
from tests.pbx.ami_captures import INBOUND_ANSWERED, render
from tests.pbx.ami_server import FakeAsterisk
from tests.pbx_samples import EXTENSIONS, seed_pbx

SCALE = float(os.environ.get("SCALE", "1"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
LATENCY_CALLS = max(30, int(200 * SCALE))
RATE_EVENTS_PER_SECOND = 200
RATE_SECONDS = max(3.0, 10 * SCALE)
BURST_EVENTS = max(1_000, int(3_000 * SCALE))
EVENTS_PER_CALL = render(INBOUND_ANSWERED, call_id="x").count(b"Event:")
TARGET_P95_MS = 300.0

console = Console(highlight=False, width=140)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ring_and_rest(call_id: str, ext: str) -> tuple[bytes, bytes]:
    """A captured call cut after its ringing events (DialBegin, Newstate Ringing), and the rest."""
    wire = render(INBOUND_ANSWERED, call_id=call_id, ext=ext, caller="79161234567")
    cut = wire.index(b"Event: VarSet")
    return wire[:cut], wire[cut:]


class Bench:
    """One listener on a fresh database, with the commit times of pops by call id."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.committed: dict[str, float] = {}

    def written(self, batch) -> None:
        now = time.perf_counter()
        for action, _ in batch:
            if isinstance(action, Pop):
                self.committed[action.call_id] = now

    async def __aenter__(self) -> Bench:
        self.pbx = await FakeAsterisk().__aenter__()
        clock = SystemClock()
        self.recorder = CallRecorder(
            engine=self.engine, clock=clock, default_region="RU", on_written=self.written
        )
        settings = AmiSettings(port=self.pbx.port, reconnect_max_seconds=1)
        self.listener = AmiListener(
            ami=settings, secret="s3cret", extensions=EXTENSIONS, recorder=self.recorder, clock=clock
        )
        self.stop = asyncio.Event()
        self.task = asyncio.gather(self.listener.run_forever(self.stop), self.recorder.run(self.stop))
        await asyncio.wait_for(self.listener.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)
        await self.pbx.__aexit__()
        self.engine.dispose()

    async def settle(self, events: int, timeout: float = 120) -> None:
        deadline = time.perf_counter() + timeout
        while self.listener.tracker.counts["events"] < events:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{self.listener.tracker.counts['events']} of {events} events read")
            await asyncio.sleep(0.005)
        await asyncio.wait_for(self.recorder.drain(), timeout)

    def stored(self) -> tuple[int, int]:
        with UnitOfWork(self.engine, readonly=True) as uow:
            pops = uow.session.exec(select(func.count()).select_from(ScreenPop)).one()
            ended = uow.session.exec(
                select(func.count()).select_from(CallRecord).where(CallRecord.state == "ended")
            ).one()
        return pops, ended


async def latency(bench: Bench) -> list[float]:
    """Calls one at a time: ring, wait for the pop's commit, then the rest of the call."""
    waits = []
    sent = 0
    for n in range(LATENCY_CALLS):
        call_id = f"1795417200.{n}"
        ring, rest = ring_and_rest(call_id, "101" if n % 2 else "102")
        started = time.perf_counter()
        await bench.pbx.send(ring)
        while call_id not in bench.committed:
            if time.perf_counter() - started > 10:
                raise TimeoutError(f"no pop for {call_id}")
            await asyncio.sleep(0.001)
        waits.append((bench.committed[call_id] - started) * 1000)
        await bench.pbx.send(rest)
        sent += EVENTS_PER_CALL
        await bench.settle(sent)
    return waits


async def steady_rate(bench: Bench) -> dict[str, float]:
    """Whole calls at 200 events/s; every call recorded and popped, and the lag after the last event."""
    calls = int(RATE_SECONDS * RATE_EVENTS_PER_SECOND / EVENTS_PER_CALL)
    interval = EVENTS_PER_CALL / RATE_EVENTS_PER_SECOND
    pops_before, ended_before = bench.stored()
    begin = time.perf_counter()
    for n in range(calls):
        target = begin + n * interval
        await asyncio.sleep(max(0.0, target - time.perf_counter()))
        await bench.pbx.send(
            render(INBOUND_ANSWERED, call_id=f"1795418000.{n}", ext="101" if n % 2 else "102")
        )
    last_sent = time.perf_counter()
    await bench.settle(calls * EVENTS_PER_CALL)
    lag = time.perf_counter() - last_sent
    pops, ended = (
        now - before for now, before in zip(bench.stored(), (pops_before, ended_before), strict=True)
    )
    sent_seconds = last_sent - begin
    return {
        "calls": calls,
        "events": calls * EVENTS_PER_CALL,
        "rate": calls * EVENTS_PER_CALL / sent_seconds if sent_seconds else 0.0,
        "lost_records": calls - ended,
        "lost_pops": calls - pops,
        "lag_ms": lag * 1000,
    }


async def burst(bench: Bench) -> dict[str, float]:
    calls = BURST_EVENTS // EVENTS_PER_CALL
    pops_before, ended_before = bench.stored()
    wire = b"".join(
        render(INBOUND_ANSWERED, call_id=f"1795419000.{n}", ext="101" if n % 2 else "102")
        for n in range(calls)
    )
    began = time.perf_counter()
    await bench.pbx.send(wire)
    await bench.settle(calls * EVENTS_PER_CALL)
    seconds = time.perf_counter() - began
    pops, ended = (
        now - before for now, before in zip(bench.stored(), (pops_before, ended_before), strict=True)
    )
    return {"events": calls * EVENTS_PER_CALL, "per_second": calls * EVENTS_PER_CALL / seconds, "ended": ended,
            "calls": calls, "pops": pops}  # fmt: skip


def fresh_database(backend: str, workdir: Path) -> str | None:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'pbx.db'}"
    else:
        url = pg_bench_database("hotline_bench_pbx", console, fresh=True)
        if url is None:
            return None
    engine = make_engine(url)
    migrate.upgrade(engine)
    with UnitOfWork(engine) as uow:
        seed_pbx(uow)
    if backend == "sqlite":
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return url


async def run(url: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    async with Bench(url) as bench:
        figures["latency"] = await latency(bench)
    async with Bench(url) as bench:
        figures["steady"] = await steady_rate(bench)
    async with Bench(url) as bench:
        figures["burst"] = await burst(bench)
    return figures


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-pbx-"))
    table = Table(title=f"PBX listener (SCALE={SCALE})")
    for column in ("backend", "figure", "value", "target"):
        table.add_column(column)
    rows: list[dict[str, object]] = []
    try:
        for backend in ("sqlite", "postgresql"):
            url = fresh_database(backend, workdir)
            if url is None:
                continue
            figures = asyncio.run(run(url))
            waits = figures["latency"]
            steady = figures["steady"]
            burst_figures = figures["burst"]
            assert isinstance(waits, list) and isinstance(steady, dict) and isinstance(burst_figures, dict)
            p50, p95 = percentile(waits, 0.5), percentile(waits, 0.95)
            lost = (
                steady["lost_records"]
                + steady["lost_pops"]
                + (burst_figures["calls"] - burst_figures["ended"])
            )
            measured = [
                ("event_to_pop_p50", p50, "ms", None, f"{p50:.1f} ms"),
                ("event_to_pop_p95", p95, "ms", TARGET_P95_MS, f"{p95:.1f} ms"),
                ("steady_events_per_second", steady["rate"], "events/s", RATE_EVENTS_PER_SECOND,
                 f"{steady['rate']:.0f} events/s for {steady['events']} events"),
                ("steady_lag_after_last_event", steady["lag_ms"], "ms", None, f"{steady['lag_ms']:.0f} ms"),
                ("events_lost", lost, "events", 0, f"{lost} records or pops missing"),
                ("burst_events_per_second", burst_figures["per_second"], "events/s", None,
                 f"{burst_figures['per_second']:.0f} events/s ({burst_figures['events']} events)"),
            ]  # fmt: skip
            for metric, value, unit, target, shown in measured:
                table.add_row(backend, metric, shown, "" if target is None else f"{target} {unit}")
                rows.append({"benchmark": "pbx", "metric": metric, "value": round(float(value), 2), "unit": unit,
                             "target": target, "backend": backend, "scale": SCALE})  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    console.print(table)
    with RESULTS.open("a", encoding="utf-8") as out_file:
        for row in rows:
            out_file.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
