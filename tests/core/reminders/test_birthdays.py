"""Birthdays of contacts become reminders for the client's owner on the day: year ends, 29 February."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.models import Operator, Reminder
from hotline.core.models.enums import ClientKind, Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from hotline.core.services.reminders import birthdays_on, create_birthday_reminders, due_reminders
from tests.conftest import UowFactory

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow(*args: int) -> FixedClock:
    return FixedClock(datetime(*args, tzinfo=MOSCOW))  # type: ignore[misc]


@pytest.fixture
def contacts(uow_factory: UowFactory) -> dict[str, int]:
    """Clients with birthdays; returns their ids by name."""
    ids: dict[str, int] = {}
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
        add_operator(uow, login="boris", role=Role.OPERATOR)
        org = create_client(
            uow,
            draft=ClientDraft(kind=ClientKind.ORGANISATION, name="ООО Ромашка", owner_login="boris"),
            default_region="RU",
        )
        drafts = {
            "Nov23": ClientDraft(name="Анна Иванова", birthday=date(1990, 11, 23), owner_login="anna"),
            "Jan1": ClientDraft(name="John New", birthday=date(1985, 1, 1), owner_login="anna"),
            "Dec31": ClientDraft(name="Eve Last", birthday=date(1970, 12, 31), owner_login="anna"),
            "Feb29": ClientDraft(name="Leap Person", birthday=date(2000, 2, 29), owner_login="anna"),
            "Feb28": ClientDraft(name="Almost Leap", birthday=date(2001, 2, 28), owner_login="anna"),
            "OrgContact": ClientDraft(
                name="Пётр Контакт", birthday=date(1980, 11, 23), organisation_id=org.id
            ),
            "Nobody": ClientDraft(name="No Owner", birthday=date(1980, 11, 23)),
        }
        for key, draft in drafts.items():
            ids[key] = create_client(uow, draft=draft, default_region="RU").id or 0
    return ids


def birthday_rows(uow_factory: UowFactory) -> list[tuple[int | None, str, datetime, str | None]]:
    with uow_factory(readonly=True) as uow:
        logins = dict(uow.session.exec(select(Operator.id, Operator.login)).all())
        rows = uow.session.exec(select(Reminder).order_by(Reminder.client_id, Reminder.due_at)).all()
        return [(r.client_id, logins[r.operator_id], r.due_at, r.dedupe_key) for r in rows]


def test_on_the_day_for_the_owner_once(uow_factory: UowFactory, contacts: dict[str, int]) -> None:
    clock = moscow(2026, 11, 23, 8, 0)
    for _ in range(2):
        with uow_factory(clock_=clock) as uow:
            create_birthday_reminders(uow, zone=MOSCOW)
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=MOSCOW)
    assert birthday_rows(uow_factory) == [
        (contacts["Nov23"], "anna", nine, f"birthday:{contacts['Nov23']}:2026"),
        (contacts["OrgContact"], "boris", nine, f"birthday:{contacts['OrgContact']}:2026"),
    ]
    with uow_factory(readonly=True, clock_=clock) as uow:
        assert due_reminders(uow) == []
    clock.advance(hours=1)
    with uow_factory(readonly=True, clock_=clock) as uow:
        due = due_reminders(uow, operator_login="anna")
    assert [r.text for r in due] == ["Birthday: Анна Иванова (36)"]
    assert due[0].kind == "birthday"


def test_the_local_date_counts_across_the_year_end(uow_factory: UowFactory, contacts: dict[str, int]) -> None:
    # 31 December 21:30 UTC is already 1 January in Moscow.
    clock = FixedClock(datetime(2026, 12, 31, 21, 30, tzinfo=UTC))
    with uow_factory(clock_=clock) as uow:
        create_birthday_reminders(uow, zone=MOSCOW)
    assert [(row[0], row[3]) for row in birthday_rows(uow_factory)] == [
        (contacts["Jan1"], f"birthday:{contacts['Jan1']}:2027")
    ]


def test_catching_up_over_the_year_end(uow_factory: UowFactory, contacts: dict[str, int]) -> None:
    clock = moscow(2027, 1, 1, 10, 0)
    with uow_factory(clock_=clock) as uow:
        create_birthday_reminders(uow, zone=MOSCOW, catch_up_days=1)
    with uow_factory(clock_=clock) as uow:
        create_birthday_reminders(uow, zone=MOSCOW, catch_up_days=3)
    assert birthday_rows(uow_factory) == [
        (
            contacts["Jan1"],
            "anna",
            datetime(2027, 1, 1, 9, 0, tzinfo=MOSCOW),
            f"birthday:{contacts['Jan1']}:2027",
        ),
        (
            contacts["Dec31"],
            "anna",
            datetime(2026, 12, 31, 9, 0, tzinfo=MOSCOW),
            f"birthday:{contacts['Dec31']}:2026",
        ),
    ]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 2, 28), {"Feb28", "Feb29"}),  # not a leap year: 29 February is kept on the 28th
        (date(2027, 3, 1), set()),
        (date(2028, 2, 28), {"Feb28"}),  # a leap year: each on its own day
        (date(2028, 2, 29), {"Feb29"}),
    ],
)
def test_29_february(
    uow_factory: UowFactory, contacts: dict[str, int], day: date, expected: set[str]
) -> None:
    clock = FixedClock(datetime.combine(day, time(12, 0), tzinfo=MOSCOW))
    with uow_factory(clock_=clock) as uow:
        create_birthday_reminders(uow, zone=MOSCOW)
    names = {client_id: name for name, client_id in contacts.items()}
    assert {names[row[0]] for row in birthday_rows(uow_factory) if row[0] is not None} == expected


def test_birthdays_on() -> None:
    assert birthdays_on(date(2026, 2, 28)) == [(2, 28), (2, 29)]
    assert birthdays_on(date(2024, 2, 28)) == [(2, 28)]
    assert birthdays_on(date(2026, 12, 31)) == [(12, 31)]


def test_none_for_a_deactivated_owner(uow_factory: UowFactory, contacts: dict[str, int]) -> None:
    """Her console refuses her, so nobody would see it: the console's and cron's birthday run (one service)
    skip her, as ``reminders add`` refuses her; a person of hers falls back to the organisation's owner."""
    from hotline.core.services.operators import set_operator_active

    with uow_factory() as uow:
        set_operator_active(uow, login="anna", active=False)
        create_client(
            uow,
            draft=ClientDraft(
                name="Anna's Org Contact",
                birthday=date(1975, 11, 23),
                owner_login="anna",
                organisation_id=_organisation_of(uow, contacts["OrgContact"]),
            ),
            default_region="RU",
        )
    with uow_factory(clock_=moscow(2026, 11, 23, 8, 0)) as uow:
        made = create_birthday_reminders(uow, zone=MOSCOW)
    assert {login for _, login, _, _ in birthday_rows(uow_factory)} == {"boris"}
    assert len(made) == 2  # the organisation's contact, and anna's contact of that organisation
    with uow_factory(clock_=moscow(2026, 12, 31, 8, 0)) as uow:  # hers, and no organisation to fall back on
        assert create_birthday_reminders(uow, zone=MOSCOW) == []


def _organisation_of(uow, client_id: int) -> int | None:
    from hotline.core.models import Client

    client = uow.session.get(Client, client_id)
    assert client is not None
    return client.organisation_id


def test_two_runs_at_once_make_each_reminder_once(uow_factory: UowFactory, contacts: dict[str, int]) -> None:
    """Two ``reminders due`` cron runs at once: on PostgreSQL the second inserted the same birthday (and
    contract) reminders, failed on their unique key and exited 1 with its listing unwritten; it now waits
    for the first and finds them made."""
    import threading

    from hotline.core.services.contracts import add_contract, create_contract_reminders

    clock = moscow(2026, 11, 23, 8, 0)
    with uow_factory(clock_=clock) as uow:
        add_contract(uow, client_id=contacts["Nov23"], level="gold", starts_on=date(2026, 1, 1),
                     ends_on=date(2026, 12, 1))  # fmt: skip
    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory(clock_=clock) as uow:
                second["made"] = create_birthday_reminders(uow, zone=MOSCOW) + create_contract_reminders(
                    uow, zone=MOSCOW, within_days=30
                )
        except Exception as error:  # what the second cron run printed, exit 1
            second["error"] = error

    with uow_factory(clock_=clock) as uow:
        made = create_birthday_reminders(uow, zone=MOSCOW) + create_contract_reminders(
            uow, zone=MOSCOW, within_days=30
        )
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second run is now waiting for this one
    thread.join(timeout=30)
    assert len(made) == 3
    assert second == {"made": []}
    assert len(birthday_rows(uow_factory)) == 3
