"""The poll report counts each intake outcome in its own field; the poller reads database failures as
every face does (``classify_database_error``)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from hotline.core.errors import DatabaseFailure, Unavailable
from hotline.core.services.mail.intake import IntakeOutcome
from hotline.mailbox.group_intake import database_errors, unreachable
from hotline.mailbox.poll_report import PollReport

COUNTS = ("created", "threaded", "duplicates", "bounces", "failed")


@pytest.mark.parametrize("outcome", list(IntakeOutcome))
def test_every_outcome_is_counted_once_in_its_own_field(outcome: IntakeOutcome) -> None:
    report = PollReport(account="support")
    report.count(outcome)
    counted = {name: getattr(report, name) for name in COUNTS}
    assert sum(counted.values()) == 1
    assert counted[{"duplicate": "duplicates", "bounced": "bounces"}.get(outcome.value, outcome.value)] == 1
    assert report.acknowledged == 0


def test_acknowledged_messages_are_counted_beside_their_outcome() -> None:
    report = PollReport(account="support")
    report.count(IntakeOutcome.CREATED, acknowledged=True)
    report.count(IntakeOutcome.CREATED)
    report.count(IntakeOutcome.THREADED)
    assert (report.created, report.threaded, report.acknowledged) == (2, 1, 1)


def test_the_report_keeps_its_json_keys() -> None:
    assert list(PollReport(account="support").as_dict()) == [
        "account",
        "new",
        "created",
        "threaded",
        "duplicates",
        "bounces",
        "failed",
        "acknowledged",
        "uidvalidity_changed",
        "error",
    ]


@pytest.mark.parametrize(
    ("error", "expected", "is_unreachable"),
    [
        (sqlite3.OperationalError("database is locked"), Unavailable, True),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), Unavailable, True),
        (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: x.y")), DatabaseFailure, False),
    ],
)
def test_database_failures_become_the_errors_every_face_understands(
    error: Exception, expected: type[Exception], is_unreachable: bool
) -> None:
    with pytest.raises(expected) as raised, database_errors():
        raise error
    assert str(raised.value).startswith("database ")
    assert unreachable(error) is is_unreachable


def test_other_errors_pass_through_unchanged() -> None:
    with pytest.raises(ValueError, match="not the database"), database_errors():
        raise ValueError("not the database")
    assert not unreachable(ValueError("not the database"))
