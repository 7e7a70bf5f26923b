"""Ring to card: ``hotline call incoming NUMBER`` started → the caller's card on the screen of a console
running in a real terminal (tmux), on SQLite and on PostgreSQL.

Each backend is rung three ways: with a resident ``hotline call listen --no-ami`` running (the ring hands
the pop to its socket with the standard library only: the way a PBX should run it, and the target);
cold (no listener: the ring starts the whole program, as it falls back to when no listener runs); and
by the phone system itself: ``hotline call listen`` logged in to a test Asterisk Manager Interface
(``tests/pbx/ami_server.py``, Asterisk 18's captured events with today's timestamps), which sends the
ring of an extension mapped to the console's operator (issue 18's event to card).

Figures per backend and way (p50/p95 over ``POP_RINGS`` rings, each a different known caller):
- ring to card: from starting the ``call incoming`` process (or writing the AMI ringing events on the
  listener's socket) until the pane shows the card with the caller's name and the running call timer
  (target ≤ 300 ms p95, resident and AMI);
- the command's own run time (process start, imports, one transaction): the share of the ring the
  console cannot influence;
- the console's share: from the moment the command wrote the pop (its ``requested_at``, taken just
  before the commit) to the card on screen: the notification, the caller's lookup and the painting.

And once: the interpreter's own start (``python -c pass`` in this virtualenv: an editable install's
import hook costs tens of milliseconds here that a regular install does not), and what the fast path
imports on top of it (``-X importtime``: the cumulative time of the ``hotline`` modules).

The demo database has ``POP_CLIENTS`` clients (default 20,000 × SCALE, at least 2,000): finding a caller
is one indexed phone lookup, so its size barely matters. Built once under ``$HOTLINE_BENCH_DIR`` (SQLite)
or as database ``hotline_bench_pop`` (PostgreSQL), reused afterwards.

    SCALE=0.1 .venv/bin/python tests/bench/bench_pop.py

``POP_BACKENDS=sqlite`` (or ``postgresql``) rings one backend only; ``POP_COLD=0`` leaves out the cold
rings and ``POP_AMI=0`` the AMI ones (the resident listener's are the target): a shorter run to compare
a change before and after.
``POP_PAUSE`` (seconds, default 0.3) is the quiet time between one card closed and the next ring: a
console idle for a while (2 s) was slower to show the next card than one rung in quick succession.
``POP_PG_DATABASE`` names the PostgreSQL demo database (default ``hotline_bench_pop_<clients>``), so
that two people benchmarking on one server do not share it.

``POP_TRACE=<file>`` has the console trace each ring's steps (``hotline.tui.pop_trace``) and prints, per
step, the time from the ring's commit (p50/p95), and the garbage collections that ran during rings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: tests.pbx helpers

from bench_console import BENCH_DIR, HOTLINE, RESULTS, SCALE, Tmux, clean_env, console, percentile
from benchlib import pg_bench_database
from rich.table import Table
from sqlalchemy import func, select, text

from hotline.core.db import make_engine
from hotline.core.models import ScreenPop
from tests.pbx.ami_captures import INBOUND_ANSWERED
from tests.pbx.ami_server import FakeAsterisk

POP_CLIENTS = int(os.environ.get("POP_CLIENTS", str(max(2_000, int(20_000 * SCALE)))))
POP_RINGS = int(os.environ.get("POP_RINGS", "30"))
HOME_MARK = "hone, name, email"
RING_DEADLINE_SECONDS = 20.0
LISTENER_DEADLINE_SECONDS = 60.0
WAYS = ("resident listener", "cold start", "AMI event")
AMI_EXTENSION = "101"
AMI_SECRET = "s3cret"
BACKENDS = [name for name in os.environ.get("POP_BACKENDS", "sqlite,postgresql").split(",") if name]
POP_COLD = os.environ.get("POP_COLD", "1") != "0"
POP_AMI = os.environ.get("POP_AMI", "1") != "0"
POP_PAUSE = float(os.environ.get("POP_PAUSE", "0.3"))
POP_PG_DATABASE = os.environ.get("POP_PG_DATABASE", f"hotline_bench_pop_{POP_CLIENTS}")
POP_TRACE = os.environ.get("POP_TRACE", "")
TRACE_STEPS = ("woke", "read", "posted", "built", "composed", "mounting", "mounted", "painted")


def hotline(url: str, *args: str) -> str:
    result = subprocess.run(
        [*HOTLINE, "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=3600,
        env=clean_env(),
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def demo_database(backend: str) -> str | None:
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{BENCH_DIR / f'pop-{POP_CLIENTS}.db'}"
        ready = BENCH_DIR / f"pop-{POP_CLIENTS}.ready"
        if ready.exists():
            return url
        for stale in BENCH_DIR.glob(f"pop-{POP_CLIENTS}.db*"):
            stale.unlink()
    else:
        url = pg_bench_database(POP_PG_DATABASE, console)
        if url is None:
            return None
        ready = BENCH_DIR / f"pop-pg-{POP_PG_DATABASE}.ready"
        if ready.exists():
            return url
        url = pg_bench_database(POP_PG_DATABASE, console, fresh=True)
        assert url is not None
    console.print(f"building the {backend} demo database ({POP_CLIENTS:,} clients) …")
    hotline(url, "db", "init")
    hotline(url, "demo", "--clients", str(POP_CLIENTS))
    ready.write_text("ok\n")
    return url


def callers(url: str) -> list[tuple[str, str]]:
    """(number, name) of distinct clients, each with a single-line name the pane shows whole."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT p.e164, c.name FROM client_phone p JOIN client c ON c.id = p.client_id"
                    " WHERE p.e164 NOT IN (SELECT e164 FROM client_phone GROUP BY e164 HAVING count(*) > 1)"
                    " ORDER BY p.id LIMIT :n"
                ),
                {"n": POP_RINGS * 4},
            ).all()
    finally:
        engine.dispose()
    seen: set[str] = set()
    chosen = []
    for number, name in rows:
        if name not in seen and name.isprintable() and 4 <= len(name) <= 40:
            seen.add(name)
            chosen.append((number, name))
    return chosen[:POP_RINGS]


def operator_login(url: str) -> str:
    operators = json.loads(hotline(url, "operators", "list", "--json"))
    return next(o["login"] for o in operators if o["role"] == "operator" and o["active"])


def rings(
    url: str, login: str, calls: list[tuple[str, str]], pbx: AmiPbx | None = None
) -> tuple[list[float], list[float], list[float]]:
    """Per ring: (started → card, the command's run time, the pop written → card).

    With ``pbx`` the ring is the PBX's: its ringing events written on the AMI socket (there is no
    command, so no run time), and the rest of the call (answer, hang-up) once the card is closed."""
    to_card, command_time, console_share = [], [], []
    tmux = Tmux()
    engine = make_engine(url)
    try:
        tmux.start_shell()
        trace = f"HOTLINE_POP_TRACE={POP_TRACE} " if POP_TRACE else ""
        tmux.send(
            f"{trace}HOTLINE_DATABASE_URL={url} HOTLINE_OPERATOR={login} {' '.join(HOTLINE)}", literal=True
        )
        started = tmux.send("Enter")
        tmux.wait_for(lambda screen: HOME_MARK in screen, since=started)
        tmux.wait_for(lambda screen: "open" in screen, since=started)  # the operator's tickets loaded
        time.sleep(1.0)  # the reminders panel and the live updates are up
        for n, (number, name) in enumerate(calls):
            tmux.drain()
            rest = b""
            exits: list[float] = []
            waiter = None
            rang = time.perf_counter()
            if pbx is not None:
                ring, rest = ami_call(f"{int(time.time())}.{n}", number)
                pbx.send(ring)
            else:
                process = subprocess.Popen(
                    [*HOTLINE, "--db", url, "call", "incoming", number, "--operator", login],
                    env=clean_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                # The moment the command exits, taken by a thread: it may well be before the card shows.
                waiter = threading.Thread(
                    target=lambda process=process, exits=exits: (
                        process.wait(),
                        exits.append(time.perf_counter()),
                    ),
                    daemon=True,
                )
                waiter.start()
            shown = tmux.wait_for(
                lambda screen, name=name: name in screen and "on call" in screen,
                since=rang,
                deadline_seconds=RING_DEADLINE_SECONDS,
            )
            shown_wall = time.time() - (time.perf_counter() - shown)
            to_card.append(shown - rang)
            if waiter is not None:
                waiter.join(RING_DEADLINE_SECONDS)
                command_time.append(exits[0] - rang)
            requested_wall = last_requested_at(engine)
            console_share.append(shown_wall - requested_wall)
            if POP_TRACE:
                with open(POP_TRACE, "a", encoding="utf-8") as trace_file:
                    trace_file.write(f"{requested_wall:.6f} bench ring {shown_wall:.6f}\n")
            back = tmux.send("Escape")
            tmux.wait_for(lambda screen: HOME_MARK in screen, since=back)
            if pbx is not None:
                pbx.send(rest)
            time.sleep(POP_PAUSE)
        tmux.send("C-q")
    finally:
        tmux.kill()
        engine.dispose()
    return to_card, command_time, console_share


def ami_call(call_id: str, caller: str) -> tuple[bytes, bytes]:
    """Asterisk 18's captured inbound call to ``AMI_EXTENSION`` from ``caller``, stamped with today's
    time (an old stamp would be a stale pop, shown as missed): the ringing events, and the rest."""
    now = time.time()
    times = {f"t{n}": f"{now - 1 + n:.6f}" for n in (0, 1, 5, 60, 197)}
    seq = call_id.replace(".", "")[-8:].rjust(8, "0")
    wire = INBOUND_ANSWERED.format(id=call_id, caller=caller, ext=AMI_EXTENSION, seq=seq, blank="", **times)
    wire = wire.replace("\n", "\r\n").encode()
    cut = wire.index(b"Event: VarSet")
    return wire[:cut], wire[cut:]


class AmiPbx:
    """The test Asterisk Manager Interface on loopback, run by its own event loop in a thread."""

    def __enter__(self) -> AmiPbx:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self._call(FakeAsterisk(secret=AMI_SECRET).__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self.server.__aexit__())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(LISTENER_DEADLINE_SECONDS)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def logins(self) -> int:
        return self.server.logins

    def send(self, data: bytes) -> None:
        self._call(self.server.send(data))


def trace_breakdown(path: str) -> None:
    """Per traced step, the time from the ring's commit (p50/p95 ms), and the collections during rings.

    The console's lines (``<wall time> <thread> <step> …``) come in order; the benchmark appends one
    ``<requested_at> bench ring <card shown>`` line after each ring, which closes that ring's window."""
    with open(path, encoding="utf-8") as trace_file:
        lines = [line.split() for line in trace_file if line.strip()]
    steps: dict[str, list[float]] = {step: [] for step in (*TRACE_STEPS, "shown")}
    collections: list[tuple[int, float, float]] = []
    window: list[list[str]] = []
    rings_seen = 0
    for line in lines:
        if line[1:3] != ["bench", "ring"]:
            window.append(line)
            continue
        requested, shown = float(line[0]), float(line[3])
        rings_seen += 1
        steps["shown"].append(shown - requested)
        firsts: dict[str, float] = {}
        for at, _thread, step, *detail in window:
            if step == "gc" and requested <= float(at) <= shown:
                collections.append((int(detail[1]), float(detail[2]), float(detail[5])))
            elif step in steps and step not in firsts and float(at) >= requested - 0.001:
                firsts[step] = float(at)
        for step, at in firsts.items():
            steps[step].append(at - requested)
        window = []
    table = Table(title=f"traced steps from the ring's commit, {rings_seen} rings", title_justify="left")
    for column in ("step", "rings", "p50 ms", "p95 ms"):
        table.add_column(column)
    for step, values in steps.items():
        if values:
            table.add_row(
                step,
                str(len(values)),
                f"{percentile(values, 0.5) * 1000:,.0f}",
                f"{percentile(values, 0.95) * 1000:,.0f}",
            )
    console.print(table)
    by_gen = {gen: [(ms, cpu) for g, ms, cpu in collections if g == gen] for gen in (0, 1, 2)}
    console.print(
        "collections during rings: "
        + ", ".join(
            f"gen {gen}: {len(runs)} ({sum(ms for ms, _ in runs):.0f} ms in all,"
            f" {sum(cpu for _, cpu in runs):.0f} ms of CPU)"
            for gen, runs in by_gen.items()
        )
    )


def last_requested_at(engine) -> float:
    """The newest pop's ``requested_at`` (an aware UTC datetime on both backends) as a Unix time."""
    with engine.connect() as connection:
        return connection.execute(select(func.max(ScreenPop.requested_at))).scalar_one().timestamp()


@contextlib.contextmanager
def resident_listener(url: str) -> Iterator[list[float]]:
    """``hotline call listen --no-ami`` on ``url`` (the rings' own environment), serving rings until the
    block ends; yields a list that then holds the listener's own time per ring (seconds, from its log)."""
    served_seconds: list[float] = []
    with listener(url, ["call", "listen", "--no-ami"], clean_env(), lambda: True):
        yield served_seconds
    text = (BENCH_DIR / "pop-listener.log").read_text(errors="replace")
    served_seconds += [int(ms) / 1000.0 for ms in re.findall(r"ring served: exit 0 in (\d+) ms", text)]
    served = re.search(r"rings (\d+)", text)
    console.print(f"the listener served {served.group(1) if served else '?'} rings")


@contextlib.contextmanager
def ami_listener(url: str, login: str) -> Iterator[AmiPbx]:
    """The test AMI server, and ``hotline call listen`` logged in to it with ``AMI_EXTENSION`` mapped to
    ``login``; yields the server to send events with."""
    with AmiPbx() as pbx:
        config = BENCH_DIR / "pop-ami.toml"
        config.write_text(
            f'[pbx.ami]\nhost = "127.0.0.1"\nport = {pbx.port}\nusername = "hotline"\n'
            'secret_env = "HOTLINE_AMI_SECRET"\nreconnect_max_seconds = 1\n\n'
            f'[pbx.extensions]\n"{AMI_EXTENSION}" = "{login}"\n',
            encoding="utf-8",
        )
        env = {**clean_env(), "HOTLINE_AMI_SECRET": AMI_SECRET}
        with listener(url, ["--config", str(config), "call", "listen"], env, lambda: pbx.logins > 0):
            yield pbx


@contextlib.contextmanager
def listener(url: str, args: list[str], env: dict[str, str], logged_in) -> Iterator[None]:
    """``hotline --db url ARGS`` running until the block ends, once it serves rings and ``logged_in()``."""
    log = BENCH_DIR / "pop-listener.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [*HOTLINE, "--db", url, *args], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    try:
        deadline = time.monotonic() + LISTENER_DEADLINE_SECONDS
        while "serving rings on" not in log.read_text(errors="replace") or not logged_in():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"the call listener did not start: {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def interpreter_start_ms(runs: int = 15) -> float:
    """Median wall time of ``python -c pass`` in this virtualenv."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=clean_env())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def fast_path_imports_ms(url: str, number: str) -> float:
    """What the fast path imports of hotline's own, by ``-X importtime`` (cumulative, top-level).

    The ring names an operator nobody added: the listener answers (exit 2) and no pop is left behind
    for the next console to open."""
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            *HOTLINE[1:],
            "--db",
            url,
            "call",
            "incoming",
            number,
            "--operator",
            "nobody-bench",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    total = 0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (hotline\S*)$", line)
        if match:
            total += int(match.group(1))
    if "sqlalchemy" in result.stderr or "typer" in result.stderr:
        console.print("the fast path imported SQLAlchemy or Typer: it fell back to the full path")
    return total / 1000.0


def main() -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("TMUX NOT INSTALLED: the ring-to-card benchmark needs a real terminal under tmux")
    ms = 1000.0
    table = Table(
        title=f"ring to card under tmux, {POP_CLIENTS:,} demo clients, {POP_RINGS} rings per backend",
        title_justify="left",
    )
    for column in ("backend", "way", "metric", "p50 ms", "p95 ms", "target"):
        table.add_column(column)
    floor = interpreter_start_ms()
    with RESULTS.open("a", encoding="utf-8") as out:
        for backend in BACKENDS:
            url = demo_database(backend)
            if url is None:
                continue
            login = operator_login(url)
            calls = callers(url)
            ways = [way for way in WAYS if (way != WAYS[1] or POP_COLD) and (way != WAYS[2] or POP_AMI)]
            for way in ways:
                listener_work: list[float] = []
                imports = None
                if way == WAYS[2]:
                    with ami_listener(url, login) as pbx:
                        to_card, command_time, console_share = rings(url, login, calls, pbx)
                else:
                    listening = resident_listener(url) if way == WAYS[0] else contextlib.nullcontext([])
                    with listening as listener_work:
                        to_card, command_time, console_share = rings(url, login, calls)
                        imports = fast_path_imports_ms(url, calls[0][0]) if way == WAYS[0] else None
                figures = [
                    (
                        "ring to card" if way != WAYS[2] else "event to card",
                        to_card,
                        300.0 if way != WAYS[1] else None,
                    ),
                    ("call incoming's run time", command_time, None),
                    ("pop written to card (the console's share)", console_share, None),
                ]
                if listener_work:
                    figures.append(("the listener's work per ring (in its process)", listener_work, None))
                for metric, values, target in figures:
                    if not values:
                        continue
                    p50, p95 = percentile(values, 0.5) * ms, percentile(values, 0.95) * ms
                    verdict = (
                        "—" if target is None else f"≤ {target:g}" + (" ok" if p95 <= target else " MISSED")
                    )
                    table.add_row(backend, way, metric, f"{p50:,.0f}", f"{p95:,.0f}", verdict)
                    for name, value in (("p50", p50), ("p95", p95)):
                        write(
                            out, f"{metric}, {way} {name}", value, target if name == "p95" else None, backend
                        )
                if imports is not None:
                    table.add_row(
                        backend, way, "fast path's own imports (-X importtime)", f"{imports:,.1f}", "", "—"
                    )
                    write(out, "fast path's own imports", imports, None, backend)
                console.print(
                    f"{backend}, {way}: {len(to_card)} rings, median ring to card {statistics.median(to_card):.3f} s"
                )
                if POP_TRACE:
                    trace_breakdown(POP_TRACE)
                    os.replace(POP_TRACE, f"{POP_TRACE}.{backend}.{way.split()[0]}")
        table.add_row("—", "—", "interpreter start (python -c pass)", f"{floor:,.0f}", "", "—")
        write(out, "interpreter start", floor, None, "—")
    console.print(table)


def write(out, metric: str, value: float, target: float | None, backend: str) -> None:
    record = {
        "benchmark": "pop",
        "metric": metric,
        "value": round(value, 1),
        "unit": "ms",
        "target": target,
        "backend": backend,
        "scale": SCALE,
    }
    out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
