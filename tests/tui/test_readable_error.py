"""Worker failures become one readable line; the place of a bad input is named once."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from hotline.core.db import classify_database_error
from hotline.core.errors import InvalidInput, NotFound
from hotline.tui.messages import readable_error


def test_a_hotline_error_names_its_place_once() -> None:
    assert (
        readable_error(InvalidInput("not a phone number: '12'", where="phone"))
        == "phone: not a phone number: '12'"
    )
    assert readable_error(NotFound("no ticket #9")) == "no ticket #9"


def test_any_other_error_is_its_first_line() -> None:
    assert readable_error(RuntimeError("boom\ntraceback lines")) == "RuntimeError: boom"


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("no such table: search_phone_owner"),
        sqlite3.IntegrityError("UNIQUE constraint failed: client.id"),
        psycopg.OperationalError("connection refused"),
        psycopg.errors.UndefinedTable('relation "search_phone_owner" does not exist'),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_raw_driver_error_reads_as_the_cli_reads_it(error: BaseException) -> None:
    """One classifier for every face: the console's line is the CLI's ``hotline: error: …`` text."""
    classified = classify_database_error(error)
    assert classified is not None
    assert readable_error(error) == str(classified)
    assert readable_error(error).startswith(("database unavailable: ", "database error: "))
