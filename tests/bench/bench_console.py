"""The console in a real terminal (tmux) on a demo database of ``1,000,000 × SCALE`` clients.

Figures:
- cold start: from the command line entered in a shell to the home screen painted with the lookup box
  (median of several starts; target ≤ 1.0 s);
- keystroke → updated results: one digit typed into the lookup box until the result list on the screen
  shows the hits for the new text (p50/p95; target ≤ 80 ms p95);
- lookup's share: ``lookup`` itself for the same queries, in process (p95; target ≤ 15 ms).

Builds (or reuses) ``$HOTLINE_BENCH_DIR/console-N.db`` and the PostgreSQL database
``hotline_bench_console_N`` with ``hotline demo`` (``CONSOLE_BACKENDS=sqlite,postgresql``, the default). Prints a Rich table and
appends one JSON object per figure to ``bench-results.jsonl``.

    SCALE=0.1 .venv/bin/python tests/bench/bench_console.py

``CONSOLE_ONLY=cold`` measures the cold start (and the empty app's floor) alone: with a small ``SCALE``
(``SCALE=0.001``: 1,000 clients, built in seconds) it checks a start-up change without the 1M build; the
cold start reads nothing that grows with the clients (Home's lists load after its first frame).

    CONSOLE_ONLY=cold CONSOLE_BACKENDS=sqlite SCALE=0.001 .venv/bin/python tests/bench/bench_console.py
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from benchlib import pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.search import lookup
from hotline.core.settings import load_settings

SCALE = float(os.environ.get("SCALE", "1"))
CLIENTS = max(1_000, int(1_000_000 * SCALE))
BENCH_DIR = Path(os.environ.get("HOTLINE_BENCH_DIR", "/tmp/hotline-bench"))
BACKENDS = os.environ.get("CONSOLE_BACKENDS", "sqlite,postgresql").split(",")
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
COLD_STARTS = int(os.environ.get("CONSOLE_COLD_STARTS", "7"))
ONLY = os.environ.get("CONSOLE_ONLY", "")
"""``cold``: the cold-start figures alone (no keystrokes, no lookups)."""
TYPED_CLIENTS = int(os.environ.get("CONSOLE_TYPED_CLIENTS", "40"))
MEASURED_DIGITS = (4, 5, 6, 7)
STEP_DEADLINE_SECONDS = 20.0
WIDTH, HEIGHT = 200, 40
SEED = 20261123
HOTLINE = [sys.executable, "-m", "hotline.cli"]
HOME_MARK = "hone, name, email"  # the first letter is drawn apart, under the cursor
EMPTY_APP_MARK = "empty-app-ready"

console = Console(highlight=False, width=150)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


_NO_CONFIG_HOME = tempfile.mkdtemp(prefix="hotline-no-config-")
"""An empty config folder of this process (a fixed path could be created by one run and read by the next)."""


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TMUX"))}
    env["XDG_CONFIG_HOME"] = _NO_CONFIG_HOME
    return env


def hotline(url: str, *args: str, timeout: float = 3600) -> str:
    result = subprocess.run(
        [*HOTLINE, "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def demo_database(backend: str) -> str | None:
    """The benchmark's demo database on ``backend``, built once with ``hotline demo`` and reused (a marker
    file says the build finished); ``None`` when PostgreSQL cannot be reached (said loudly)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    ready = BENCH_DIR / f"console-{backend}-{CLIENTS}.ready"
    if backend == "sqlite":
        path = BENCH_DIR / f"console-{CLIENTS}.db"
        url = f"sqlite:///{path}"
        if not ready.exists():
            for stale in BENCH_DIR.glob(f"console-{CLIENTS}.db*"):
                stale.unlink()
    else:
        built = pg_bench_database(f"hotline_bench_console_{CLIENTS}", console, fresh=not ready.exists())
        if built is None:
            return None
        url = built
    if not ready.exists():
        console.print(f"building the demo database ({CLIENTS:,} clients, {backend}) …")
        started = time.perf_counter()
        hotline(url, "db", "init")
        hotline(url, "demo", "--clients", str(CLIENTS))
        console.print(f"built in {time.perf_counter() - started:,.0f} s")
        ready.write_text("ok\n")
    return url


_OCTAL = re.compile(rb"\\([0-7]{3})")
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


class Tmux:
    """A private tmux server with one pane running a plain shell, driven through a control-mode client.

    Control mode streams every byte the pane receives as ``%output`` lines the moment tmux reads them,
    so the time a screen update lands is measured without polling (which would steal the CPU being
    measured) and keys are sent over the same connection without starting a process per key.
    """

    def __init__(self) -> None:
        self.socket = f"hotline-bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.events: queue.Queue[tuple[float, str]] = queue.Queue()
        self.client: subprocess.Popen[bytes] | None = None

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr}")
        return result.stdout

    def start_shell(self) -> None:
        env = " ".join(f"{k}={v}" for k, v in clean_env().items() if k in {"PATH", "HOME", "XDG_CONFIG_HOME"})
        shell = f"env -i {env} TERM=xterm-256color PS1=READY$ bash --norc --noprofile"
        self("new-session", "-d", "-s", "bench", "-x", str(WIDTH), "-y", str(HEIGHT), shell)
        self("set-option", "-g", "window-size", "manual")
        self.client = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + STEP_DEADLINE_SECONDS
        while "READY$" not in self("capture-pane", "-p", "-t", "bench"):  # set-up, not measured
            if time.monotonic() > deadline:
                raise RuntimeError("the shell in tmux did not start")
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.client is not None and self.client.stdout is not None
        for line in self.client.stdout:
            if line.startswith(b"%output "):
                payload = line.split(b" ", 2)[2].rstrip(b"\n")
                raw = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), payload)
                self.events.put((time.perf_counter(), _ANSI.sub("", raw.decode("utf-8", "replace"))))

    def send(self, *keys: str, literal: bool = False) -> float:
        """Send keys over the control connection; the moment they were sent (perf_counter)."""
        assert self.client is not None and self.client.stdin is not None
        quoted = " ".join("'" + key.replace("'", "'\\''") + "'" for key in keys)
        command = f"send-keys -t bench {'-l ' if literal else ''}{quoted}\n".encode()
        sent = time.perf_counter()
        self.client.stdin.write(command)
        return sent

    def wait_for(self, done, *, since: float, deadline_seconds: float = STEP_DEADLINE_SECONDS) -> float:
        """The moment the pane's output received after ``since`` first satisfies ``done(text)``."""
        deadline = time.perf_counter() + deadline_seconds
        seen = ""
        while True:
            try:
                at, text = self.events.get(timeout=max(0.001, deadline - time.perf_counter()))
            except queue.Empty:
                raise RuntimeError(
                    f"timed out waiting on the console; last output: {seen[-500:]!r}"
                ) from None
            if at < since:
                continue
            seen += text
            if done(seen):
                return at

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    def kill(self) -> None:
        if self.client is not None and self.client.stdin is not None:
            with contextlib.suppress(OSError):
                self.client.stdin.write(b"kill-server\n")
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )
        if self.client is not None:
            try:
                self.client.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.client.kill()


EMPTY_APP = (
    f"{sys.executable} -c 'from textual.app import App; from textual.widgets import Static; "
    'App.compose = lambda self: iter([Static("empty" + "-app-ready")]); App().run()\''
)


def console_command(url: str, login: str) -> str:
    return f"HOTLINE_DATABASE_URL={url} HOTLINE_OPERATOR={login} {' '.join(HOTLINE)}"


def cold_starts(command: str, mark: str) -> list[float]:
    """Enter ``command`` in a shell; seconds until the pane shows ``mark`` (the first painted frame)."""
    seconds = []
    for _ in range(COLD_STARTS):
        tmux = Tmux()
        try:
            tmux.start_shell()
            typed = tmux.send(command, literal=True)
            tmux.wait_for(lambda text: command[-8:] in text, since=typed)  # the shell echoed the line
            tmux.drain()
            started = tmux.send("Enter")
            painted = tmux.wait_for(lambda text: mark in text, since=started)
            seconds.append(painted - started)
        finally:
            tmux.kill()
    return seconds


def sample_phones(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            top = connection.execute(text("SELECT max(id) FROM client_phone")).scalar_one()
            rng = random.Random(SEED)
            ids = rng.sample(range(1, top + 1), min(top, TYPED_CLIENTS * 3))
            rows = connection.execute(
                text(f"SELECT digits FROM client_phone WHERE id IN ({','.join(map(str, ids))})")
            ).all()
    finally:
        engine.dispose()
    suffixes = [row[0][-7:] for row in rows if len(row[0]) >= 10]
    return suffixes[:TYPED_CLIENTS]


def keystrokes(url: str, login: str, suffixes: list[str]) -> list[float]:
    """Per digit: the key sent → the pane receives the hits for the new text (matched ends with it)."""
    samples = []
    tmux = Tmux()
    try:
        tmux.start_shell()
        tmux.send(console_command(url, login), literal=True)
        started = tmux.send("Enter")
        tmux.wait_for(lambda text: HOME_MARK in text, since=started)
        tmux.wait_for(lambda text: "open" in text, since=started)  # the operator's tickets loaded
        for suffix in suffixes:
            cleared = tmux.send("C-u")
            tmux.wait_for(lambda text: HOME_MARK in text, since=cleared)
            first = MEASURED_DIGITS[0] - 1
            sent = tmux.send(suffix[:first], literal=True)
            with contextlib.suppress(RuntimeError):  # too few digits to match anything: nothing to wait for
                tmux.wait_for(_shows(suffix[:first]), since=sent, deadline_seconds=2.0)
            for length in MEASURED_DIGITS:
                sent = tmux.send(suffix[length - 1], literal=True)
                shown = tmux.wait_for(_shows(suffix[:length]), since=sent)
                samples.append(shown - sent)
        tmux.send("C-q")
    finally:
        tmux.kill()
    return samples


def _shows(typed: str):
    """The result list shows hits for ``typed`` (their "matched" ends with exactly these digits)."""
    pattern = re.compile(rf"(ends with|contains) {typed}(?!\d)")
    return lambda screen: bool(pattern.search(screen))


def lookup_share(url: str, suffixes: list[str]) -> list[float]:
    engine = make_engine(url)
    region = load_settings().default_region  # as `hotline demo` read it when it built the database
    samples = []
    try:
        queries = [suffix[:length] for suffix in suffixes for length in MEASURED_DIGITS]
        with UnitOfWork(engine, readonly=True) as uow:
            for query in queries:
                lookup(uow.session, query, limit=20, default_region=region)
            for query in queries:
                started = time.perf_counter()
                lookup(uow.session, query, limit=20, default_region=region)
                samples.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return samples


def operator_login(url: str) -> str:
    operators = json.loads(hotline(url, "operators", "list", "--json"))
    return next(o["login"] for o in operators if o["role"] == "operator" and o["active"])


def measure(backend: str) -> None:
    url = demo_database(backend)
    if url is None:
        return
    login = operator_login(url)
    starts = cold_starts(console_command(url, login), HOME_MARK)
    floor = cold_starts(EMPTY_APP, EMPTY_APP_MARK)
    ms = 1000.0
    figures = [
        ("cold start to home (median)", statistics.median(starts), "s", 1.0),
        ("cold start to home (max)", max(starts), "s", None),
        ("empty Textual app first frame (median, the floor here)", statistics.median(floor), "s", None),
    ]
    typed: list[float] = []
    if ONLY != "cold":
        suffixes = sample_phones(url)
        typed = keystrokes(url, login, suffixes)
        share = lookup_share(url, suffixes)
        figures += [
            ("keystroke to results p50", percentile(typed, 0.5) * ms, "ms", None),
            ("keystroke to results p95", percentile(typed, 0.95) * ms, "ms", 80.0),
            ("lookup p50", percentile(share, 0.5) * ms, "ms", None),
            ("lookup p95 (its share)", percentile(share, 0.95) * ms, "ms", 15.0),
        ]
    table = Table(
        title=f"console under tmux, {CLIENTS:,} clients ({backend}, scale {SCALE}); "
        f"{len(starts)} starts, {len(typed)} keystrokes; load {os.getloadavg()[0]:.2f}",
        title_justify="left",
    )
    for column in ("metric", "value", "unit", "target"):
        table.add_column(column)
    with RESULTS.open("a", encoding="utf-8") as out:
        for metric, value, unit, target in figures:
            verdict = "" if target is None else (" ok" if value <= target else " MISSED")
            table.add_row(
                metric,
                f"{value:,.3f}" if unit == "s" else f"{value:,.1f}",
                unit,
                "—" if target is None else f"≤ {target:g}{verdict}",
            )
            record = {
                "benchmark": "console",
                "metric": metric,
                "value": round(value, 4),
                "unit": unit,
                "target": target,
                "backend": backend,
                "scale": SCALE,
            }
            out.write(json.dumps(record) + "\n")
    console.print(table)


def main() -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("TMUX NOT INSTALLED: the console benchmark needs a real terminal under tmux")
    if ONLY not in ("", "cold"):
        raise SystemExit(f"CONSOLE_ONLY={ONLY!r}: the only part measured alone is 'cold'")
    for backend in BACKENDS:
        if backend not in ("sqlite", "postgresql"):
            raise SystemExit(f"CONSOLE_BACKENDS: unknown backend {backend!r} (sqlite, postgresql)")
        measure(backend)


if __name__ == "__main__":
    main()
