"""``hotline call incoming``: a screen pop for a known operator only."""

from __future__ import annotations

from tests.cli.invoke import hotline


def test_call_incoming_needs_a_known_operator(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert (
        hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "boss").exit_code == 0
    )
    missing = hotline("--db", empty_db, "call", "incoming", "+7 916 123 45 67", "--operator", "nobody")
    assert missing.exit_code == 2
