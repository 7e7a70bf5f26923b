"""N simulated operators on one PostgreSQL, through the real service layer (not the UI).

    .venv/bin/python tests/bench/bench_operators.py 50                 # through PgBouncer, 60 s
    .venv/bin/python tests/bench/bench_operators.py 500 --duration 90
    .venv/bin/python tests/bench/bench_operators.py 50 --direct        # straight to the server

Each operator is a console of its own (an engine with hotline's small pool) on a thread; the operators
are spread over processes, 25 to a process by default (threads of one process take turns on its GIL at
every round trip: with 250 to a process the figures were mostly those turns). In a busy shift each takes
a call every ``--call-seconds`` on average (exponential; default 120 s, talk and wrap-up included; 30 s
is a stress test at four times the pace): the PBX's service path (``call incoming``) writes a screen pop;
one LISTEN connection for the whole simulator — the site's relay, in the main process — reads the new
pops once per notification and sends each to its operator's process (delivery: from the pop's commit to
the hand-over there). The operator takes the pop, opens the card, often types a lookup (one query per
keystroke, 4–12 keystrokes, 80–250 ms apart), logs the call and now and then opens a ticket, takes an
unassigned one and updates it, or adds a note. Meanwhile the mail intake takes in a message every
``--mail-seconds`` (a few twice at once from two accounts: the advisory lock makes one ticket) and
escalation runs every minute.

Printed: per operation p50/p95/p99 and errors, the peak server connections (``pg_stat_activity``), the
simulator's own CPU and the whole machine's, from the moment every process has loaded (on one small
machine the simulated consoles share the cores with PostgreSQL and PgBouncer: the figures are a
console's whole wait, its own Python included), and the check that every write it made is in the
database exactly once. Figures are appended to ``bench-results.jsonl``. ``SCALE`` multiplies the demo
clients (default 5,000); ``BENCH_DATABASE`` names the database (default ``hotline_bench_operators``,
kept between runs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_console import percentile
from bench_escalate import load_setup
from bench_phases import (
    Heartbeat,
    Samples,
    Unit,
    UnitPhases,
    pooler_sampler,
    report_phases,
    run_queue_sampler,
    wait_sampler,
)
from benchlib import pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the shared PgBouncer of the tests

from hotline.core import migrate
from hotline.core.clock import SystemClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.settings import DatabaseSettings
from tests.pgbouncer import Bouncer, pgbouncer_missing, running_pgbouncer

SCALE = float(os.environ.get("SCALE", "1"))
CLIENTS = max(500, int(5_000 * SCALE))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
DATABASE = os.environ.get("BENCH_DATABASE", "hotline_bench_operators")
POP_WAIT_SECONDS = 5.0
WARMING = " (console's first)"
"""Appended to an operation done in a console's first call, made before the clock starts (``--warm-up``)."""
OPERATORS_PER_PROCESS = 25
TARGETS_MS = {"lookup": 20.0, "card open": 50.0, "call log": 50.0, "pop delivered": 300.0}
console = Console(highlight=False, width=150)


@dataclass
class WorkerResult:
    """What one simulator process measured and wrote (sent back to the main process)."""

    times_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    conflicts: Counter[str] = field(default_factory=Counter)
    calls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    pops: list[int] = field(default_factory=list)
    taken: list[tuple[int, str]] = field(default_factory=list)
    mails: list[str] = field(default_factory=list)
    escalation_runs: int = 0
    escalations: list[tuple[float, float]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    units: list[Unit] = field(default_factory=list)
    stalls: list[tuple[float, float]] = field(default_factory=list)
    lateness: Counter[int] = field(default_factory=Counter)
    pid: int = 0


@dataclass(frozen=True)
class Plan:
    url: str
    listen_url: str
    pooled: bool
    duration: float
    call_seconds: float
    tag: str
    phases: bool = False
    warm_up: bool = False


# -- the simulated operators ---------------------------------------------------------------------------


class Relay:
    """One LISTEN connection for the whole simulator (the site's relay, in the main process): on each
    notification, one query for the live pops not yet taken (as a console asks: young, not taken; not by
    the highest id seen, since ids are given at insert and two pops may commit in the other order), each
    handed once to the process of its operator (``outboxes``: login → that process's queue)."""

    def __init__(self, plan: Plan, engine: Any, outboxes: dict[str, Any]) -> None:
        import psycopg

        self.engine = engine
        self.outboxes = outboxes
        self.delivered: set[int] = set()
        self.connection = psycopg.connect(plan.listen_url, autocommit=True, connect_timeout=5)
        self.connection.execute("LISTEN hotline_screen_pop")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            woke = any(True for _ in self.connection.notifies(timeout=0.5, stop_after=1))
            if not woke:
                continue
            with self.engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT id, operator_login FROM screen_pop WHERE consumed_at IS NULL"
                        " AND dismissed_at IS NULL AND requested_at >= now() - interval '30 seconds'"
                    )
                ).all()
            for pop_id, login in rows:
                outbox = self.outboxes.get(login)
                if outbox is not None and pop_id not in self.delivered:
                    self.delivered.add(pop_id)
                    outbox.put((login, pop_id))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.connection.close()


class Operator:
    def __init__(
        self,
        login: str,
        plan: Plan,
        settings: DatabaseSettings,
        result: WorkerResult,
        shared: dict[str, Any],
        phases: UnitPhases | None = None,
    ) -> None:
        self.login = login
        self.plan = plan
        self.engine = make_engine(plan.url, database=settings)
        self.phases = phases
        if phases is not None:
            phases.attach(self.engine)
        self.result = result
        self.shared = shared
        self.inbox: queue.Queue[tuple[int, float]] = queue.Queue()
        self.random = random.Random(login)
        self.lock: threading.Lock = shared["lock"]
        self.sequence = 0
        self.warming = False
        """The console's first call, before the clock starts: timed apart (``WARMING``), typed at once."""

    def uow(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, actor_login=self.login, readonly=readonly, via="console")

    def timed(self, operation: str, work: Any) -> tuple[bool, Any]:
        """Run one unit of work and time it: (whether it committed, what it returned). A stale version
        (another operator changed the ticket first) is a conflict the console shows, not an error."""
        from hotline.core.errors import Conflict

        if self.warming:
            operation += WARMING
        started = time.perf_counter()
        if self.phases is not None:
            self.phases.start()
        try:
            value = work()
        except Conflict:
            with self.lock:
                self.result.conflicts[operation] += 1
            return False, None
        except Exception as error:
            with self.lock:
                self.result.errors[operation] += 1
                if len(self.result.error_samples) < 10:
                    self.result.error_samples.append(f"{operation}: {str(error).splitlines()[0][:200]}")
            return False, None
        elapsed = (time.perf_counter() - started) * 1000
        if self.phases is not None:
            self.phases.finish(operation, self.login)
        with self.lock:
            self.result.times_ms[operation].append(elapsed)
        return True, value

    def unique(self, what: str) -> str:
        self.sequence += 1
        return f"{self.plan.tag}:{self.login}:{what}:{self.sequence}"

    def run(self, deadline: float) -> None:
        self.sleep(self.random.uniform(0, self.plan.call_seconds), deadline)
        while time.monotonic() < deadline:
            self.one_call()
            self.sleep(self.random.expovariate(1 / self.plan.call_seconds), deadline)
        self.engine.dispose()

    def sleep(self, seconds: float, deadline: float) -> None:
        time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    def one_call(self) -> None:
        from hotline.core.enums import Direction
        from hotline.core.search import lookup
        from hotline.core.services.clients import client_card
        from hotline.core.services.interactions import log_call
        from hotline.core.services.screen_pop import request_screen_pop, take_screen_pops

        client_id, phone, _name = self.random.choice(self.shared["clients"])

        def ring() -> int:
            with UnitOfWork(self.engine, via="pbx: call incoming") as uow:
                pop_id = request_screen_pop(uow, operator_login=self.login, number=phone).id
            return int(pop_id or 0)

        rang, pop_id = self.timed("pop request", ring)
        if rang:
            committed = time.monotonic()
            with self.lock:
                self.result.pops.append(pop_id)
            self.receive_pop(pop_id, committed)

            def take() -> None:
                with self.uow() as uow:
                    take_screen_pops(uow, pop_ids=[pop_id], console=f"bench-{self.login}")

            self.timed("pop take", take)

        def card() -> None:
            with self.uow(readonly=True) as uow:
                client_card(uow, client_id=client_id)

        self.timed("card open", card)
        if self.random.random() < 0.6:  # the caller asks about someone else: typed, a query per keystroke
            other = self.random.choice(self.shared["clients"])[2]
            for length in range(1, min(len(other), self.random.randint(4, 12)) + 1):
                typed = other[:length]

                def find(typed: str = typed) -> None:
                    with self.uow(readonly=True) as uow:
                        lookup(uow.session, typed, default_region="RU", limit=20)

                self.timed("lookup", find)
                if not self.warming:
                    time.sleep(self.random.uniform(0.08, 0.25))
        tag = self.unique("call")

        def log() -> None:
            with self.uow() as uow:
                log_call(
                    uow,
                    client_id=client_id,
                    direction=Direction.IN,
                    duration_seconds=self.random.randint(30, 600),
                    outcome="resolved",
                    notes=tag,
                )

        if self.timed("call log", log)[0]:
            with self.lock:
                self.result.calls.append(tag)
        roll = self.random.random()
        if roll < 0.25:
            self.open_ticket(client_id)
        elif roll < 0.5:
            self.take_and_update()
        elif roll < 0.7:
            self.add_note()

    def receive_pop(self, pop_id: int, committed: float) -> None:
        deadline = time.monotonic() + POP_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                got, seen = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if got == pop_id:
                with self.lock:
                    self.result.times_ms["pop delivered"].append(max(0.0, (seen - committed) * 1000))
                return
        with self.lock:
            self.result.errors["pop delivered"] += 1
            self.result.error_samples.append(
                f"pop delivered: pop {pop_id} not delivered in {POP_WAIT_SECONDS} s"
            )

    def open_ticket(self, client_id: int) -> None:
        from hotline.core.services.tickets import create_ticket

        tag = self.unique("ticket")

        def create() -> int:
            with self.uow() as uow:
                return create_ticket(
                    uow, subject=tag, queue="Support", client_id=client_id, body="from a call"
                ).number

        if self.timed("ticket create", create)[0]:
            with self.lock:
                self.result.tickets.append(tag)

    def take_and_update(self) -> None:
        from hotline.core.models.enums import TicketStatus
        from hotline.core.services.tickets import take_ticket, update_ticket

        def pick() -> tuple[int, int] | None:
            with self.uow(readonly=True) as uow:
                row = uow.session.execute(
                    text(
                        "SELECT number, version FROM ticket WHERE assignee_id IS NULL AND status IN ('new', 'open')"
                        " ORDER BY number DESC LIMIT 20"
                    )
                ).all()
            return self.random.choice(row) if row else None

        chosen = self.timed("ticket queue", pick)[1]
        if not chosen:
            return
        number, version = chosen

        def take() -> int:
            with self.uow() as uow:
                return take_ticket(uow, number=number, expected_version=version, sla=None).version

        took, taken_version = self.timed("ticket take", take)
        if not took:
            return
        with self.lock:
            self.result.taken.append((number, self.login))

        def update() -> None:
            with self.uow() as uow:
                update_ticket(
                    uow, number=number, expected_version=taken_version, status=TicketStatus.PENDING, sla=None
                )

        self.timed("ticket update", update)

    def add_note(self) -> None:
        from hotline.core.services.tickets import add_note

        def mine() -> int | None:
            with self.uow(readonly=True) as uow:
                return uow.session.execute(
                    text(
                        "SELECT t.number FROM ticket t JOIN operator o ON o.id = t.assignee_id"
                        " WHERE o.login = :login ORDER BY t.number DESC LIMIT 1"
                    ),
                    {"login": self.login},
                ).scalar()

        number = self.timed("ticket queue", mine)[1]
        if not number:
            return
        tag = self.unique("note")

        def note() -> None:
            with self.uow() as uow:
                add_note(uow, number=number, expected_version=None, body=tag, sla=None)

        if self.timed("note", note)[0]:
            with self.lock:
                self.result.notes.append(tag)


# -- one simulator process ------------------------------------------------------------------------------


def hand_over(pops: Any, inboxes: dict[str, queue.Queue[tuple[int, float]]], stop: threading.Event) -> None:
    """Hand each pop the relay sent this process to its operator (delivered: now, in this process)."""
    while not stop.is_set():
        try:
            login, pop_id = pops.get(timeout=0.5)
        except queue.Empty:
            continue
        inboxes[login].put((pop_id, time.monotonic()))


def worker(
    plan: Plan, logins: list[str], clients: list[tuple[int, str, str]], pops: Any, start: Any, out: Any
) -> None:
    """Run ``logins`` as threads, their pops coming from the relay through ``pops``; send back a
    ``WorkerResult``. A few operators per process: threads of one process take turns on its GIL (each
    round trip gives it up and waits to take it back), so with hundreds per process the figures were
    mostly those turns, not the database's time. ``start`` (ready, go): the process says it is ready
    and every process starts at once, so no operator runs while other processes still load Python."""
    import hotline.core.search
    import hotline.core.services.clients
    import hotline.core.services.interactions
    import hotline.core.services.screen_pop
    import hotline.core.services.tickets  # noqa: F401 - loaded before the clock starts

    ready, go = start
    settings = (
        DatabaseSettings(pooler="transaction", listen_url=plan.listen_url)
        if plan.pooled
        else DatabaseSettings()
    )
    result = WorkerResult(pid=os.getpid())
    shared: dict[str, Any] = {"lock": threading.Lock(), "clients": clients}
    phases = UnitPhases(os.getpid()) if plan.phases else None
    heartbeat = Heartbeat() if plan.phases else None
    operators = [Operator(login, plan, settings, result, shared, phases) for login in logins]
    handed = threading.Event()
    handing = threading.Thread(
        target=hand_over,
        args=(pops, {operator.login: operator.inbox for operator in operators}, handed),
        daemon=True,
    )
    handing.start()
    if plan.warm_up:
        for operator in operators:  # one at a time: each pays its own first use, not a burst's queue
            operator.warming = True
            operator.one_call()
            operator.warming = False
    ready.put(os.getpid())
    go.wait()
    before = resource.getrusage(resource.RUSAGE_SELF)
    if heartbeat is not None:
        heartbeat.thread.start()
    deadline = time.monotonic() + plan.duration
    threads = [threading.Thread(target=operator.run, args=(deadline,), daemon=True) for operator in operators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=plan.duration + 60)
    handed.set()
    handing.join(timeout=5)
    if heartbeat is not None and phases is not None:
        heartbeat.stop.set()
        heartbeat.thread.join(timeout=5)
        result.units, result.stalls, result.lateness = phases.units, heartbeat.stalls, heartbeat.lateness
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_seconds = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    result.times_ms = dict(result.times_ms)  # type: ignore[assignment]
    out.put(result)


def mail_stream(
    plan: Plan, settings: DatabaseSettings, result: WorkerResult, stop: threading.Event, every: float
) -> None:
    """A steady stream of new mail; every fifth message also arrives at once through a second account."""
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
    from hotline.core.services.mail.intake import take_in

    engine = make_engine(plan.url, database=settings)
    accounts = [
        MailboxRef(
            name=name,
            queue="Support",
            from_address=f"{name}@bench.example",
            acknowledge=False,
            acknowledgements_per_day=0,
            default_region="RU",
        )
        for name in ("support", "sales")
    ]
    uid = 0
    # A fresh UIDVALIDITY per run: a UID an earlier run recorded would be skipped as already taken in.
    uidvalidity = random.randint(1, 2**31 - 1)
    lock = threading.Lock()

    def take(account: MailboxRef, mail: IncomingMail, uid: int) -> None:
        started = time.perf_counter()
        try:
            with UnitOfWork(engine, via="poller") as uow:
                take_in(uow, mailbox=account, uidvalidity=uidvalidity, uid=uid, mail=mail, sla=None)
        except Exception as error:
            with lock:
                result.errors["mail intake"] += 1
                result.error_samples.append(f"mail intake: {str(error).splitlines()[0][:200]}")
            return
        with lock:
            result.times_ms["mail intake"].append((time.perf_counter() - started) * 1000)

    while not stop.wait(every):
        uid += 1
        message_id = f"<{plan.tag}-{uid}@client.example>"
        mail = IncomingMail(
            message_id=message_id,
            subject=f"mail {uid}",
            from_address=f"c{uid}@client.example",
            from_name="Client",
            new_text="Hello, it does not work.",
        )
        twice = uid % 5 == 0
        threads = [
            threading.Thread(target=take, args=(account, mail, uid))
            for account in accounts[: 2 if twice else 1]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        result.mails.append(message_id)
    engine.dispose()


def escalation_runs(
    plan: Plan, settings: DatabaseSettings, result: WorkerResult, stop: threading.Event
) -> None:
    from hotline.core.escalation.run import run_escalation

    engine = make_engine(plan.url, database=settings)
    setup = load_setup()
    while True:
        started, wall = time.perf_counter(), time.time()
        try:
            run_escalation(engine, setup=setup, clock=SystemClock())
            result.times_ms["escalate"].append((time.perf_counter() - started) * 1000)
            result.escalations.append((wall, time.time()))
            result.escalation_runs += 1
        except Exception as error:
            result.errors["escalate"] += 1
            result.error_samples.append(f"escalate: {str(error).splitlines()[0][:200]}")
        if stop.wait(60):
            break
    engine.dispose()


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every core, every process: ``/proc/stat``)."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def connection_sampler(direct_url: str, peak: list[int], stop: threading.Event) -> None:
    """The most server connections to the bench database at once (this sampler's own left out)."""
    import psycopg

    with psycopg.connect(direct_url, autocommit=True, connect_timeout=5) as connection:
        while not stop.wait(0.1):
            count = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            peak[0] = max(peak[0], int(count[0]) if count else 0)


# -- setup, the run, the check --------------------------------------------------------------------------


def prepare(direct_url: str, operators: int) -> list[tuple[int, str, str]]:
    """Demo clients (made once), the bench operators and the Support queue; the clients to call about."""
    from hotline.core.demo.load import load_demo
    from hotline.core.enums import Role
    from hotline.core.services.operators import add_operator
    from hotline.core.services.queues import ensure_queue

    engine = make_engine(direct_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        has_clients = connection.execute(text("SELECT count(*) FROM client")).scalar()
        known = set(connection.execute(text("SELECT login FROM operator")).scalars())
    if not has_clients:
        started = time.perf_counter()
        with UnitOfWork(engine) as uow:
            load_demo(uow, clients=CLIENTS, default_region="RU")
        console.print(f"demo: {CLIENTS:,} clients in {time.perf_counter() - started:.1f} s")
    with UnitOfWork(engine) as uow:
        for number in range(operators):
            login = f"op{number:04d}"
            if login not in known:
                add_operator(uow, login=login, role=Role.OPERATOR)
        ensure_queue(uow, name="Support")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.id, min(p.e164), min(c.name) FROM client c JOIN client_phone p ON p.client_id = c.id"
                " WHERE c.kind = 'person' GROUP BY c.id ORDER BY c.id LIMIT 3000"
            )
        ).all()
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return [(int(client_id), str(phone), str(name)) for client_id, phone, name in rows]


def verify(direct_url: str, results: list[WorkerResult]) -> dict[str, tuple[int, int, int]]:
    """For each kind of write: (made, missing, duplicated), read from the database."""
    engine = make_engine(direct_url)
    checks: dict[str, tuple[int, int, int]] = {}

    def check(kind: str, tags: list[Any], query: str) -> None:
        with engine.connect() as connection:
            found = Counter(row[0] for row in connection.execute(text(query), {"tags": list(tags)}))
        missing = sum(1 for tag in tags if found[tag] == 0)
        duplicated = sum(1 for tag in tags if found[tag] > 1) + (len(tags) - len(set(tags)))
        checks[kind] = (len(tags), missing, duplicated)

    every = lambda name: [item for result in results for item in getattr(result, name)]  # noqa: E731
    check("calls", every("calls"), "SELECT notes FROM interaction WHERE notes = ANY(:tags)")
    check("tickets", every("tickets"), "SELECT subject FROM ticket WHERE subject = ANY(:tags)")
    check("notes", every("notes"), "SELECT body FROM ticket_event WHERE body = ANY(:tags)")
    check("screen pops", every("pops"), "SELECT id FROM screen_pop WHERE id = ANY(:tags)")
    check(
        "mail",
        every("mails"),
        "SELECT message_id FROM ticket_event WHERE message_id = ANY(:tags) GROUP BY message_id, ticket_id",
    )
    # A take is written once if the taker's own audit entry moved the ticket from nobody to them exactly
    # once: the ticket's assignee now is no proof, as escalation's "assign:supervisor" may have moved it
    # on since (counted as missing before).
    taken = every("taken")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT (after->>'number')::int, actor FROM audit_entry WHERE entity = 'ticket'"
                " AND action = 'ticket.update' AND before->>'assignee_id' IS NULL"
                " AND after->>'assignee_id' IS NOT NULL AND (after->>'number')::int = ANY(:numbers)"
            ),
            {"numbers": [number for number, _ in taken]},
        ).all()
    written = Counter((number, actor) for number, actor in rows)
    missing = sum(1 for take in taken if written[take] == 0)
    duplicated = sum(written[take] - 1 for take in set(taken) if written[take] > 1)
    checks["takes"] = (len(taken), missing, duplicated + len(taken) - len(set(taken)))
    engine.dispose()
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("operators", type=int, nargs="?", default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--direct", action="store_true", help="straight to PostgreSQL, no PgBouncer")
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help=f"simulator processes (default: one per {OPERATORS_PER_PROCESS} operators, at least 2)",
    )
    parser.add_argument(
        "--call-seconds",
        type=float,
        default=120.0,
        help="mean time between an operator's calls (default 120: a busy shift; 30 is a stress test)",
    )
    parser.add_argument("--mail-seconds", type=float, default=2.0, help="time between new messages")
    parser.add_argument("--server-connections", type=int, default=40, help="PgBouncer's pool (default 40)")
    parser.add_argument(
        "--phases",
        action="store_true",
        help="split the slowest units of work into their parts (bench_phases)",
    )
    parser.add_argument(
        "--warm-up",
        action="store_true",
        help='each console makes its first call before the clock starts (timed apart, as "console\'s first")',
    )
    args = parser.parse_args()
    url = pg_bench_database(DATABASE, console)
    if url is None:
        return
    clients = prepare(url, args.operators)
    if args.direct:
        run(args, url, url, clients)
        return
    missing = pgbouncer_missing()
    if missing:
        console.print(f"[red]PGBOUNCER NOT AVAILABLE: {missing} — skipped (--direct runs without it)[/red]")
        return
    with (
        tempfile.TemporaryDirectory(prefix="hotline-bench-pgbouncer-") as folder,
        running_pgbouncer(
            url, Path(folder), pool_size=args.server_connections, max_client_conn=args.operators * 2 + 100
        ) as bouncer,
    ):
        run(args, bouncer.url, url, clients, bouncer)


def run(
    args: argparse.Namespace,
    url: str,
    direct_url: str,
    clients: list[tuple[int, str, str]],
    bouncer: Bouncer | None = None,
) -> None:
    plan = Plan(
        url=url,
        listen_url=direct_url,
        pooled=url != direct_url,
        duration=args.duration,
        call_seconds=args.call_seconds,
        tag=f"bench-{uuid.uuid4().hex[:8]}",
        phases=args.phases,
        warm_up=args.warm_up,
    )
    settings = (
        DatabaseSettings(pooler="transaction", listen_url=direct_url) if plan.pooled else DatabaseSettings()
    )
    logins = [f"op{number:04d}" for number in range(args.operators)]
    processes = args.processes or max(2, -(-args.operators // OPERATORS_PER_PROCESS))
    processes = max(1, min(processes, args.operators))
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    pops = [context.Queue() for _ in range(processes)]
    shares = [logins[index::processes] for index in range(processes)]
    relay_engine = make_engine(plan.url, database=settings)
    relay = Relay(
        plan, relay_engine, {login: pops[index] for index, share in enumerate(shares) for login in share}
    )
    ready, go = context.Queue(), context.Event()
    children = [
        context.Process(target=worker, args=(plan, shares[index], clients, pops[index], (ready, go), out))
        for index in range(processes)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=600)
    load_before = os.getloadavg()
    machine_before = machine_busy()
    main_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    go.set()
    background = WorkerResult()
    stop = threading.Event()
    peak = [0]
    helpers = [
        threading.Thread(target=mail_stream, args=(plan, settings, background, stop, args.mail_seconds)),
        threading.Thread(target=escalation_runs, args=(plan, settings, background, stop)),
        threading.Thread(target=connection_sampler, args=(direct_url, peak, stop)),
    ]
    samples = Samples()
    if plan.phases:
        helpers.append(threading.Thread(target=run_queue_sampler, args=(samples, stop)))
        helpers.append(threading.Thread(target=wait_sampler, args=(direct_url, samples, stop)))
        if bouncer is not None:
            helpers.append(threading.Thread(target=pooler_sampler, args=(bouncer, DATABASE, samples, stop)))
    for helper in helpers:
        helper.start()
    results = [out.get(timeout=args.duration + 300) for _ in children]
    stop.set()
    for helper in helpers:
        helper.join(timeout=120)
    for child in children:
        child.join(timeout=30)
    elapsed = time.monotonic() - started
    machine_cores = (machine_busy() - machine_before) / elapsed
    relay.close()
    relay_engine.dispose()
    load_after = os.getloadavg()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    main_cpu = usage.ru_utime + usage.ru_stime - main_before.ru_utime - main_before.ru_stime
    simulator_cpu = sum(result.cpu_seconds for result in results) + main_cpu
    results.append(background)
    report(
        args,
        plan,
        results,
        verify(direct_url, results),
        peak[0],
        elapsed,
        simulator_cpu,
        machine_cores,
        processes,
        load_before,
        load_after,
    )
    if bouncer is not None:
        pooler_figures(bouncer, args.operators)
    if plan.phases:
        lateness: Counter[int] = Counter()
        for result in results:
            lateness.update(result.lateness)
        report_phases(
            console,
            [unit for result in results for unit in result.units],
            {result.pid: result.stalls for result in results if result.pid},
            lateness,
            samples,
            background.escalations,
        )


def pooler_figures(bouncer: Bouncer, operators: int) -> None:
    """PgBouncer's own counts for the bench database: how long a query took on the server side of the
    pooler, and how long clients waited for a server connection (the pool being too small shows here)."""
    rows = bouncer.admin_show("stats")
    row = next(row for row in rows if row["database"] == DATABASE)
    xacts, queries = max(1, int(row["total_xact_count"])), max(1, int(row["total_query_count"]))
    query_ms = int(row["total_query_time"]) / queries / 1000
    xact_ms = int(row["total_xact_time"]) / xacts / 1000
    wait_ms = int(row["total_wait_time"]) / xacts / 1000
    console.print(
        f"PgBouncer: {xacts:,} transactions, {queries:,} queries; mean query {query_ms:.2f} ms, mean"
        f" transaction {xact_ms:.2f} ms, clients waited for a server {wait_ms:.2f} ms per transaction"
    )
    with RESULTS.open("a", encoding="utf-8") as out:
        for metric, value in (("pooler mean query", query_ms), ("pooler wait per transaction", wait_ms)):
            record = {
                "benchmark": "operators",
                "operators": operators,
                "metric": metric,
                "value": round(value, 3),
            }
            out.write(json.dumps({**record, "unit": "ms", "scale": SCALE, "backend": "postgresql"}) + "\n")


def report(
    args: argparse.Namespace,
    plan: Plan,
    results: list[WorkerResult],
    checks: dict[str, tuple[int, int, int]],
    peak: int,
    elapsed: float,
    simulator_cpu: float,
    machine_cores: float,
    processes: int,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    mode = "through PgBouncer (transaction mode)" if plan.pooled else "direct"
    times: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    for result in results:
        for operation, values in result.times_ms.items():
            times[operation].extend(values)
        errors.update(result.errors)
        conflicts.update(result.conflicts)
    table = Table(
        title=f"{args.operators} operators, {args.duration:.0f} s, {mode}, {CLIENTS:,} clients"
        f" — load {load_before[0]:.2f} → {load_after[0]:.2f}",
        title_justify="left",
    )
    for column in (
        "operation",
        "count",
        "per s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "conflicts",
        "p99 target",
    ):
        table.add_column(column, justify="left" if column == "operation" else "right")
    records = []
    for operation in sorted(set(times) | set(errors)):
        values = times.get(operation, [])
        p50, p95, p99 = (percentile(values, share) if values else float("nan") for share in (0.5, 0.95, 0.99))
        target = TARGETS_MS.get(operation)
        verdict = "" if target is None else (f"≤ {target:.0f} " + ("ok" if p99 <= target else "MISSED"))
        table.add_row(
            operation,
            f"{len(values):,}",
            f"{len(values) / args.duration:.1f}",
            f"{p50:.1f}",
            f"{p95:.1f}",
            f"{p99:.1f}",
            str(errors[operation]),
            str(conflicts[operation]),
            verdict,
        )
        records.append(
            {
                "metric": f"{operation} p99",
                "value": round(p99, 2),
                "unit": "ms",
                "target": target,
                "p50": round(p50, 2),
                "p95": round(p95, 2),
                "count": len(values),
                "errors": errors[operation],
            }
        )
    console.print(table)
    for sample in [sample for result in results for sample in result.error_samples][:10]:
        console.print(f"  [red]{sample}[/red]")
    writes = Table(title="every write exactly once", title_justify="left")
    for column in ("write", "made", "missing", "duplicated"):
        writes.add_column(column)
    for kind, (made, missing, duplicated) in checks.items():
        writes.add_row(kind, f"{made:,}", str(missing), str(duplicated))
    console.print(writes)
    cores = simulator_cpu / elapsed
    console.print(
        f"peak server connections: {peak} (max_connections 100); escalation runs:"
        f" {sum(r.escalation_runs for r in results)}\n"
        f"CPU over {elapsed:.0f} s: the simulator ({processes} processes) {cores:.2f} cores; the whole machine"
        f" {machine_cores:.2f} of {os.cpu_count()} (the rest: PostgreSQL, PgBouncer and anything else running)"
    )
    lost = sum(missing + duplicated for _, missing, duplicated in checks.values())
    records += [
        {"metric": "errors", "value": sum(errors.values()), "unit": "count", "target": 0},
        {"metric": "lost or duplicated writes", "value": lost, "unit": "count", "target": 0},
        {"metric": "peak server connections", "value": peak, "unit": "connections", "target": 100},
        {"metric": "simulator cpu", "value": round(cores, 2), "unit": "cores", "target": None},
        {"metric": "machine cpu", "value": round(machine_cores, 2), "unit": "cores", "target": None},
    ]
    with RESULTS.open("a", encoding="utf-8") as out:
        for record in records:
            out.write(
                json.dumps(
                    {
                        "benchmark": "operators",
                        "operators": args.operators,
                        "mode": mode,
                        "duration": args.duration,
                        "load": round(load_after[0], 2),
                        "scale": SCALE,
                        "backend": "postgresql",
                        **record,
                    }
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
