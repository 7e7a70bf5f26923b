"""Sources and campaigns from the command line: the dialled number picks the campaign of a screen pop,
tickets take --source/--campaign, unknown values are bad usage."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.cli.invoke import hotline

CONFIG = """
sources = ["TV", "Search"]

[[campaigns]]
code = "TV-NOV"
source = "TV"
cost = 90000
dialled = ["+7 800 555-01-01"]
"""


def test_dialled_number_and_ticket_options(empty_db: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    base = ("--db", empty_db, "--config", str(config), "--operator", "boss")
    assert hotline(*base, "db", "init").exit_code == 0
    popped = hotline(*base, "call", "incoming", "+7 916 123 45 67", "--dialled", "8 800 555 01 01")
    assert popped.exit_code == 0, popped.output
    assert "campaign TV-NOV" in popped.stderr
    created = hotline(*base, "tickets", "create", "--subject", "Order", "--campaign", "TV-NOV", "--json")
    assert created.exit_code == 0, created.output
    number = json.loads(created.stdout)["number"]
    refused = hotline(*base, "tickets", "create", "--subject", "Order", "--source", "Radio")
    assert refused.exit_code == 2 and "--source: unknown source 'Radio'" in refused.stderr
    with create_engine(empty_db).connect() as connection:
        assert connection.execute(text("SELECT campaign FROM screen_pop")).scalar_one() == "TV-NOV"
        assert connection.execute(
            text("SELECT source, campaign FROM ticket WHERE number = :n"), {"n": number}
        ).one() == ("TV", "TV-NOV")
        assert connection.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 1
