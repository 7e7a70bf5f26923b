"""The wallboard's figures on SQLite and PostgreSQL, against a morning counted by hand (the clock is
Monday 23 November 2026, 10:00 in Moscow)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from hotline.core.errors import PermissionDenied
from hotline.core.models import ScreenPop, Ticket
from hotline.core.models.enums import Direction, Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from hotline.core.services.tickets import create_ticket
from hotline.core.services.wallboard import read_wallboard

MOSCOW = ZoneInfo("Europe/Moscow")


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


def test_queues_operators_and_calls_per_hour(engine, uow_factory) -> None:
    with uow_factory() as uow:
        for login, role in [("anna", Role.OPERATOR), ("boris", Role.OPERATOR), ("carl", Role.OPERATOR),
                            ("sup", Role.SUPERVISOR)]:  # fmt: skip
            add_operator(uow, login=login, role=role, display_name=login.title())
        client_id = create_client(uow, draft=ClientDraft(name="Client"), default_region="RU").id
        for queue, status, created, first_due, first_at, resolution_due, resolved in [
            ("Support", "new", msk(23, 9), msk(23, 10, 30), None, None, None),  # due within the hour
            ("Support", "open", msk(22, 15), None, None, msk(23, 12), None),  # due later; the oldest
            ("Support", "pending", msk(23, 8), None, None, msk(23, 10, 45), None),  # pending: due soon, not waiting
            ("Support", "resolved", msk(23, 8, 30), None, None, msk(23, 9), msk(23, 9, 30)),  # today, breached
            ("Support", "open", msk(23, 7), msk(23, 9), msk(23, 8), None, None),  # today, met
            ("Sales", "open", msk(20, 9), msk(21, 9), None, None, None),  # overdue already: not "within the hour"
        ]:  # fmt: skip
            ticket = create_ticket(uow, subject="t", queue=queue)
            uow.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
                status=status, created_at=created, first_response_due_at=first_due, first_response_at=first_at,
                resolution_due_at=resolution_due, resolved_at=resolved))  # fmt: skip
        create_ticket(uow, subject="empty queue", queue="Billing")
        uow.session.execute(update(Ticket).where(Ticket.subject == "empty queue").values(status="closed"))
        uow.session.add(ScreenPop(operator_login="anna", number="+7 900", requested_at=msk(23, 9, 55)))
        uow.session.add(ScreenPop(operator_login="boris", number="+7 900", requested_at=msk(23, 8)))
    for login, calls in {"anna": [(msk(23, 9, 10), 120)], "boris": [(msk(23, 9, 20), 300), (msk(23, 8, 40), 60)],
                         "carl": [(msk(22, 17), 60)]}.items():  # fmt: skip
        with uow_factory(actor_login=login) as uow:
            for started, seconds in calls:
                log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=seconds, outcome="ok",
                         started_at=started)  # fmt: skip
    with uow_factory(actor_login="sup", readonly=True) as uow:
        board = read_wallboard(uow, zone=MOSCOW)
    assert [(q.name, q.waiting, q.oldest_waiting_since, q.sla_today, q.breaching_within_hour) for q in board.queues] == [
        ("Billing", 0, None, None, 0),
        ("Sales", 1, msk(20, 9), None, 0),
        ("Support", 3, msk(22, 15), 75.0, 2),  # of 4 created today with a target, 1 breached
    ]  # fmt: skip
    assert [(o.login, o.state, o.since) for o in board.operators] == [
        ("anna", "on a call", msk(23, 9, 55)),
        ("boris", "idle", msk(23, 9, 25)),
        ("carl", "no calls today", None),
        ("sup", "no calls today", None),
    ]
    assert board.calls_per_hour == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]
    with uow_factory(actor_login="anna", readonly=True) as uow, pytest.raises(PermissionDenied):
        read_wallboard(uow, zone=MOSCOW)


def test_operators_on_shift_from_the_roster(engine, uow_factory) -> None:
    """On shift first with today's hours; off shift only while on a call; the rest not on the floor."""
    from hotline.core.services.shifts import add_exception, set_shifts

    with uow_factory() as uow:
        for login in ("anna", "boris", "carl", "dina"):
            add_operator(uow, login=login, role=Role.OPERATOR, display_name=login.title())
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        uow.session.add(ScreenPop(operator_login="carl", number="+7 900", requested_at=msk(23, 9, 50)))
    with uow_factory(actor_login="sup") as uow:
        set_shifts(uow, login="anna", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        set_shifts(uow, login="boris", days="mon-fri", hours="08:00-12:00", timezone="Europe/Moscow")
        set_shifts(uow, login="carl", days="mon-fri", hours="14:00-22:00", timezone="Europe/Moscow")
        set_shifts(uow, login="dina", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        add_exception(
            uow, login="dina", kind="vacation", starts_on=msk(20, 12).date(), ends_on=msk(27, 12).date()
        )
    with uow_factory(actor_login="sup", readonly=True) as uow:
        board = read_wallboard(uow, zone=MOSCOW)
    assert [(o.login, o.on_shift, o.shift, o.state) for o in board.operators] == [
        ("anna", True, "09:00-18:00", "no calls today"),
        ("boris", True, "08:00-12:00", "no calls today"),
        ("carl", False, "14:00-22:00", "on a call"),  # a call before the shift: shown while it lasts
    ]  # dina on vacation and sup without a shift: not on the floor


def test_each_operator_is_idle_since_the_end_of_their_own_latest_call(engine, uow_factory) -> None:
    """Read by two short queries (the latest start per operator, then those calls): an operator's earlier
    call that starts when another's latest does is not taken for theirs; a call that starts at this very
    instant counts in this hour, one after the clock does not count at all."""
    with uow_factory() as uow:
        for login in ("anna", "boris"):
            add_operator(uow, login=login, role=Role.OPERATOR, display_name=login.title())
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        client_id = create_client(uow, draft=ClientDraft(name="Client"), default_region="RU").id
    for login, calls in {"anna": [(msk(23, 9, 0), 600), (msk(23, 9, 30), 60)],
                         "boris": [(msk(23, 9, 30), 120), (msk(23, 8, 0), 30), (msk(23, 10, 0), 5),
                                   (msk(23, 10, 5), 5)]}.items():  # fmt: skip
        with uow_factory(actor_login=login) as uow:
            for started, seconds in calls:
                log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=seconds, outcome="ok",
                         started_at=started)  # fmt: skip
    with uow_factory(actor_login="sup", readonly=True) as uow:
        board = read_wallboard(uow, zone=MOSCOW)
    assert [(o.login, o.state, o.since) for o in board.operators] == [
        ("anna", "idle", msk(23, 9, 31)),
        ("boris", "idle", msk(23, 10, 0)),  # the call of 10:05 is after the clock: its end is capped at now
        ("sup", "no calls today", None),
    ]
    assert board.calls_per_hour == [0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 1]


def test_every_operator_on_the_floor_is_listed_however_many(engine, uow_factory) -> None:
    """Only the first 40 logins were read: with more operators, one on a call late in the alphabet was
    missing from the wallboard without a word."""
    logins = [f"op{index:02d}" for index in range(45)]
    with uow_factory() as uow:
        for login in logins:
            add_operator(uow, login=login, role=Role.OPERATOR)
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        uow.session.add(ScreenPop(operator_login="op44", number="+7 900", requested_at=msk(23, 9, 50)))
    with uow_factory(actor_login="sup", readonly=True) as uow:
        board = read_wallboard(uow, zone=MOSCOW)
    assert [o.login for o in board.operators] == [*logins, "sup"]
    assert [(o.login, o.state) for o in board.operators if o.state == "on a call"] == [("op44", "on a call")]
