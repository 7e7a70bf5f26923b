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
