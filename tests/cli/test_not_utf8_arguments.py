"""A byte that is not UTF-8 in an argument (a name typed in a koi8-r terminal, a file name from another
system) reaches Python as a lone surrogate, which no database takes: wherever a command sends one to the
database unchecked, it is one line and exit 2, never a UnicodeEncodeError and its traceback."""

from __future__ import annotations

import pytest

from tests.cli.invoke import hotline


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "list", "--actor", "\udcff"),
        ("report", "aging", "--operator", "\udcff"),
        ("reminders", "add", "Call back", "--at", "tomorrow", "--for", "\udcff"),
    ],
    ids=["audit-actor", "report-operator", "reminder-for"],
)
def test_a_value_that_is_not_utf8_is_exit_2_wherever_it_goes(
    database_url: str, args: tuple[str, ...]
) -> None:
    assert hotline("--db", database_url, "db", "init").exit_code == 0
    result = hotline("--db", database_url, *args)
    assert result.exit_code == 2, result.output
    assert "not UTF-8 text" in result.output
    assert "'\\udcff'" in result.output
