"""Reports on SQLite and PostgreSQL, checked against figures counted by hand from the data below."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.models import Ticket
from hotline.core.models.enums import Direction, InteractionKind, Priority, Role
from hotline.core.reports import Period, parse_day, run_report
from hotline.core.reports.aging import bucket_of
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call, log_interaction
from hotline.core.services.operators import add_operator
from hotline.core.services.tickets import create_ticket

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the conftest clock


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


@pytest.fixture
def data(uow_factory) -> None:
    with uow_factory() as uow:
        for login, role in [("anna", Role.OPERATOR), ("boris", Role.OPERATOR), ("sup", Role.SUPERVISOR),
                            ("root", Role.ADMIN)]:  # fmt: skip
            add_operator(uow, login=login, role=role, display_name=login.title())
        client_id = create_client(uow, draft=ClientDraft(name="Клиент"), default_region="RU").id
    calls = {
        "anna": [(msk(20, 9, 10), Direction.IN, 120), (msk(20, 9, 50), Direction.OUT, 60),
                 (msk(21, 14, 5), Direction.IN, None), (msk(10, 12), Direction.IN, 999)],
        "boris": [(msk(20, 9, 30), Direction.IN, 300), (msk(15, 1), Direction.OUT, 100),
                  (msk(22, 0, 30), Direction.IN, 50)],
    }  # fmt: skip
    for login, items in calls.items():
        with uow_factory(actor_login=login) as uow:
            for started, direction, seconds in items:
                log_call(uow, client_id=client_id, direction=direction, duration_seconds=seconds, outcome="ok",
                         started_at=started)  # fmt: skip
            log_interaction(uow, client_id=client_id, kind=InteractionKind.NOTE, notes="not a call",
                            started_at=msk(20, 9, 15))  # fmt: skip
    hours = timedelta(hours=1)
    tickets = [
        # queue, priority, status, age, first_due, first_at, resolution_due, resolved_at (relative to NOW)
        ("Support", "normal", "open", 0.5 * hours, None, None, None, None),
        ("Support", "normal", "new", 2 * hours, None, None, None, None),
        ("Support", "normal", "pending", 120 * hours, None, None, None, None),
        ("Support", "normal", "resolved", 240 * hours, None, None, None, None),
        ("Support", "normal", "open", 1 * hours, None, None, None, None),
        ("Sales", "normal", "open", 30 * hours, None, None, None, None),
        ("Sales", "normal", "open", 192 * hours, None, None, None, None),
        ("Billing", "high", "resolved", 6 * hours, -2 * hours, -3 * hours, -1 * hours, None),
        ("Billing", "high", "resolved", 6 * hours, -5 * hours, -4 * hours, 5 * hours, -0.5 * hours),
        ("Billing", "normal", "closed", 72 * hours, None, None, -24 * hours, -48 * hours),
    ]
    with uow_factory(actor_login="root") as uow:
        for queue, priority, status, age, first_due, first_at, resolution_due, resolved_at in tickets:
            ticket = create_ticket(uow, subject=f"{queue} {age}", queue=queue, priority=Priority(priority))
            at = {key: (NOW + value if value is not None else None) for key, value in
                  [("first_response_due_at", first_due), ("first_response_at", first_at),
                   ("resolution_due_at", resolution_due), ("resolved_at", resolved_at)]}  # fmt: skip
            uow.session.execute(
                update(Ticket).where(Ticket.id == ticket.id).values(status=status, created_at=NOW - age, **at)
            )


def report(uow_factory, name: str, first: date | None = None, last: date | None = None, login: str = "sup"):
    with uow_factory(actor_login=login, readonly=True) as uow:
        return run_report(uow, name=name, period=Period(first, last, MOSCOW))


def test_operators_report(engine, uow_factory, data) -> None:
    result = report(uow_factory, "operators", date(2026, 11, 15), date(2026, 11, 21))
    assert result.records() == [
        {"operator": "anna", "name": "Anna", "calls": 3, "inbound": 2, "outbound": 1, "talk_seconds": 180,
         "average_handle_seconds": 90.0},
        {"operator": "boris", "name": "Boris", "calls": 2, "inbound": 1, "outbound": 1, "talk_seconds": 400,
         "average_handle_seconds": 200.0},
    ]  # fmt: skip
    everything = report(uow_factory, "operators")
    assert [(row[0], row[2]) for row in everything.rows] == [("anna", 4), ("boris", 3)]


def test_calls_report_buckets_by_local_day_and_hour(engine, uow_factory, data) -> None:
    result = report(uow_factory, "calls", date(2026, 11, 15), date(2026, 11, 21))
    assert result.rows == [
        ["2026-11-15", 1, 1, 0, 1, 100.0],
        ["2026-11-20", 9, 3, 2, 1, 160.0],
        ["2026-11-21", 14, 1, 1, 0, None],
    ]


def test_aging_report(engine, uow_factory, data) -> None:
    result = report(uow_factory, "aging")
    assert result.columns == ["queue", "<1h", "1-4h", "4-24h", "1-3d", "3-7d", ">7d", "total"]
    assert result.rows == [
        ["Sales", 0, 0, 0, 1, 0, 1, 2],
        ["Support", 1, 2, 0, 0, 1, 0, 4],
        ["(all queues)", 1, 2, 0, 1, 1, 1, 6],
    ]


def test_sla_report(engine, uow_factory, data) -> None:
    result = report(uow_factory, "sla")
    assert result.rows == [
        ["Billing", "high", 2, 2, 1, 1, 100.0],
        ["Billing", "normal", 1, 1, 0, 0, 0.0],
        ["Sales", "normal", 2, 0, 0, 0, None],
        ["Support", "normal", 5, 0, 0, 0, None],
    ]
    # Created from 22 Nov, Moscow time (21 Nov 21:00 UTC): the Sales ticket of 30 hours ago is just inside.
    recent = report(uow_factory, "sla", date(2026, 11, 22), date(2026, 11, 23))
    assert [(row[0], row[1], row[2]) for row in recent.rows] == [
        ("Billing", "high", 2), ("Sales", "normal", 1), ("Support", "normal", 3),
    ]  # fmt: skip


def test_reports_need_a_supervisor_and_valid_periods(engine, uow_factory, data) -> None:
    with pytest.raises(PermissionDenied):
        report(uow_factory, "calls", login="anna")
    assert report(uow_factory, "calls", login="root").name == "calls"
    with pytest.raises(InvalidInput, match="unknown report"):
        report(uow_factory, "weather")
    with pytest.raises(InvalidInput, match="is after"):
        Period(date(2026, 11, 2), date(2026, 11, 1), MOSCOW)
    with pytest.raises(InvalidInput, match="not a date"):
        parse_day("23.11.2026", where="--from")


def test_age_buckets_include_their_lower_bound() -> None:
    assert bucket_of(timedelta(0)) == "<1h"
    assert bucket_of(timedelta(hours=1)) == "1-4h"
    assert bucket_of(timedelta(days=7)) == ">7d"
    assert bucket_of(timedelta(days=6, hours=23)) == "3-7d"
