"""What several benchmarks share: a PostgreSQL database of their own, made once and reused; a table of
figures printed and appended to the results file.

The benchmark scripts run as ``python tests/bench/bench_X.py``, so this module is importable beside them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from hotline.core.db import make_engine

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_bench_database(name: str, console: Console, *, fresh: bool = False) -> str | None:
    """The URL of database ``name`` on the test server, created if missing (dropped first if ``fresh``).

    ``None`` when the server cannot be reached; the reason is printed, loudly, on ``console``.
    """
    admin = make_engine(PG_ADMIN_URL)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if fresh:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        console.print(f"PostgreSQL NOT REACHABLE at {PG_ADMIN_URL}: {str(error).splitlines()[0]} — skipped")
        return None
    finally:
        admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def report_figures(
    console: Console,
    title: str,
    figures: list[tuple[str, float, str]],
    results: Path,
    **record: Any,
) -> None:
    """Print ``(figure, value, unit)`` rows as a table and append each to ``results`` as one JSON line
    carrying ``record`` (the benchmark's name, backend, scale…)."""
    table = Table(title=title, title_justify="left")
    for column in ("figure", "value", "unit"):
        table.add_column(column)
    for name, value, unit in figures:
        table.add_row(name, str(value), unit)
    console.print(table)
    with results.open("a", encoding="utf-8") as out_file:
        for name, value, unit in figures:
            line = {**record, "metric": name, "value": value, "unit": unit}
            out_file.write(json.dumps(line, ensure_ascii=False) + "\n")
