"""``hotline mail poll --once`` over 2,000 realistic messages in Dovecot: target ≥ 200 messages/s on
SQLite with peak memory under 300 MB, the 5 MB messages included, charset detection on (a sixth of
the mix is raw 8-bit text without a label, which goes to the detector).

The machine is shared: the load average at the start and the end is printed beside the figures, and
CPU milliseconds per message (the poll and its conversion worker together) are the fairer figure to
compare runs by.

Starts its own Dovecot (as the mailbox tests do), APPENDs a generated mix (plain UTF-8, raw 8-bit
windows-1251 and koi8-r, HTML-only, attachments, replies threaded by In-Reply-To, References and the
subject tag, a few 5 MB attachments), initialises a fresh SQLite database, then times the real command
in a child process and reads its peak RSS. The child counts the SQL statements it sends (an SQLAlchemy
event listener), so statements per message are printed too. Prints a Rich table and appends one JSON
object per figure to ``bench-results.jsonl``. ``SCALE`` multiplies the number of messages (``SCALE=0.1``
for a tenth). ``PROFILE=FILE`` runs the poll under cProfile (its stats go to FILE, the statements by
kind to FILE.sql.json): slower, so its throughput is not a figure to compare.

    SCALE=0.1 .venv/bin/python tests/bench/bench_mail.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mailbox"))

from mail_samples import html_only, plain, raw_8bit, reply, with_attachments
from mail_servers import dovecot_binary, start_dovecot

from hotline.core.db import make_engine

SCALE = float(os.environ.get("SCALE", "1"))
MESSAGES = max(100, int(2_000 * SCALE))
BIG_MESSAGES = max(2, MESSAGES // 200)  # 5 MB attachments: 10 at full scale
TARGET_RATE = 200.0
TARGET_MEMORY_MB = 300.0
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
NOW = "2026-11-23T10:00:00+03:00"
TIMEOUT_SECONDS = 1800
TEXTS = [
    "Здравствуйте! Не печатает принтер в бухгалтерии, ошибка E-42. Путь C:\\Users\\Иван\\счёт.xlsx",
    "Добрый день. Прошу выставить счёт на оплату за ноябрь и прислать акт сверки.",
    "Hello, our order #{n} has not arrived yet. Could you check the tracking number, please?",
    "Не приходит SMS с кодом подтверждения, номер +7 916 123-45-67.",
]
PROFILE = os.environ.get("PROFILE")
console = Console(highlight=False)

# The poll's child process: counts the SQL statements it sends (by kind when profiling) and writes the
# counts to the file named by argv[1] at exit, optionally under cProfile (argv[2]); then runs the CLI.
CHILD = """
import atexit, collections, json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
counts_path, profile_path = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
statements = collections.Counter()
def count(conn, cursor, statement, parameters, context, executemany):
    statements[" ".join(statement.split()[:4])[:80] if profile_path else "all"] += 1
event.listen(Engine, "before_cursor_execute", count)
def dump():
    with open(counts_path, "w") as out:
        json.dump(dict(statements.most_common()), out)
atexit.register(dump)
from hotline.cli.main import run
if profile_path:
    import cProfile, pstats, threading
    profilers = [cProfile.Profile()]
    def in_thread(*_):  # each new thread (the intake runs in one) gets a profiler of its own
        sys.setprofile(None)
        profilers.append(cProfile.Profile())
        profilers[-1].enable()
    threading.setprofile(in_thread)
    def dump_profile():
        profilers[0].disable()
        stats = pstats.Stats(profilers[0])
        for other in profilers[1:]:
            other.create_stats()
            stats.add(other)
        stats.dump_stats(profile_path)
    atexit.register(dump_profile)
    profilers[0].enable()
run()
"""


def generate(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    messages: list[bytes] = []
    roots: list[tuple[str, int]] = []  # (message id, ticket number it will get if new)
    big_every = max(1, count // BIG_MESSAGES)
    for index in range(count):
        message_id = f"<bench{index}.{seed}@client.example>"
        sender = f"client{rng.randrange(count // 3 + 1)}@example{rng.randrange(20)}.ru"
        text = rng.choice(TEXTS).replace("{n}", str(index))
        if index % big_every == big_every - 1:
            messages.append(
                with_attachments(message_id=message_id, attachment_size=5 * 1024 * 1024, seed=index)
            )
            roots.append((message_id, len(roots) + 1))
            continue
        kind = rng.random()
        if kind < 0.15 and roots:
            parent, number = rng.choice(roots)
            style = rng.randrange(3)
            if style == 0:
                raw = reply(message_id=message_id, in_reply_to=parent, sender=sender)
            elif style == 1:
                raw = reply(message_id=message_id, references=f"<unrelated@x> {parent}", sender=sender)
            else:
                raw = reply(message_id=message_id, subject=f"Re: [#{number}] вопрос", sender=sender)
            messages.append(raw)
            continue
        if kind < 0.30:
            raw = raw_8bit(text, "cp1251", declared=None, message_id=message_id)
        elif kind < 0.40:
            raw = raw_8bit(text, "koi8_r", declared="koi8-r", message_id=message_id)
        elif kind < 0.60:
            raw = html_only(message_id)
        elif kind < 0.80:
            raw = with_attachments(
                message_id=message_id, attachment_size=rng.randrange(20_000, 300_000), seed=index
            )
        else:
            raw = plain(message_id=message_id, subject=f"Вопрос {index}", sender=sender, body=text)
        messages.append(raw)
        roots.append((message_id, len(roots) + 1))
    return messages


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str, str, int]:
    """Run a child and measure wall time, peak RSS and CPU seconds (wait4 gives the child's rusage,
    its worker processes included)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("timed out")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return (
            seconds,
            usage.ru_maxrss / 1024,
            cpu,
            out.read().decode(),
            err.read().decode(),
            process.returncode,
        )


def main() -> None:
    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("dovecot is not installed (apt-get install -y dovecot-imapd)")
    console.print(f"generating {MESSAGES} messages ({BIG_MESSAGES} with 5 MB attachments)…")
    messages = generate(MESSAGES)
    total_bytes = sum(len(raw) for raw in messages)
    load_at_start = os.getloadavg()[0]
    server = start_dovecot(binary)
    try:
        user, password = server.new_user()
        started = time.perf_counter()
        client = server.connect(user)
        try:
            for raw in messages:
                status, data = client.append("INBOX", None, None, raw)
                if status != "OK":
                    raise SystemExit(f"APPEND failed: {data}")
        finally:
            client.logout()
        load_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="hotline-bench-mail-") as folder:
            url = f"sqlite:///{Path(folder) / 'mail.db'}"
            config = Path(folder) / "config.toml"
            config.write_text(
                "\n".join(
                    [
                        "[[mail.accounts]]",
                        'name = "support"',
                        'imap_host = "127.0.0.1"',
                        f"imap_port = {server.port}",
                        'imap_security = "none"',
                        f'username = "{user}"',
                        'password_env = "HOTLINE_BENCH_MAIL_PASSWORD"',
                        'queue = "Support"',
                        'from_address = "support@example.com"',
                        "acknowledge = true",
                    ]
                )
                + "\n",
                encoding="utf-8",
            )
            env = {**os.environ, "HOTLINE_BENCH_MAIL_PASSWORD": password, "HOTLINE_OPERATOR": "bench"}
            base = [sys.executable, "-c", "from hotline.cli.main import run; run()", "--db", url]
            base += ["--config", str(config), "--now", NOW]
            *_, err, code = run_measured([*base, "db", "init"], env)
            if code != 0:
                raise SystemExit(f"db init failed: {err[-2000:]}")
            workers = os.environ.get("MAIL_WORKERS", "1")
            counts_path = Path(folder) / "statements.json"
            poll = [sys.executable, "-c", CHILD, str(counts_path), PROFILE or "", *base[3:]]
            seconds, peak_mb, cpu, out, err, code = run_measured(
                [*poll, "mail", "poll", "--once", "--json", "--workers", workers], env
            )
            if code != 0:
                raise SystemExit(f"mail poll failed ({code}): {err[-2000:]}")
            [report] = json.loads(out)
            engine = make_engine(url)
            with engine.connect() as connection:
                processed = connection.execute(text("SELECT count(*) FROM processed_message")).scalar_one()
                tickets = connection.execute(text("SELECT count(*) FROM ticket")).scalar_one()
            engine.dispose()
            statements = json.loads(counts_path.read_text(encoding="utf-8"))
            if PROFILE:
                Path(PROFILE + ".sql.json").write_text(json.dumps(statements, indent=1), encoding="utf-8")
    finally:
        server.stop()
    if processed != MESSAGES or report["failed"]:
        raise SystemExit(f"only {processed} of {MESSAGES} processed ({report})")
    rate = MESSAGES / seconds
    figures = [
        ("messages", MESSAGES, "messages", None),
        ("mailbox size", round(total_bytes / 1024 / 1024, 1), "MB", None),
        ("poll --once wall time", round(seconds, 2), "s", None),
        ("throughput", round(rate, 1), "messages/s", TARGET_RATE),
        ("peak memory (largest process)", round(peak_mb, 1), "MB", TARGET_MEMORY_MB),
        ("CPU time (poll and its worker)", round(cpu, 2), "s", None),
        ("messages per CPU second", round(MESSAGES / cpu, 1), "messages/s", None),
        ("CPU time per message", round(cpu / MESSAGES * 1000, 2), "ms", None),
        ("SQL statements per message", round(sum(statements.values()) / MESSAGES, 2), "statements", None),
        ("load average at the start", round(load_at_start, 2), "", None),
        ("load average at the end", round(os.getloadavg()[0], 2), "", None),
        ("conversion workers", int(workers), "processes", None),
        ("tickets created", tickets, "tickets", None),
        ("threaded onto tickets", report["threaded"], "messages", None),
        ("acknowledgements queued", report["acknowledged"], "messages", None),
        ("APPEND into Dovecot", round(load_seconds, 2), "s", None),
    ]
    title = f"hotline mail poll --once (SQLite, SCALE={SCALE}{', PROFILED' if PROFILE else ''})"
    table = Table(title=title, title_justify="left")
    for column in ("figure", "value", "unit", "target", "ok"):
        table.add_column(column)
    for name, value, unit, target in figures:
        ok = ""
        if target is not None:
            ok = "yes" if (value >= target if name == "throughput" else value <= target) else "NO"
        table.add_row(name, str(value), unit, "" if target is None else str(target), ok)
    console.print(table)
    with RESULTS.open("a", encoding="utf-8") as out_file:
        for name, value, unit, target in figures:
            record = {
                "benchmark": "mail_poll",
                "metric": name,
                "value": value,
                "unit": unit,
                "target": target,
                "backend": "sqlite",
                "scale": SCALE,
            }
            out_file.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
