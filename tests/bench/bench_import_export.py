"""Import and export at scale: 100,000 CSV rows in (≤ 30 s on SQLite, progress bar on) and 1,000,000
clients out (peak memory < 200 MB). During the import: the longest write-lock hold (target ≤ 1 s on
SQLite), measured twice — the import's writing transactions from their first statement to their commit
(wall and CPU time; a staged import commits its clients in one, then their lookup index in short ones),
and from outside: a second process takes and drops the write lock (``BEGIN IMMEDIATE``)
every 50 ms and records its longest wait — and the wall time of ``hotline call incoming`` run every
second in a child process (target ≤ 2 s), twice: cold (the ring starts the whole program) and through a
resident ``hotline call listen`` (as a deployment runs it: the ring hands the pop to its socket). And
lookups from another process meanwhile, by an imported row's phone, by a common name and by a name
nobody has: their p95 while the import's clients are committed but owed their index rows (the lookup
then also reads those clients' own rows) and otherwise, and whether each phone committed is found. The
machine's load average is printed with the figures.

The import file is generated here (a Russian Excel export: ``;``-separated windows-1251, phones typed in
many ways, one row in five belonging to an organisation) and imported into an empty database with a
Rich progress bar drawn on a forced terminal, as ``hotline clients import`` draws it. The export database
is built with ``hotline demo --clients N`` (reusing the lookup benchmark's database when it holds as many
clients); the export runs as ``hotline clients export`` in a child process whose peak RSS is measured.

``BASE_CLIENTS=N`` (SQLite) imports into a copy of a database already holding N demo clients (built once
with ``hotline demo``, kept in the bench directory), one of them edited every second meanwhile: the
publish then checks, under the write lock, what changed among the stored clients (an empty database
hides what that check costs). Rows the base already holds are skipped as duplicates.

``UPDATE=1`` then imports the file again with ``--on-duplicate update``, every row changed (a new note,
one in seven a second number): every client is merged, with the same probes and figures, then the merged
clients' lookup rows rebuilt. ``UPDATE_STAGE_FROM=N`` sets the size from which it is staged (say
``1000000000`` for the direct path, one transaction, to compare).
Prints a Rich table and appends one JSON object per figure to ``bench-results.jsonl``.

    SCALE=0.1 .venv/bin/python tests/bench/bench_import_export.py
    BENCH_BACKENDS=sqlite EXPORT_FORMATS= BASE_CLIENTS=1000000 .venv/bin/python tests/bench/bench_import_export.py
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchlib import pg_bench_database
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text

from hotline.core import migrate
from hotline.core.db import UnitOfWork, make_engine, retry_while_busy
from hotline.core.importing.outcome import ImportOutcome
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientChanges, update_client
from hotline.core.services.operators import add_operator
from hotline.core.services.screen_pop import request_screen_pop

SCALE = float(os.environ.get("SCALE", "1"))
IMPORT_ROWS = max(1_000, int(100_000 * SCALE))
EXPORT_CLIENTS = max(2_000, int(1_000_000 * SCALE))
BASE_CLIENTS = int(os.environ.get("BASE_CLIENTS", "0"))
UPDATE = os.environ.get("UPDATE", "") not in ("", "0")
UPDATE_STAGE_FROM = int(os.environ.get("UPDATE_STAGE_FROM") or 0) or None
BENCH_DIR = Path(os.environ.get("HOTLINE_BENCH_DIR", "/tmp/hotline-bench"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
IMPORT_TARGET_SECONDS = 30.0
LOCK_TARGET_SECONDS = 1.0
CALL_TARGET_SECONDS = 2.0
EXPORT_TARGET_MB = 200.0
SEED = 20261123
BENCH_ADMIN = "bench-admin"

console = Console(highlight=False)
# ``hotline`` that, at exit, writes its own peak RSS (VmHWM, which exec resets, unlike the rusage of a
# child) to the file named by BENCH_PEAK_FILE.
CLI_WITH_PEAK = (
    "import atexit, os, re\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    open(os.environ['BENCH_PEAK_FILE'], 'w').write(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    "atexit.register(_peak)\n"
    "from hotline.cli.main import run\n"
    "run()\n"
)
figures: list[dict[str, object]] = []

LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
]
FIRST = ["Александр", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Андрей", "Ольга", "Алексей", "Наталья"]
MIDDLE = ["Александрович", "Сергеевна", "Дмитриевич", "Андреевна", "", ""]
ENGLISH = [
    ("Smith", "John"),
    ("Brown", "Emma"),
    ("Taylor", "Oliver"),
    ("Wilson", "Amelia"),
    ("Clark", "Harry"),
]
GROUPS = ["VIP", "Опт", "Розница", "", "", ""]


def record(metric: str, value: float, unit: str, target: float | None, backend: str) -> None:
    figures.append({"benchmark": "import_export", "metric": metric, "value": round(value, 3), "unit": unit,
                    "target": target, "backend": backend, "scale": SCALE})  # fmt: skip


def phone_text(index: int, rng: random.Random) -> str:
    """A unique mobile number for ``index``, typed one of the ways people type them."""
    digits = f"9{index:09d}"[-10:]
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return rng.choice([f"+7 {a} {b}-{c}-{d}", f"8 ({a}) {b}-{c}-{d}", f"8{a}{b}{c}{d}", f"+7({a}){b}{c}{d}"])


def write_import_file(path: Path, rows: int) -> None:
    rng = random.Random(SEED)
    organisations = [f"ООО «Компания {number}»" for number in range(max(10, rows // 50))]
    with path.open("w", encoding="cp1251", newline="") as stream:
        stream.write("Фамилия;Имя;Отчество;Организация;Телефон;E-mail;Группа;День рождения;Примечание\r\n")
        for index in range(rows):
            if index % 3 == 0:
                last, first = rng.choice(ENGLISH)
                middle = ""
            else:
                last, first, middle = rng.choice(LAST), rng.choice(FIRST), rng.choice(MIDDLE)
            organisation = rng.choice(organisations) if index % 5 == 0 else ""
            phones = phone_text(index, rng) + (
                f", {phone_text(index + 10**8, rng)}" if index % 4 == 0 else ""
            )
            email = f"client{index}@example.ru" if index % 2 == 0 else ""
            birthday = (
                f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2005)}"
                if index % 3
                else ""
            )
            note = "перезвонить после обеда, VIP" if index % 10 == 0 else ""
            stream.write(
                f"{last};{first};{middle};{organisation};{phones};{email};{rng.choice(GROUPS)};{birthday};{note}\r\n"
            )


def fresh_database(backend: str) -> str | None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        path = BENCH_DIR / f"import-{IMPORT_ROWS}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        if BASE_CLIENTS:
            shutil.copyfile(base_database(), path)
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            ensure_admin(url)
            return url
    else:
        pg_url = pg_bench_database(f"hotline_bench_import_{IMPORT_ROWS}", console, fresh=True)
        if pg_url is None:
            return None
        url = pg_url
    engine = make_engine(url)
    migrate.upgrade(engine)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login=BENCH_ADMIN, role=Role.ADMIN)
    engine.dispose()
    return url


def base_database() -> Path:
    """A SQLite file holding BASE_CLIENTS demo clients, its WAL folded in (built once, then reused)."""
    path = BENCH_DIR / f"base-{BASE_CLIENTS}.db"
    if not path.exists() or client_count(f"sqlite:///{path}") < BASE_CLIENTS:
        path.unlink(missing_ok=True)
        building = path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{building}"
        started = time.perf_counter()
        hotline(url, "db", "init")
        hotline(url, "demo", "--clients", str(BASE_CLIENTS))
        record(f"build a base of {BASE_CLIENTS:,} clients (hotline demo)", time.perf_counter() - started, "s",
               None, "sqlite")  # fmt: skip
        with contextlib.closing(sqlite3.connect(building)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        building.rename(path)
    return path


def write_update_file(source: Path, path: Path) -> None:
    """``source`` as a later export would have it: every row a new note, one in seven a second number."""
    with (
        source.open(encoding="cp1251", newline="") as lines,
        path.open("w", encoding="cp1251", newline="") as out,
    ):
        out.write(next(lines))
        for index, line in enumerate(lines):
            cells = line.rstrip("\r\n").split(";")
            cells[8] = f"обновлено {index}"
            if index % 7 == 0:
                cells[4] += f", +7 903 {index:07d}"
            out.write(";".join(cells) + "\r\n")


def bench_update(backend: str, url: str, path: Path) -> None:
    """The file again with ``--on-duplicate update``: every row merges into the client it made."""
    engine = make_engine(url)
    calls = ConcurrentCalls(url)
    probe = LockProbe(url) if backend == "sqlite" else None
    listener = ListenerCalls(url)
    options = ImportOptions(default_region="RU", on_duplicate="update")
    if UPDATE_STAGE_FROM is not None:
        options.stage_from = UPDATE_STAGE_FROM
    with contextlib.ExitStack() as running:
        running.enter_context(listener)  # its start is not the import's time
        started = time.perf_counter()
        for context in (calls, probe):
            if context is not None:
                running.enter_context(context)
        with UnitOfWork(engine, actor_login=BENCH_ADMIN) as uow:
            outcome = import_clients(uow, path=path, options=options)
            finished_cpu = time.thread_time()
        finished = time.perf_counter()
    engine.dispose()
    elapsed = finished - started
    updated = outcome.count("updated")
    if updated != IMPORT_ROWS:
        raise SystemExit(f"the update import merged {updated} rows, expected {IMPORT_ROWS}")
    staged = "staged" if outcome.lock_holds else "direct"
    record(f"update import of {IMPORT_ROWS:,} rows, every one merged ({staged})", elapsed, "s", None, backend)
    record_holds(outcome, finished, finished_cpu, backend)
    record_interference(probe, calls, backend, during="the update import", indent="  ", listener=listener)
    if calls.failures or listener.failures:
        raise SystemExit(
            f"{calls.failures + listener.failures} call incoming failed during the update import"
        )


def bench_import(backend: str, csv_path: Path) -> None:
    url = fresh_database(backend)
    if url is None:
        return
    engine = make_engine(url)
    terminal = Console(stderr=True, force_terminal=True)
    bar = Progress(TextColumn(f"importing ({backend})"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TextColumn("{task.fields[rows]:>9,} rows"), TimeElapsedColumn(), console=terminal)  # fmt: skip
    task = bar.add_task("import", total=1.0, rows=0)
    calls = ConcurrentCalls(url)
    probe = LockProbe(url) if backend == "sqlite" else None
    listener = ListenerCalls(url)
    lookups = LookupProbe(url) if backend == "sqlite" else None
    writer = BaseWriter(url) if BASE_CLIENTS and backend == "sqlite" else None
    base_people = person_count(url)
    with contextlib.ExitStack() as running:
        running.enter_context(listener)  # its start is not the import's time
        started = time.perf_counter()
        for context in (calls, probe, writer, lookups):
            if context is not None:
                running.enter_context(context)
        with bar, UnitOfWork(engine, actor_login=BENCH_ADMIN) as uow:
            outcome = import_clients(
                uow, path=csv_path, options=ImportOptions(default_region="RU"),  # a Russian export
                progress=lambda rows, share: bar.update(task, completed=share or 0.0, rows=rows),
            )  # fmt: skip
            finished_cpu = time.thread_time()
        finished = time.perf_counter()  # committed
    elapsed = finished - started
    stored = person_count(url) - base_people
    engine.dispose()
    created, skipped = outcome.count("created"), outcome.count("skipped")
    if created + skipped != IMPORT_ROWS or stored != created or (skipped and not BASE_CLIENTS):
        raise SystemExit(
            f"import created {created} (skipped {skipped}) / stored {stored}, expected {IMPORT_ROWS}"
        )
    if BASE_CLIENTS and backend == "sqlite":
        record(f"people stored before the import ({skipped:,} rows skipped as theirs)", base_people, "", None,
               backend)  # fmt: skip
        assert writer is not None
        record(f"  of which edited during the import ({writer.edits} times)", 1, "", None, backend)
    target = IMPORT_TARGET_SECONDS * SCALE if backend == "sqlite" else None
    record(f"import {IMPORT_ROWS:,} CSV rows", elapsed, "s", target, backend)
    record("import rate", IMPORT_ROWS / elapsed, "rows/s", None, backend)
    record_holds(outcome, finished, finished_cpu, backend)
    record_interference(probe, calls, backend, during="the import", listener=listener)
    if lookups is not None:
        lookups.report(backend)
    if calls.pops:
        record(f"  of which the screen-pop write (in process, max of {len(calls.pops)})", max(calls.pops), "s",
               CALL_TARGET_SECONDS, backend)  # fmt: skip
    if calls.failures or listener.failures:
        raise SystemExit(f"{calls.failures + listener.failures} call incoming failed during the import")
    if UPDATE:
        update_path = csv_path.with_name(f"update-{csv_path.name}")
        write_update_file(csv_path, update_path)
        bench_update(backend, url, update_path)


def record_interference(probe, calls, backend: str, *, during: str, indent: str = "", listener=None) -> None:
    """What another process met meanwhile: its longest wait for the write lock, the slowest ring (cold,
    and through a running ``call listen``)."""
    lock_target = LOCK_TARGET_SECONDS if backend == "sqlite" else None
    if probe is not None and probe.longest is not None:
        record(f"{indent}longest BEGIN IMMEDIATE wait of another process ({probe.samples} tries)",
               probe.longest, "s", lock_target, backend)  # fmt: skip
    if calls.latencies:
        record(f"{indent}call incoming during {during} (max of {len(calls.latencies)})", max(calls.latencies),
               "s", CALL_TARGET_SECONDS, backend)  # fmt: skip
        median = sorted(calls.latencies)[len(calls.latencies) // 2]
        record(f"{indent}  its median", median, "s", None, backend)
        record(f"{indent}  its CPU time (user + system, max)", max(calls.cpu), "s", None, backend)
    if listener is not None and listener.latencies:
        record(f"{indent}call incoming through a running call listen (max of {len(listener.latencies)})",
               max(listener.latencies), "s", CALL_TARGET_SECONDS, backend)  # fmt: skip
        record(f"{indent}  its median", sorted(listener.latencies)[len(listener.latencies) // 2], "s", None,
               backend)  # fmt: skip


def record_holds(outcome: ImportOutcome, finished: float, finished_cpu: float, backend: str) -> None:
    """The import's holds of the write lock, as it timed them (staged: the publish, then the index's
    short transactions; direct: the one writing transaction, to its commit)."""
    assert outcome.write_started is not None
    lock_target = LOCK_TARGET_SECONDS if backend == "sqlite" else None
    if outcome.lock_holds:  # staged: the clients' transaction, then the index's short ones
        longest = max(outcome.lock_holds, key=lambda hold: hold[1])
        record(f"longest write-lock hold (of {len(outcome.lock_holds)} transactions: {longest[0]})", longest[1],
               "s", lock_target, backend)  # fmt: skip
        record("  its CPU time", longest[2], "s", None, backend)
        for what in ("publish", "index"):
            holds = [hold for hold in outcome.lock_holds if hold[0] == what]
            if holds:
                _, wall, cpu = max(holds, key=lambda hold: hold[1])
                record(f"  longest {what} transaction (of {len(holds)})", wall, "s", None, backend)
                record("    its CPU time", cpu, "s", None, backend)
                if what == "publish" and outcome.publish_check_seconds is not None:
                    record("    of which the check that nothing changed", outcome.publish_check_seconds, "s",
                           None, backend)  # fmt: skip
        index_cpu = sum(hold[2] for hold in outcome.lock_holds if hold[0] == "index")
        record("  CPU time of all index transactions", index_cpu, "s", None, backend)
    else:
        record("longest write-lock hold (the writing transaction)", finished - outcome.write_started, "s",
               lock_target, backend)  # fmt: skip
        if outcome.write_started_cpu is not None:
            record("  its CPU time", finished_cpu - outcome.write_started_cpu, "s", None, backend)


LOCK_PROBE = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], timeout=600, isolation_level=None)
longest, samples = 0.0, 0
while not sys.stdin.closed:
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    longest = max(longest, time.perf_counter() - started)
    connection.execute("ROLLBACK")
    samples += 1
    if sys.stdin.readline() == "":
        break
print(longest, samples)
"""


class LockProbe:
    """A second process that takes the SQLite write lock and lets it go every 50 ms: its longest wait for
    the lock is the longest time anyone held it (the import, or a pop it queued behind)."""

    def __init__(self, url: str) -> None:
        self.path = url.removeprefix("sqlite:///")
        self.longest: float | None = None
        self.samples = 0
        self._process: subprocess.Popen[str] | None = None
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> LockProbe:
        self._process = subprocess.Popen([sys.executable, "-c", LOCK_PROBE, self.path], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)  # fmt: skip
        self._ticker.start()
        return self

    def _tick(self) -> None:
        """One line to the probe every 50 ms: one more try (it blocks while the lock is held)."""
        assert self._process is not None and self._process.stdin is not None
        while not self._stop.wait(0.05):
            self._process.stdin.write("\n")
            self._process.stdin.flush()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._ticker.join(timeout=10)
        assert self._process is not None
        output, _ = self._process.communicate(timeout=600)  # closes its stdin: it prints and ends
        longest, samples = output.split()
        self.longest, self.samples = float(longest), int(samples)


class ConcurrentCalls:
    """``hotline call incoming`` run every second in a child process while the import runs (the wall time
    of each, process start included, and its own CPU time), and its write alone every half second in this process (what the
    import's lock costs it, without the start of a Python process on a busy machine)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.cpu: list[float] = []
        """Each cold ring's own CPU time (what it costs; the rest of its wall time is waiting)."""
        self.pops: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, daemon=True),
            threading.Thread(target=self._pop_in_process, daemon=True),
        ]

    def __enter__(self) -> ConcurrentCalls:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _pop_in_process(self) -> None:
        engine = make_engine(self.url)

        def pop() -> None:
            with UnitOfWork(engine) as uow:
                request_screen_pop(uow, operator_login=BENCH_ADMIN, number="+7 916 000 00 02")

        while not self._stop.wait(0.5):
            started = time.perf_counter()
            retry_while_busy(pop, patience_seconds=600)
            self.pops.append(time.perf_counter() - started)
        engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            started = time.perf_counter()
            ring = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "--db", self.url, "--operator", BENCH_ADMIN, "call",
                 "incoming", "+7 916 000 00 01"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            _, status, usage = os.wait4(ring.pid, 0)  # this ring's own resource use, not the other children's
            self.latencies.append(time.perf_counter() - started)
            self.cpu.append(usage.ru_utime + usage.ru_stime)
            ring.returncode = os.waitstatus_to_exitcode(status)
            self.failures += ring.returncode != 0


LOOKUPS = """
import json, sys, time
from pathlib import Path
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.search import lookup
from hotline.core.search.pending import pending_ranges

engine, rows, stop = make_engine(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
samples, n = [], 0
while not stop.exists():
    n = (n + 7919) % rows
    for kind, query in (("phone", "+7" + f"9{n:09d}"[-10:]), ("common name", "Smith John"),
                        ("absent name", "Qwertyuiop Zxcvbnm")):
        started = time.perf_counter()
        with UnitOfWork(engine, readonly=True) as uow:
            owed = bool(pending_ranges(uow.session.connection()))
            hits = lookup(uow.session, query, default_region="RU")
        samples.append((kind, owed, time.perf_counter() - started, bool(hits)))
    time.sleep(0.2)  # a few operators typing, not a busy loop taking a core from the import
print(json.dumps(samples))
"""


class LookupProbe:
    """A process looking clients up while the import runs (``LOOKUPS``): per lookup its kind, whether
    index rows were owed then, its wall time and whether it found anyone."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = BENCH_DIR / "lookups.stop"
        self.samples: list[tuple[str, bool, float, bool]] = []
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> LookupProbe:
        self.stop.unlink(missing_ok=True)
        self._process = subprocess.Popen([sys.executable, "-c", LOOKUPS, self.url, str(IMPORT_ROWS), str(self.stop)],
                                         stdout=subprocess.PIPE, text=True)  # fmt: skip
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.write_text("stop")
        assert self._process is not None
        output, _ = self._process.communicate(timeout=600)
        self.samples = [tuple(sample) for sample in json.loads(output)]  # type: ignore[misc]

    def report(self, backend: str) -> None:
        for owed in (True, False):
            for kind in ("phone", "common name", "absent name"):
                times = sorted(wall for k, o, wall, _ in self.samples if k == kind and o == owed)
                if times:
                    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                    state = "while index rows are owed" if owed else "otherwise"
                    record(f"lookup by {kind} {state}: p95 of {len(times)}", p95, "s", None, backend)
        found = [hit for kind, owed, _, hit in self.samples if kind == "phone" and owed]
        if found:
            record("  imported phones found while owed (all committed)", sum(found) / len(found) * 100, "%", None,
                   backend)  # fmt: skip


class ListenerCalls:
    """``hotline call incoming`` run every second while the import runs, with ``hotline call listen``
    running for the database (its socket in a runtime folder of the bench's own, which the cold rings of
    ``ConcurrentCalls`` do not look in): each ring's wall time, from its process start to its exit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        runtime = BENCH_DIR / "ring-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
        self.log = BENCH_DIR / "import-listener.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ListenerCalls:
        with self.log.open("wb") as err:
            self._process = subprocess.Popen([sys.executable, "-m", "hotline.cli", "--db", self.url, "call", "listen",
                                              "--no-ami"], env=self.env, stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        deadline = time.monotonic() + 120
        while "serving rings on" not in self.log.read_text(errors="replace"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise SystemExit(f"call listen did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=120)
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
        if self.latencies and "ring served" not in self.log.read_text(errors="replace"):
            raise SystemExit("the rings did not go through call listen")

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "hotline.cli", "--db", self.url, "--operator", BENCH_ADMIN, "call",
                 "incoming", "+7 916 000 00 03"], env=self.env, capture_output=True, check=False, timeout=900,
            )  # fmt: skip
            self.latencies.append(time.perf_counter() - started)
            self.failures += done.returncode != 0


def person_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM client WHERE kind = 'person'")).scalar_one()
    finally:
        engine.dispose()


class BaseWriter:
    """Edits one stored client every second while the import runs (as an operator would), so that the
    publish finds the clients changed and checks, under the lock, that none touches the import."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.edits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BaseWriter:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        engine = make_engine(self.url)

        def edit() -> None:
            with UnitOfWork(engine, actor_login=BENCH_ADMIN) as uow:
                changes = ClientChanges(notes=f"edited during the import ({self.edits})")
                update_client(uow, client_id=1, changes=changes, default_region="RU")

        while not self._stop.wait(1.0):
            retry_while_busy(edit, patience_seconds=600)
            self.edits += 1
        engine.dispose()


def export_database() -> str:
    """A SQLite database holding EXPORT_CLIENTS demo clients (reusing the lookup benchmark's)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for candidate in (BENCH_DIR / f"lookup-{EXPORT_CLIENTS}.db", BENCH_DIR / f"export-{EXPORT_CLIENTS}.db"):
        if candidate.exists() and client_count(f"sqlite:///{candidate}") >= EXPORT_CLIENTS * 0.95:
            return f"sqlite:///{candidate}"
    path = BENCH_DIR / f"export-{EXPORT_CLIENTS}.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    hotline(url, "db", "init")
    hotline(url, "demo", "--clients", str(EXPORT_CLIENTS))
    record(
        f"build {EXPORT_CLIENTS:,} clients (hotline demo)", time.perf_counter() - started, "s", None, "sqlite"
    )
    return url


def client_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM client")).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def hotline(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "hotline.cli", "--db", url, "--operator", BENCH_ADMIN, *args], check=True
    )


def ensure_admin(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        known = connection.execute(
            text("SELECT 1 FROM operator WHERE login = :l"), {"l": BENCH_ADMIN}
        ).first()
    if known is None:
        with UnitOfWork(engine) as uow:
            add_operator(uow, login=BENCH_ADMIN, role=Role.ADMIN)
    engine.dispose()


def bench_export(url: str, fmt: str) -> None:
    """Run ``hotline clients export`` in a child process that reports its own peak RSS."""
    output = BENCH_DIR / f"export.{fmt}"
    command = [sys.executable, "-c", CLI_WITH_PEAK, "--db", url, "--operator", BENCH_ADMIN, "clients", "export",
               "--format", fmt, "--output", str(output)]  # fmt: skip
    peak_file = BENCH_DIR / "export-peak-kb"
    peak_file.unlink(missing_ok=True)
    started = time.perf_counter()
    finished = subprocess.run(command, env={**os.environ, "BENCH_PEAK_FILE": str(peak_file)}, check=False)
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"export ({fmt}) failed with exit code {finished.returncode}")
    peak_mb = int(peak_file.read_text()) / 1024
    record(
        f"export {EXPORT_CLIENTS:,} clients ({fmt}) peak memory", peak_mb, "MB", EXPORT_TARGET_MB, "sqlite"
    )
    record(f"export {EXPORT_CLIENTS:,} clients ({fmt})", elapsed, "s", None, "sqlite")
    record(f"export file size ({fmt})", output.stat().st_size / 2**20, "MB", None, "sqlite")
    output.unlink()


def main() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    csv_path = BENCH_DIR / f"import-{IMPORT_ROWS}.csv"
    write_import_file(csv_path, IMPORT_ROWS)
    for backend in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(","):
        if backend.strip():
            bench_import(backend.strip(), csv_path)
    formats = [fmt.strip() for fmt in os.environ.get("EXPORT_FORMATS", "csv,json").split(",") if fmt.strip()]
    if formats:
        url = export_database()
        ensure_admin(url)
        for fmt in formats:
            bench_export(url, fmt)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    table = Table(title=f"import/export (SCALE={SCALE}, load average {load})", title_justify="left")
    for column in ("metric", "backend", "value", "unit", "target", "ok"):
        table.add_column(column)
    for figure in figures:
        target = figure["target"]
        ok = "" if target is None else ("yes" if _within(figure) else "NO")
        table.add_row(str(figure["metric"]), str(figure["backend"]), f"{figure['value']:,}", str(figure["unit"]),
                      "" if target is None else f"{target:,}", ok)  # fmt: skip
    console.print(table)
    with RESULTS.open("a", encoding="utf-8") as stream:
        for figure in figures:
            stream.write(json.dumps(figure, ensure_ascii=False) + "\n")


def _within(figure: dict[str, object]) -> bool:
    value, target = float(figure["value"]), float(figure["target"])  # type: ignore[arg-type]
    return value < target if figure["unit"] == "MB" else value <= target


if __name__ == "__main__":
    main()
