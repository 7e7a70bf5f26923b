"""``hotline call incoming``: a screen pop for a known operator only; ``--wait`` says whether a console
took it."""

from __future__ import annotations

import time

from tests.cli.invoke import hotline


def test_call_incoming_needs_a_known_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert (
        hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "boss").exit_code == 0
    )
    missing = hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "nobody")
    assert missing.exit_code == 2


def test_a_screen_pop_waits_out_a_busy_database_and_is_not_lost(empty_db: str, monkeypatch) -> None:
    import sqlite3
    import threading
    import time

    from hotline.core import db

    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)  # each try gives up quickly; the retries wait
    path = empty_db.removeprefix("sqlite:///")
    locked = threading.Event()

    def hold_the_write_lock() -> None:
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(1.5)  # a long import's write
        writer.execute("COMMIT")
        writer.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    assert locked.wait(5)
    started = time.monotonic()
    result = hotline("--db", empty_db, "--operator", "boss", "call", "incoming", "+7 916 123 45 67")
    holder.join(5)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.0  # it did wait for the lock
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM screen_pop").fetchone() == (1,)
    check.close()


def test_call_incoming_wait_fails_when_no_console_takes_the_call(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    started = time.monotonic()
    result = hotline(
        "--db", empty_db, "call", "incoming", "89161234567", "--operator", "boss", "--wait", "0.3"
    )
    assert result.exit_code == 1
    assert "no console of boss took the call within 0.3 s" in result.output
    assert time.monotonic() - started < 10
    assert (
        hotline("--db", empty_db, "call", "incoming", "1", "--operator", "boss", "--wait", "-1").exit_code
        == 2
    )
