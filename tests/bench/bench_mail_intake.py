"""The mail intake alone: the benchmark mailbox's messages, converted first, taken in group by group.

``bench_mail.py`` times the whole ``mail poll --once`` (IMAP, conversion worker, database), whose wall
time on a shared machine says more about the load than the code. This one times only what that poll's
critical path is, the intake thread (``GroupIntake.take_in`` over groups of the default batch size, on a
fresh SQLite database), in CPU seconds of that thread, and counts its SQL statements: figures to compare
changes of the intake by. ``SCALE`` multiplies the 2,000 messages, as for ``bench_mail.py``.

    SCALE=0.5 .venv/bin/python tests/bench/bench_mail_intake.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mailbox"))

from bench_mail import MESSAGES, NOW, generate
from benchlib import report_figures

from hotline.core.clock import FixedClock
from hotline.core.db import make_engine
from hotline.core.services.mail.incoming import MailboxRef
from hotline.core.settings import MailAccount, MailSettings, Settings
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.convert import parse_message
from hotline.mailbox.group_intake import GroupIntake
from hotline.mailbox.incoming import convert_for_intake

SCALE = float(os.environ.get("SCALE", "1"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
console = Console(highlight=False)


def main() -> None:
    settings = Settings(
        mail=MailSettings(
            accounts=[
                MailAccount(
                    name="support",
                    imap_host="127.0.0.1",
                    imap_port=143,
                    username="bench",
                    password_env="HOTLINE_BENCH_UNUSED",
                    queue="Support",
                    from_address="support@example.com",
                    acknowledge=True,
                )
            ]
        )
    )
    account = settings.mail.accounts[0]
    batch = settings.mail.batch_size
    console.print(f"converting {MESSAGES} messages…")
    converted = [
        (uid, raw, convert_for_intake(raw, settings.mail.max_message_bytes, parse_message))
        for uid, raw in enumerate(generate(MESSAGES), start=1)
    ]
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-intake-") as folder:
        url = f"sqlite:///{Path(folder) / 'mail.db'}"
        init = [sys.executable, "-c", "from hotline.cli.main import run; run()", "--db", url, "db", "init"]
        subprocess.run(init, check=True, capture_output=True, timeout=300)
        engine = make_engine(url)
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        intake = GroupIntake(
            engine=engine,
            clock=FixedClock(datetime.fromisoformat(NOW)),
            sla=SlaSetup.from_settings(settings),
            mailbox=MailboxRef.from_settings(account, settings),
        )
        event.listen(Engine, "before_cursor_execute", count)
        cpu_started, wall_started = time.thread_time(), time.perf_counter()
        for start in range(0, len(converted), batch):
            intake.take_in(1, converted[start : start + batch])
        cpu, wall = time.thread_time() - cpu_started, time.perf_counter() - wall_started
        event.remove(Engine, "before_cursor_execute", count)
        with engine.connect() as connection:
            processed = connection.execute(text("SELECT count(*) FROM processed_message")).scalar_one()
        engine.dispose()
    if processed != MESSAGES:
        raise SystemExit(f"only {processed} of {MESSAGES} taken in")
    figures = [
        ("messages", MESSAGES, "messages"),
        ("group size", batch, "messages"),
        ("intake CPU per message", round(cpu / MESSAGES * 1000, 2), "ms"),
        ("intake messages per CPU second", round(MESSAGES / cpu, 1), "messages/s"),
        ("intake wall time per message", round(wall / MESSAGES * 1000, 2), "ms"),
        ("SQL statements per message", round(statements / MESSAGES, 2), "statements"),
        ("load average at the start", round(load_at_start, 2), ""),
        ("load average at the end", round(os.getloadavg()[0], 2), ""),
    ]
    report_figures(
        console,
        f"mail intake alone (SQLite, SCALE={SCALE})",
        figures,
        RESULTS,
        benchmark="mail_intake",
        backend="sqlite",
        scale=SCALE,
    )


if __name__ == "__main__":
    main()
