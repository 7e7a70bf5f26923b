"""``hotline escalate`` over 100,000 open tickets of which 5 % are due: target ≤ 10 s on SQLite.

Seeds a fresh SQLite database in bulk (tickets with their SLA state), times the real command in a child
process, then times a per-ticket loop (load every open ticket, test each rule in Python, look up its
step, apply through the ticket services, the way django-helpdesk's ``escalate_tickets`` works) on a
copy of the same database, for the ratio. Prints a Rich table and appends one JSON object per figure
to ``bench-results.jsonl``. ``SCALE`` multiplies the number of tickets (``SCALE=0.1`` for a tenth).
With ``BENCH_PG`` set to a PostgreSQL server URL, the command is timed there too (in a database of its
own, dropped afterwards).

    SCALE=0.1 .venv/bin/python tests/bench/bench_escalate.py
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select, text

from hotline.core import migrate
from hotline.core.clock import FixedClock, parse_instant
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import EscalationStep, Operator, Queue, Ticket
from hotline.core.models.sla import TicketSla
from hotline.core.sla.config import CalendarConfig, EscalationRuleConfig, SlaPolicyConfig
from hotline.core.sla.policy import SlaSetup

SCALE = float(os.environ.get("SCALE", "1"))
TICKETS = max(1_000, int(100_000 * SCALE))
DUE_SHARE = 0.05
TARGET_SECONDS = 10.0
LOOP_TIME_LIMIT = 120.0
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
NOW = "2026-11-24T12:00:00+03:00"
TIMEOUT_SECONDS = 900
console = Console(highlight=False)

CONFIG = """
[calendars.office]
timezone = "Europe/Moscow"
country_holidays = "RU"
breaks = ["13:00-14:00"]
hours = { mon = "09:00-18:00", tue = "09:00-18:00", wed = "09:00-18:00", thu = "09:00-18:00" }

[[sla]]
queue = "Support"
calendar = "office"
first_response = "1h"
resolution = "8h"
pause_when_pending = true

[[escalation]]
name = "first response overdue"
queue = "Support"
when = "first_response_overdue"
actions = ["priority:high", "assign:supervisor", "event"]

[[escalation]]
name = "resolution 80"
level = "warn"
when = "resolution_used >= 80%"
actions = ["event"]

[[escalation]]
name = "resolution 100"
level = "escalate"
when = "resolution_used >= 100%"
actions = ["priority:urgent", "event"]

[[escalation]]
name = "idle"
when = "idle >= 4h"
actions = ["event"]
"""


def load_setup() -> SlaSetup:
    import tomllib

    data = tomllib.loads(CONFIG)
    return SlaSetup(
        calendar_configs={name: CalendarConfig(**c) for name, c in data["calendars"].items()},
        policies=[SlaPolicyConfig(**p) for p in data["sla"]],
        rules=[EscalationRuleConfig(**r) for r in data["escalation"]],
    )


def seed(url: str, setup: SlaSetup) -> int:
    """``TICKETS`` open tickets: 5 % created two days ago (everything overdue), the rest this morning."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = parse_instant(NOW)
    calendar = setup.calendar("office")
    with UnitOfWork(engine, clock=FixedClock(now)) as uow:
        uow.session.add(Operator(login="boss", display_name="Boss", role="supervisor", created_at=now))
        uow.session.add(Queue(name="Support"))
        uow.session.flush()
        queue_id = uow.session.execute(select(Queue.id)).scalar_one()
    due_every = round(1 / DUE_SHARE)
    batch: list[dict] = []
    sla_batch: list[dict] = []
    due_count = 0
    cache: dict[datetime, tuple[datetime, datetime]] = {}
    with engine.begin() as connection:
        for number in range(1, TICKETS + 1):
            due = number % due_every == 0
            due_count += due
            created = now - (timedelta(days=2) if due else timedelta(minutes=number % 50))
            if created not in cache:
                cache[created] = (calendar.add(created, 60), calendar.add(created, 480))
            first_due, resolution_due = cache[created]
            batch.append(
                {
                    "id": number,
                    "number": number,
                    "subject": f"Benchmark ticket {number}",
                    "status": "open" if number % 3 else "new",
                    "priority": "normal",
                    "queue_id": queue_id,
                    "created_at": created,
                    "updated_at": created,
                    "first_response_due_at": first_due,
                    "resolution_due_at": resolution_due,
                    "version": 1,
                }
            )
            sla_batch.append(
                {
                    "ticket_id": number,
                    "policy": "Support/*",
                    "calendar": "office",
                    "first_response_target": "1h",
                    "resolution_target": "8h",
                    "pause_when_pending": True,
                    "clock_started_at": created,
                    "last_activity_at": now - timedelta(minutes=5) if not due else created,
                    "cycle": 1,
                }
            )
            if len(batch) == 10_000:
                connection.execute(insert(Ticket), batch)
                connection.execute(insert(TicketSla), sla_batch)
                batch, sla_batch = [], []
        if batch:
            connection.execute(insert(Ticket), batch)
            connection.execute(insert(TicketSla), sla_batch)
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return due_count


def run_command(url: str, config: Path) -> tuple[float, list[dict], float]:
    """Wall time, the steps printed, and the CPU time of the child (user + system; load-independent)."""
    command = [
        sys.executable, "-c", "from hotline.cli.main import run; run()",
        "--db", url, "--config", str(config), "escalate", "--now", NOW, "--json",
    ]  # fmt: skip
    env = {**os.environ, "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="hotline-no-config-")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"hotline escalate failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, json.loads(result.stdout), cpu


def per_ticket_loop(url: str, setup: SlaSetup) -> tuple[float, int, int, bool]:
    """The one-ticket-at-a-time way: every open ticket, every rule, tested and applied in Python."""
    from hotline.core.models.enums import EventKind, Priority
    from hotline.core.services.tickets import add_event, update_ticket

    engine = make_engine(url)
    now = parse_instant(NOW)
    calendar = setup.calendar("office")
    applied = seen = 0
    started = time.perf_counter()
    finished = True
    with UnitOfWork(engine, clock=FixedClock(now)) as uow:
        session = uow.session
        rows = session.execute(
            select(Ticket, TicketSla).join(TicketSla, TicketSla.ticket_id == Ticket.id)
            .where(Ticket.status.in_(["new", "open", "pending"])).order_by(Ticket.id)
        ).all()  # fmt: skip
        for ticket, sla in rows:
            if time.perf_counter() - started > LOOP_TIME_LIMIT:
                finished = False
                break
            seen += 1
            used = calendar.elapsed(sla.clock_started_at, now)
            idle = calendar.elapsed(sla.last_activity_at, now)
            holds = {
                "first response overdue": ticket.first_response_at is None
                and ticket.first_response_due_at <= now,
                "resolution 80": used >= 0.8 * 480,
                "resolution 100": used >= 480,
                "idle": idle >= 240,
            }
            for rule in setup.rules:
                if not holds[rule.name]:
                    continue
                level = f"{rule.level or 'step'}#{sla.cycle}"
                exists = session.execute(
                    select(EscalationStep.id).where(
                        EscalationStep.ticket_id == ticket.id,
                        EscalationStep.rule == rule.name,
                        EscalationStep.level == level,
                    )
                ).first()
                if exists:
                    continue
                session.add(
                    EscalationStep(
                        ticket_id=ticket.id, rule=rule.name, level=level, actions=rule.actions, applied_at=now
                    )
                )
                for action in rule.parsed_actions:
                    if (
                        action.kind == "priority"
                        and Priority(ticket.priority).rank < Priority(action.target).rank
                    ):
                        update_ticket(
                            uow, number=ticket.number, expected_version=None, priority=Priority(action.target)
                        )
                    elif action.kind == "assign":
                        update_ticket(uow, number=ticket.number, expected_version=None, assignee_login="boss")
                    elif action.kind == "event":
                        add_event(uow, ticket=ticket, kind=EventKind.ESCALATION, body=rule.name)
                applied += 1
        session.flush()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, seen, applied, finished


def postgres_figures(setup: SlaSetup, config: Path) -> list[tuple[str, float, str, float | None]]:
    """The same command on PostgreSQL, when ``BENCH_PG`` names a server."""
    admin_url = os.environ.get("BENCH_PG")
    if not admin_url:
        return []
    name = f"hotline_bench_escalate_{os.getpid()}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        seed(url, setup)
        elapsed, steps, cpu = run_command(url, config)
        again, _, _ = run_command(url, config)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return [
        ("escalate (process, set-based) (postgresql)", elapsed, "s", None),
        ("escalate CPU time (postgresql client)", cpu, "s", None),
        ("steps applied (postgresql)", len(steps), "steps", None),
        ("second run (nothing new) (postgresql)", again, "s", None),
    ]


def main() -> None:
    setup = load_setup()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-escalate-") as folder:
        path = Path(folder) / "escalate.db"
        url = f"sqlite:///{path}"
        config = Path(folder) / "config.toml"
        config.write_text(CONFIG, encoding="utf-8")
        started = time.perf_counter()
        due = seed(url, setup)
        seeded = time.perf_counter() - started
        copy = Path(folder) / "loop.db"
        shutil.copyfile(path, copy)
        elapsed, steps, cpu = run_command(url, config)
        again, steps_again, _ = run_command(url, config)
        loop_elapsed, loop_seen, loop_applied, finished = per_ticket_loop(f"sqlite:///{copy}", setup)
        on_postgres = postgres_figures(setup, config)
    loop_full = loop_elapsed * TICKETS / max(loop_seen, 1)
    target = max(2.0, TARGET_SECONDS * SCALE)  # a process starts in about a second whatever the scale
    figures = [
        ("escalate (process, set-based)", elapsed, "s", target),
        ("escalate CPU time (user + system)", cpu, "s", None),
        ("steps applied", len(steps), "steps", None),
        ("tickets due", due, "tickets", None),
        ("second run (nothing new)", again, "s", target),
        ("second run steps", len(steps_again), "steps", 0),
        ("per-ticket loop" + ("" if finished else " (extrapolated)"), loop_full, "s", None),
        ("per-ticket loop steps", loop_applied, "steps", None),
        ("per-ticket loop rate", loop_seen / loop_elapsed, "tickets/s", None),
        ("set-based tickets/s", TICKETS / elapsed, "tickets/s", None),
        ("ratio loop / set-based", loop_full / elapsed, "x", None),
        ("seeding", seeded, "s", None),
        *on_postgres,
    ]
    table = Table(
        title=f"hotline escalate over {TICKETS:,} open tickets, {DUE_SHARE:.0%} due (SQLite, scale {SCALE})",
        title_justify="left",
    )
    for column in ("metric", "value", "unit", "target"):
        table.add_column(column)
    with RESULTS.open("a", encoding="utf-8") as out:
        for metric, value, unit, goal in figures:
            verdict = "" if goal is None else (" ok" if value <= goal else " MISSED")
            table.add_row(metric, f"{value:,.2f}", unit, "—" if goal is None else f"≤ {goal:,.1f}{verdict}")
            record = {
                "benchmark": "escalate",
                "metric": metric.removesuffix(" (postgresql)").replace(" (postgresql client)", " (client)"),
                "value": round(value, 3),
                "unit": unit,
                "target": goal,
                "backend": "postgresql" if "(postgresql" in metric else "sqlite",
                "scale": SCALE,
            }
            out.write(json.dumps(record) + "\n")
    console.print(table)


if __name__ == "__main__":
    main()
