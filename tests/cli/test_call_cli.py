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
    blank = hotline(
        "--db", empty_db, "--operator", "boss", "call", "incoming", "+7 916 123 45 67", "--operator", ""
    )
    assert blank.exit_code == 2, blank.output  # not a pop for boss, the global --operator
    assert "unknown operator ''" in blank.output


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


def test_a_ring_proves_its_operator_without_losing_a_try_to_another_writer(empty_db, monkeypatch) -> None:
    """The ring's ``--operator`` is recorded (an audit entry) before the pop. Written from the read
    transaction that checked the operator, SQLite refused that write at once, without waiting, whenever
    another process held the write lock or had committed since the read began (a lock upgrade: no busy
    wait), so a ring during an import's short index transactions lost try after try (seconds). Here
    another process holds the lock, with a write, while the ring checks its operator and commits it when
    the narrowing is written: that write waits for the lock, and no try of the ring is refused."""
    import sqlite3
    import threading

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from hotline.core import db

    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    path = empty_db.removeprefix("sqlite:///")
    refused: list[str] = []
    real_is_busy = db.is_database_busy

    def noting_busy(error: BaseException) -> bool:
        refused.append(db.database_error_reason(error))
        return real_is_busy(error)

    monkeypatch.setattr(db, "is_database_busy", noting_busy)
    narrowing = threading.Event()

    def before(_conn, _cursor, statement: str, parameters, _context, _many) -> None:
        if statement.startswith("INSERT INTO audit_entry") and "identity.narrow" in repr(parameters):
            narrowing.set()

    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO counter (name, value) VALUES ('another-writer', 1)")
    event.listen(Engine, "before_cursor_execute", before)
    results = []
    ring = threading.Thread(
        target=lambda: results.append(
            hotline("--db", empty_db, "--operator", "boss", "call", "incoming", "+7 916 123 45 67")
        )
    )
    try:
        ring.start()
        assert narrowing.wait(30), "the ring reached the narrowing's audit entry"
        writer.execute("COMMIT")
        ring.join(60)
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        writer.close()
    [result] = results
    assert result.exit_code == 0, result.output
    assert refused == [], "no try of the ring was refused for a busy database"
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM screen_pop").fetchone() == (1,)
    narrowed = check.execute("SELECT count(*) FROM audit_entry WHERE action = 'identity.narrow'").fetchone()
    assert narrowed == (1,)
    check.close()


def test_call_incoming_wait_that_is_not_a_number_of_seconds_says_so(empty_db: str) -> None:
    """``--wait nan`` (and inf) was refused as "Input should be less than or equal to 3600"."""
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    for value in ("nan", "inf", "-1", "3601"):
        refused = hotline("--db", empty_db, "call", "incoming", "1", "--operator", "boss", "--wait", value)
        assert refused.exit_code == 2, refused.output
        assert f"{value} is not a number of seconds from 0 to 3600" in refused.output, refused.output
