"""Who is on shift: weekly patterns, overnight shifts across midnight, vacation, sick days and swaps —
on SQLite and PostgreSQL, with the roster the console and ``shifts now`` show."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.models import Operator
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.shifts import (
    add_exception,
    clear_shifts,
    is_on_shift,
    join_queue,
    on_shift_members,
    roster,
    schedule_of,
    set_shifts,
)
from hotline.core.shifts.schedule import parse_shift_span, parse_weekdays

MSK = ZoneInfo("Europe/Moscow")


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Monday 2026-11-23 (day 23) in Moscow."""
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def night_and_day(uow_factory):
    """nina works nights Mon-Fri 22:00-06:00; dan works days Mon-Fri 09:00-18:00; both in Support."""
    with uow_factory() as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR)
        add_operator(uow, login="nina", role=Role.OPERATOR)
        add_operator(uow, login="dan", role=Role.OPERATOR)
        ensure_queue(uow, name="Support")
        set_shifts(uow, login="nina", days="mon-fri", hours="22:00-06:00", timezone="Europe/Moscow")
        set_shifts(uow, login="dan", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        for login in ("nina", "dan"):
            join_queue(uow, login=login, queue="Support")


@pytest.mark.parametrize(
    ("at", "nina", "dan"),
    [
        (msk(23, 10), False, True),  # Monday morning
        (msk(23, 23), True, False),  # Monday night
        (msk(24, 5, 59), True, False),  # Tuesday, before six: Monday's night shift
        (msk(24, 6), False, False),  # the night shift is over, the day not begun
        (msk(22, 3), False, False),  # Sunday night: Saturday had no shift
        (msk(28, 2), True, False),  # Saturday 02:00: Friday's night shift runs into Saturday
        (msk(29, 2), False, False),  # Sunday 02:00: Saturday started none
    ],
)
def test_weekly_pattern_and_overnight_shifts(uow_factory, night_and_day, at, nina, dan) -> None:
    with uow_factory(readonly=True) as uow:
        assert is_on_shift(uow, login="nina", at=at) is nina
        assert is_on_shift(uow, login="dan", at=at) is dan


def test_vacation_sick_day_and_swap(uow_factory, night_and_day) -> None:
    with uow_factory() as uow:
        add_exception(
            uow, login="nina", kind="vacation", starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 24)
        )
        add_exception(uow, login="dan", kind="swap", starts_on=date(2026, 11, 25), other_login="nina")
        add_exception(uow, login="dan", kind="sick", starts_on=date(2026, 11, 27))
    with uow_factory(readonly=True) as uow:
        assert not is_on_shift(uow, login="nina", at=msk(23, 23))  # vacation Monday
        assert not is_on_shift(uow, login="nina", at=msk(25, 2))  # Tuesday's night shift is vacation too
        # Wednesday the 25th is swapped: nina works dan's day, dan works nina's night (into Thursday).
        assert is_on_shift(uow, login="nina", at=msk(25, 10)) and not is_on_shift(
            uow, login="dan", at=msk(25, 10)
        )
        assert is_on_shift(uow, login="dan", at=msk(25, 23)) and is_on_shift(uow, login="dan", at=msk(26, 3))
        assert not is_on_shift(uow, login="nina", at=msk(25, 23))
        assert not is_on_shift(uow, login="dan", at=msk(27, 10))  # sick on Friday
        members = on_shift_members(uow, queue_id=1, at=msk(25, 10))
        assert [m.login for m in members] == ["nina"]
        lines = {line.login: line for line in roster(uow, at=msk(25, 10))}
        assert lines["nina"].on_shift and lines["nina"].today == ["09:00-18:00"]
        assert lines["dan"].exception == "swap with nina"
        assert schedule_of(uow, login="nina").week["mon"] == ["22:00-06:00"]


def test_no_swap_on_a_day_one_of_the_two_is_away(uow_factory, night_and_day) -> None:
    """A swap with a colleague on vacation (or while off sick oneself) left a shift with nobody, and the
    roster showed the swap."""
    with uow_factory() as uow:
        add_exception(
            uow, login="nina", kind="vacation", starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 24)
        )
        add_exception(uow, login="dan", kind="sick", starts_on=date(2026, 11, 26))
    for day, refused in [
        (date(2026, 11, 24), "nina is on vacation from 2026-11-23 to 2026-11-24"),
        (date(2026, 11, 26), "dan is off sick from 2026-11-26 to 2026-11-26"),
    ]:
        with uow_factory() as uow, pytest.raises(InvalidInput, match=refused):
            add_exception(uow, login="dan", kind="swap", starts_on=day, other_login="nina")
    with uow_factory() as uow:
        add_exception(uow, login="dan", kind="swap", starts_on=date(2026, 11, 25), other_login="nina")


def test_clear_and_bad_values(uow_factory, night_and_day) -> None:
    with uow_factory() as uow:
        assert clear_shifts(uow, login="dan", days="mon") == 1
        with pytest.raises(InvalidInput, match="--hours"):
            set_shifts(uow, login="dan", days="mon", hours="10:00-10:00", timezone="Europe/Moscow")
        with pytest.raises(InvalidInput, match="--days"):
            set_shifts(uow, login="dan", days="funday", hours="10:00-11:00", timezone="Europe/Moscow")
        with pytest.raises(InvalidInput, match="--timezone"):
            set_shifts(uow, login="dan", days="mon", hours="10:00-11:00", timezone="Mars/Olympus")
        with pytest.raises(InvalidInput, match="--with"):
            add_exception(uow, login="dan", kind="swap", starts_on=date(2026, 11, 25))
    with uow_factory(readonly=True) as uow:
        assert not is_on_shift(uow, login="dan", at=msk(23, 10))
    with uow_factory(actor_login="dan") as uow, pytest.raises(PermissionDenied):
        set_shifts(uow, login="dan", days="sat", hours="10:00-11:00", timezone="Europe/Moscow")


def test_parsing_spans_and_days() -> None:
    assert parse_shift_span("22:00-06:00") == (22 * 60, 6 * 60)
    assert parse_shift_span("09:00-18:00") == (9 * 60, 18 * 60)
    assert parse_weekdays("fri-mon") == [0, 4, 5, 6]
    assert parse_weekdays("Monday, wednes") == [0, 2]


@pytest.mark.parametrize("typed", ["mon\x1b", "monkey", "mo", "tuesdays", "sat,"])
def test_a_day_is_its_name_or_the_start_of_it(typed: str) -> None:
    """Days were read by their first three letters: ``mon\x1b`` (an escape typed after it) and
    ``monkey`` were Monday."""
    with pytest.raises(ValueError, match="bad days"):
        parse_weekdays(typed)
    with pytest.raises(ValueError, match="bad shift"):
        parse_shift_span("nine to five")


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("25:00-26:00", "no such time of day"), ("22:00-06:61", "no such time of day"), ("x-06:00", "write it")],
)
def test_a_bad_shift_is_told_as_typed(typed: str, reason: str) -> None:
    """The range "25:00-26:00" was refused as "bad time range '25:00-24:00'": a range the operator never typed."""
    with pytest.raises(ValueError, match=r"^bad shift ") as refused:
        parse_shift_span(typed)
    assert str(refused.value).startswith(f"bad shift {typed!r}: {reason}")


def test_a_swapped_day_takes_no_second_swap_nor_days_off(uow_factory, night_and_day) -> None:
    """A vacation on a day nina had swapped with dan was accepted: dan worked nina's night, and dan's day
    had nobody; a second swap of that day (or the same one again, or with a deactivated colleague) was
    accepted too, and the roster showed the first only."""
    with uow_factory() as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR)
        add_operator(uow, login="gone", role=Role.OPERATOR)
        uow.session.exec(select(Operator).where(Operator.login == "gone")).one().active = False
        swap = add_exception(uow, login="nina", kind="swap", starts_on=date(2026, 11, 25), other_login="dan")
    called_off = f"nina and dan swap 2026-11-25 \\(exception {swap.id}\\): call that off first"
    tried = [
        {"login": "nina", "kind": "vacation", "starts_on": date(2026, 11, 24), "ends_on": date(2026, 11, 25)},
        {"login": "dan", "kind": "sick", "starts_on": date(2026, 11, 25)},
        {"login": "nina", "kind": "swap", "starts_on": date(2026, 11, 25), "other_login": "dan"},
        {"login": "dan", "kind": "swap", "starts_on": date(2026, 11, 25), "other_login": "nina"},
        {"login": "olga", "kind": "swap", "starts_on": date(2026, 11, 25), "other_login": "nina"},
    ]
    for exception in tried:
        with uow_factory() as uow, pytest.raises(InvalidInput, match=called_off):
            add_exception(uow, **exception)  # type: ignore[arg-type]
    with uow_factory() as uow, pytest.raises(InvalidInput, match="operator 'gone' is deactivated"):
        add_exception(uow, login="olga", kind="swap", starts_on=date(2026, 11, 26), other_login="gone")
    with uow_factory() as uow:  # the days around it are free
        add_exception(uow, login="nina", kind="vacation", starts_on=date(2026, 11, 26))
        add_exception(uow, login="olga", kind="swap", starts_on=date(2026, 11, 24), other_login="dan")
    with uow_factory(readonly=True) as uow:
        assert is_on_shift(uow, login="dan", at=msk(25, 23)) and is_on_shift(
            uow, login="nina", at=msk(25, 10)
        )


def test_one_operators_week_is_in_one_zone(uow_factory, night_and_day) -> None:
    """dan's Monday in Tokyo and the rest in Moscow was accepted; ``shifts show`` then named Tokyo for
    every day, and the roster read "today" by it."""
    with uow_factory() as uow, pytest.raises(InvalidInput, match="dan's other shifts are in Europe/Moscow"):
        set_shifts(uow, login="dan", days="mon", hours="09:00-18:00", timezone="Asia/Tokyo")
    with uow_factory() as uow, pytest.raises(InvalidInput, match="a blank time zone"):
        set_shifts(uow, login="dan", days="mon", hours="09:00-18:00", timezone=" ")
    with uow_factory() as uow:  # no zone: her other shifts' (not the default); every day: any zone
        [monday] = set_shifts(
            uow, login="dan", days="mon", hours="10:00-19:00", timezone=None, default_timezone="UTC"
        )
        assert monday.timezone == "Europe/Moscow"
        set_shifts(uow, login="dan", days="all", hours="09:00-18:00", timezone="Asia/Tokyo")
        add_operator(uow, login="new", role=Role.OPERATOR)
        [first] = set_shifts(
            uow, login="new", days="sat", hours="09:00-18:00", timezone=None, default_timezone="UTC"
        )
        assert first.timezone == "UTC"
    with uow_factory(readonly=True) as uow:
        assert schedule_of(uow, login="dan").timezone == "Asia/Tokyo"


@pytest.mark.parametrize("typed", ["mon-", "sat -", "mon-fri,sat-"])
def test_a_range_without_its_last_day_is_no_day(typed: str) -> None:
    """``--days mon-`` (a range cut short) was Monday alone: ``shifts set`` set one day, ``shifts clear``
    cleared one, each saying how many as if that was what was meant."""
    with pytest.raises(ValueError, match="bad days"):
        parse_weekdays(typed)


def test_two_supervisors_setting_one_day_at_once_leave_one_shift(uow_factory, night_and_day) -> None:
    """``shifts set dan --days mon`` by two supervisors at once on PostgreSQL: each deleted Monday's shift
    and inserted its own, so Monday had two (the roster said ``10:00-19:00, 12:00-20:00``); the second
    now waits for the first and replaces its shift."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                set_shifts(uow, login="dan", days="mon", hours="12:00-20:00", timezone="Europe/Moscow")
        except Exception as error:
            second["error"] = error

    with uow_factory() as uow:
        set_shifts(uow, login="dan", days="mon", hours="10:00-19:00", timezone="Europe/Moscow")
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert second == {}
    with uow_factory(readonly=True) as uow:
        assert schedule_of(uow, login="dan").week["mon"] == ["12:00-20:00"]


def test_the_same_days_off_entered_twice_at_once_are_one_exception(uow_factory, night_and_day) -> None:
    """Two supervisors entering dan's sick day at once on PostgreSQL: each found no days off and added
    its own, two exceptions for one day; the second now waits and is refused, naming the first."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                add_exception(uow, login="dan", kind="sick", starts_on=date(2026, 11, 24))
        except InvalidInput as error:
            second["refused"] = error.message

    with uow_factory() as uow:
        first = add_exception(uow, login="dan", kind="sick", starts_on=date(2026, 11, 24))
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert str(second.get("refused", "")).startswith(
        f"dan is off sick from 2026-11-24 to 2026-11-24 (exception {first.id})"
    )
    with uow_factory(readonly=True) as uow:
        assert len(schedule_of(uow, login="dan").exceptions) == 1


def test_joining_a_queue_twice_at_once_says_already_in(uow_factory, night_and_day) -> None:
    """Two ``shifts join dan Billing`` at once on PostgreSQL: the second failed on the membership's key,
    "database error: duplicate key ...", exit 1; it now waits for the first and says she was already in."""
    import threading

    with uow_factory() as uow:
        ensure_queue(uow, name="Billing")
    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                second["added"] = join_queue(uow, login="dan", queue="Billing")
        except Exception as error:
            second["error"] = error

    with uow_factory() as uow:
        assert join_queue(uow, login="dan", queue="Billing") is True
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert second == {"added": False}
