"""Reminders on both backends: creation, due listing, snooze (10 min, 1 h, tomorrow morning), done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.errors import InvalidInput, NotFound, PermissionDenied
from hotline.core.models import AuditEntry, Reminder
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.reminders import (
    ReminderKind,
    Snooze,
    complete_reminder,
    create_reminder,
    create_reminders,
    due_reminders,
    follow_up,
    pending_reminders,
    snooze_reminder,
)
from hotline.core.services.tickets import create_ticket
from tests.conftest import UowFactory

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def people(uow_factory: UowFactory) -> int:
    """Operators anna and boris, supervisor sveta; returns the id of client Иван Петров."""
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
        add_operator(uow, login="boris", role=Role.OPERATOR)
        add_operator(uow, login="sveta", role=Role.SUPERVISOR)
        client = create_client(
            uow, draft=ClientDraft(name="Иван Петров", owner_login="anna"), default_region="RU"
        )
        assert client.id is not None
        return client.id


def test_due_listing_follows_the_clock(uow_factory: UowFactory, clock: FixedClock, people: int) -> None:
    now = clock.now()
    with uow_factory(actor_login="anna") as uow:
        create_reminder(uow, text="Call back", due_at=now + timedelta(minutes=30), client_id=people)
        create_reminder(uow, text="Earlier", due_at=now + timedelta(minutes=5))
        create_reminder(uow, text="For boris", due_at=now, operator_login="boris")
    with uow_factory(readonly=True) as uow:
        assert [r.text for r in due_reminders(uow)] == ["For boris"]
    clock.advance(minutes=30)
    with uow_factory(readonly=True) as uow:
        assert [r.text for r in due_reminders(uow)] == ["For boris", "Earlier", "Call back"]
        mine = due_reminders(uow, operator_login="anna")
    assert [r.text for r in mine] == ["Earlier", "Call back"]
    assert mine[1].client_name == "Иван Петров"
    assert mine[1].as_dict()["client"] == {"id": people, "name": "Иван Петров"}
    assert mine[1].as_dict()["due_at"] == (now + timedelta(minutes=30)).isoformat()


def test_snooze_ten_minutes_and_an_hour(uow_factory: UowFactory, clock: FixedClock, people: int) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder_id = create_reminder(uow, text="Call back", due_at=clock.now()).id or 0
    with uow_factory(actor_login="anna") as uow:
        snoozed = snooze_reminder(uow, reminder_id=reminder_id, snooze=Snooze.TEN_MINUTES, zone=MOSCOW)
    assert snoozed.due_at == clock.now() + timedelta(minutes=10)
    with uow_factory(readonly=True) as uow:
        assert due_reminders(uow) == []
    clock.advance(minutes=10)
    with uow_factory(actor_login="anna") as uow:
        assert [r.id for r in due_reminders(uow)] == [reminder_id]
        snoozed = snooze_reminder(uow, reminder_id=reminder_id, snooze="1h", zone=MOSCOW)
    assert snoozed.due_at == clock.now() + timedelta(hours=1)
    clock.advance(minutes=59)
    with uow_factory(readonly=True) as uow:
        assert due_reminders(uow) == []
    clock.advance(minutes=1)
    with uow_factory(readonly=True) as uow:
        assert len(due_reminders(uow)) == 1


def test_snooze_to_tomorrow_morning_skips_the_weekend(uow_factory: UowFactory, people: int) -> None:
    friday_evening = FixedClock(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # 20:00 Moscow
    with uow_factory(actor_login="anna", clock_=friday_evening) as uow:
        reminder_id = create_reminder(uow, text="x", due_at=friday_evening.now()).id or 0
        snoozed = snooze_reminder(uow, reminder_id=reminder_id, snooze="tomorrow", zone=MOSCOW)
    assert snoozed.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=MOSCOW)


def test_done_leaves_the_due_list_and_is_audited(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder_id = create_reminder(uow, text="x", due_at=clock.now()).id or 0
    with uow_factory(actor_login="anna") as uow:
        done = complete_reminder(uow, reminder_id=reminder_id)
        again = complete_reminder(uow, reminder_id=reminder_id)
    assert done.status == again.status == "done"
    assert done.done_at == clock.now()
    with uow_factory(readonly=True) as uow:
        assert due_reminders(uow) == []
        actions = [
            e.action for e in uow.session.exec(select(AuditEntry).where(AuditEntry.entity == "reminder"))
        ]
    assert actions == ["reminder.create", "reminder.done"]


def test_only_the_owner_or_a_supervisor_may_change_it(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder_id = create_reminder(uow, text="x", due_at=clock.now()).id or 0
    with pytest.raises(PermissionDenied), uow_factory(actor_login="boris") as uow:
        complete_reminder(uow, reminder_id=reminder_id)
    with uow_factory(actor_login="sveta") as uow:
        snooze_reminder(uow, reminder_id=reminder_id, snooze="1h", zone=MOSCOW)


def test_a_refused_change_of_anothers_reminder_is_audited(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder_id = create_reminder(uow, text="x", due_at=clock.now()).id or 0
    with (
        pytest.raises(PermissionDenied, match="belongs to another operator"),
        uow_factory(actor_login="boris") as uow,
    ):
        snooze_reminder(uow, reminder_id=reminder_id, snooze="1h", zone=MOSCOW)
    with uow_factory(readonly=True) as uow:
        refused = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "refused:reminder.write")
        ).all()
        reminder = uow.session.get(Reminder, reminder_id)
    assert [(entry.actor, entry.entity, entry.entity_id) for entry in refused] == [
        ("boris", "reminder", str(reminder_id))
    ]
    assert reminder is not None and reminder.due_at == clock.now()


def test_from_a_ticket_the_client_comes_along(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    with uow_factory() as uow:
        ensure_queue(uow, name="Support")
    with uow_factory(actor_login="anna") as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support", client_id=people)
        reminder = create_reminder(uow, text="Check the printer", due_at=clock.now(), ticket_id=ticket.id)
        number = ticket.number
    assert reminder.client_id == people
    with uow_factory(readonly=True) as uow:
        view = due_reminders(uow)[0]
    assert view.ticket_number == number
    assert view.kind == ReminderKind.MANUAL


def test_follow_up_and_several_operators(uow_factory: UowFactory, clock: FixedClock, people: int) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder = follow_up(uow, client_id=people, due_at=clock.now())
        both = create_reminders(uow, text="Team call", due_at=clock.now(), operator_logins=["anna", "boris"])
    assert reminder.kind == "follow_up"
    assert reminder.text == "Follow up: Иван Петров"
    assert len({r.operator_id for r in both}) == 2
    with uow_factory(actor_login="boris", readonly=True) as uow:
        assert [r.text for r in pending_reminders(uow)] == ["Team call"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"text": "  \x1b  "}, InvalidInput),
        ({"text": "x" * 1001}, InvalidInput),
        ({"due_at": datetime(2026, 11, 23, 10, 0)}, InvalidInput),  # naive on purpose
        ({"operator_login": "nobody"}, NotFound),
        ({"client_id": 999_999}, NotFound),
        ({"ticket_id": 999_999}, NotFound),
    ],
)
def test_bad_reminders_are_refused(
    uow_factory: UowFactory,
    clock: FixedClock,
    people: int,
    changes: dict[str, object],
    error: type[Exception],
) -> None:
    arguments: dict[str, object] = {"text": "x", "due_at": clock.now(), **changes}
    with pytest.raises(error), uow_factory(actor_login="anna") as uow:
        create_reminder(uow, **arguments)  # type: ignore[arg-type]


def test_the_system_must_say_whose_reminder(uow_factory: UowFactory, clock: FixedClock, people: int) -> None:
    with pytest.raises(InvalidInput), uow_factory() as uow:
        create_reminder(uow, text="x", due_at=clock.now())


def test_control_characters_are_removed_from_the_text(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    with uow_factory(actor_login="anna") as uow:
        reminder = create_reminder(uow, text="Call\x1b[31m back\x07", due_at=clock.now())
    assert reminder.text == "Call [31m back"
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Reminder)).one().text == "Call [31m back"


def test_a_clients_reminders_are_everyones(uow_factory: UowFactory, clock: FixedClock, people: int) -> None:
    with uow_factory(actor_login="anna") as uow:
        create_reminder(uow, text="Anna's", due_at=clock.now(), client_id=people)
        create_reminder(uow, text="Boris's", due_at=clock.now(), client_id=people, operator_login="boris")
        create_reminder(uow, text="Not about them", due_at=clock.now())
    with uow_factory(readonly=True) as uow:
        assert [r.text for r in pending_reminders(uow, client_id=people)] == ["Anna's", "Boris's"]


def test_a_deactivated_operator_marking_a_done_reminder_done_is_refused_and_audited(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    """Done twice changes nothing, so it asked no one: a console left open after its operator was
    deactivated marked her (already done) reminder done, unrefused and unaudited."""
    from hotline.core.services.operators import set_operator_active

    with uow_factory(actor_login="anna") as uow:
        reminder_id = create_reminder(uow, text="x", due_at=clock.now()).id or 0
        complete_reminder(uow, reminder_id=reminder_id)
    with uow_factory() as uow:
        set_operator_active(uow, login="anna", active=False)
    with pytest.raises(PermissionDenied, match="deactivated"), uow_factory(actor_login="anna") as uow:
        complete_reminder(uow, reminder_id=reminder_id)
    with uow_factory(readonly=True) as uow:
        refused = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "refused:reminder.write")
        ).all()
    assert [(entry.actor, entry.entity, entry.entity_id) for entry in refused] == [
        ("anna", "reminder", str(reminder_id))
    ]


def test_a_deactivated_operators_reminder_is_refused_before_its_text_is_checked(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    """A blank text was "bad input" first: the attempt was turned away unaudited. Now the refusal."""
    from hotline.core.services.operators import set_operator_active

    with uow_factory() as uow:
        set_operator_active(uow, login="anna", active=False)
    with pytest.raises(PermissionDenied, match="deactivated"), uow_factory(actor_login="anna") as uow:
        create_reminder(uow, text="  ", due_at=clock.now())
    with uow_factory(readonly=True) as uow:
        refused = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "refused:reminder.write")
        ).all()
    assert [(entry.actor, entry.entity) for entry in refused] == [("anna", "reminder")]


def test_due_reminders_are_each_operators_own(
    uow_factory: UowFactory, clock: FixedClock, people: int
) -> None:
    """An operator's due list is hers, whatever she asks; another operator's is refused and audited."""
    with uow_factory(actor_login="anna") as uow:
        create_reminder(uow, text="Anna's", due_at=clock.now())
        create_reminder(uow, text="Boris's", due_at=clock.now(), operator_login="boris")
    with uow_factory("anna", readonly=True) as uow:
        assert [r.text for r in due_reminders(uow)] == ["Anna's"]
        assert [r.text for r in due_reminders(uow, operator_login="anna")] == ["Anna's"]
    with pytest.raises(PermissionDenied, match="'boris'"), uow_factory("anna", readonly=True) as uow:
        due_reminders(uow, operator_login="boris")
    with uow_factory("sveta", readonly=True) as uow:
        assert [r.text for r in due_reminders(uow)] == ["Anna's", "Boris's"]
        assert [r.text for r in due_reminders(uow, operator_login="boris")] == ["Boris's"]
    with uow_factory(readonly=True) as uow:
        refused = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "refused:read")).all()
    assert [(entry.actor, entry.entity) for entry in refused] == [("anna", "reminder")]


@pytest.mark.parametrize("year", [3500, 1900])
def test_a_reminder_stays_within_the_years(uow_factory: UowFactory, people: int, year: int) -> None:
    """The console's follow-up (and its own "when" parser) saved a reminder due in 3500: whoever
    computes the time, core keeps it within 1970–2999, and nothing is written."""
    with uow_factory(actor_login="anna") as uow, pytest.raises(InvalidInput, match="outside the years"):
        follow_up(uow, client_id=people, due_at=datetime(year, 1, 1, 9, 0, tzinfo=UTC))
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Reminder)).all() == []
