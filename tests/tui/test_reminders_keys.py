"""Reminders from the console: ``r`` on the card and the log-call form's follow-up; the "when" field."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from textual.widgets import TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Reminder
from hotline.core.services.reminders import create_reminder
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.log_call import LogCallScreen
from hotline.tui.screens.reminder import ReminderScreen
from hotline.tui.widgets.when_input import WhenInput, parse_when
from tests.tui.conftest import LIVE_DEADLINE_SECONDS
from tests.tui.keys_at_once import type_at_once, wait_typed

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("30m", datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        ("2h", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("3d", datetime(2026, 11, 26, 7, 0, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 24, 6, 0, tzinfo=UTC)),
        ("14:30", datetime(2026, 11, 23, 11, 30, tzinfo=UTC)),
        ("09:15", datetime(2026, 11, 24, 6, 15, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, 6, 0, tzinfo=UTC)),
        ("2026-12-01 18:45", datetime(2026, 12, 1, 15, 45, tzinfo=UTC)),
        ("01.12.2026", datetime(2026, 12, 1, 6, 0, tzinfo=UTC)),
        ("1/12/2026 18:45", datetime(2026, 12, 1, 15, 45, tzinfo=UTC)),
        (
            "01.11.2026 08:00",
            datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
        ),  # a date given is that day, past or not
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text, now=NOW, zone=MOSCOW, order="dmy") == expected


def test_parse_when_reads_dates_in_the_configured_order():
    assert parse_when("12/01/2026 18:45", now=NOW, zone=MOSCOW, order="mdy") == datetime(
        2026, 12, 1, 15, 45, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["soon", "5 weeks", "01.12.2026 x"])
def test_parse_when_refuses_what_it_does_not_understand(text):
    with pytest.raises(ValueError, match="when: not understood"):
        parse_when(text, now=NOW, zone=MOSCOW, order="dmy")


@pytest.mark.parametrize("text", ["25:00", "01.12.2026 25:00"])
def test_parse_when_names_a_time_of_day_that_is_not_one(text):
    with pytest.raises(ValueError, match="when: not a time of day: '25:00'"):
        parse_when(text, now=NOW, zone=MOSCOW, order="dmy")


@pytest.mark.parametrize(
    "text",
    ["01.01.3500", "01.01.1970 02:00"],  # the first was saved as due in 3500; the second is 1969 in UTC
)
def test_parse_when_keeps_a_date_within_the_years(text):
    """The console had no year check at all (the CLI's ``--at`` had its own): 01.01.3500 was saved."""
    with pytest.raises(ValueError, match=r"when: .*outside the years 1970–2999"):
        parse_when(text, now=NOW, zone=MOSCOW, order="dmy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+2h", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),  # the CLI's: now the console's too
        ("2026-12-01T10:00+00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01T10:00", datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),  # naive: local
    ],
)
def test_the_console_reads_what_the_cli_reads(text, expected):
    assert parse_when(text, now=NOW, zone=MOSCOW, order="dmy") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2026-13-01", "there is no month 13"), ("31.02.2027 10:00", "February 2027 has 28 days")],
)
def test_parse_when_says_why_a_date_cannot_be(text, reason):
    with pytest.raises(ValueError, match=f"when: .*{reason}"):
        parse_when(text, now=NOW, zone=MOSCOW, order="dmy")


async def remind_from_the_card(app, pilot, settle, client_id: int) -> ClientCardScreen:
    """The client's card, ``r``, "Send the contract" in two hours, ctrl+s: back on the card (returned)."""
    app.open_client(client_id)
    await settle(pilot)
    card = app.screen
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(app.screen, ReminderScreen)
    app.screen.query_one("#when", WhenInput).value = "2h"
    app.screen.query_one("#body", TextArea).insert("Send the contract")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert app.screen is card
    return card


async def test_r_sets_a_reminder_about_the_client(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await remind_from_the_card(app, pilot, settle, world.ivanov_id)
    with UnitOfWork(engine, readonly=True) as uow:
        reminder = uow.session.exec(select(Reminder)).one()
        assert (reminder.client_id, reminder.text) == (world.ivanov_id, "Send the contract")
        assert reminder.due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_log_call_with_a_follow_up(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, LogCallScreen)
        app.screen.query_one("#follow-up", WhenInput).value = "tomorrow"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        reminder = uow.session.exec(select(Reminder)).one()
        assert reminder.client_id == world.ivanov_id
        assert reminder.kind == "follow_up"
        assert reminder.due_at == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


async def test_a_deactivated_operators_bad_time_is_refused_not_reported(
    world, console, settle, engine, clock
):
    """Deactivated while her console was open, anna typed a time the form cannot read: she was told about
    the time (checked on the screen before anything asked who she is), with no refusal in the trail."""
    from hotline.core.models import AuditEntry
    from hotline.core.services.operators import set_operator_active

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        with UnitOfWork(engine, clock=clock) as uow:
            set_operator_active(uow, login="anna", active=False)
        app.screen.query_one("#when", WhenInput).value = "soon"
        app.screen.query_one("#body", TextArea).insert("Send the contract")
        await pilot.press("ctrl+s")
        await settle(pilot)
        told = [(n.severity, str(n.message)) for n in app._notifications]
        assert isinstance(app.screen, ReminderScreen)
    assert told == [("error", "operator 'anna' is deactivated")]
    with UnitOfWork(engine, readonly=True) as uow:
        refused = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "refused:reminder.write")
        ).all()
        assert [(entry.actor, entry.via) for entry in refused] == [("anna", "console")]
        assert uow.session.exec(select(Reminder)).first() is None


async def test_a_bad_time_is_still_said_and_the_form_stays(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#when", WhenInput).value = "soon"
        app.screen.query_one("#body", TextArea).insert("Send the contract")
        await pilot.press("ctrl+s")
        await settle(pilot)
        told = [(n.severity, str(n.message)) for n in app._notifications]
        assert isinstance(app.screen, ReminderScreen)
    assert len(told) == 1 and told[0][0] == "error" and told[0][1].startswith("when: not understood 'soon'")


async def test_a_deactivated_operators_bad_follow_up_on_the_call_form_is_refused_not_reported(
    world, console, settle, engine, clock
):
    """The call form's follow-up time, as the reminder form's: refused before the field says why."""
    from textual.widgets import Static

    from hotline.core.models import AuditEntry
    from hotline.core.services.operators import set_operator_active

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        with UnitOfWork(engine, clock=clock) as uow:
            set_operator_active(uow, login="anna", active=False)
        form.query_one("#follow-up", WhenInput).value = "soon"
        await pilot.press("ctrl+s")
        await settle(pilot)
        told = [(n.severity, str(n.message)) for n in app._notifications]
        assert app.screen is form
        assert not form.query_one("#follow-up-error", Static).display
    assert told == [("error", "operator 'anna' is deactivated")]
    with UnitOfWork(engine, readonly=True) as uow:
        refused = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "refused:interaction.write")
        ).all()
        assert [(entry.actor, entry.via) for entry in refused] == [("anna", "console")]


async def test_d_on_the_cards_reminders_tab_marks_the_reminder_done(world, console, settle, engine):
    """``3`` shows the card's reminders and puts the keys there: ``d`` marks the selected one done. The
    tab left the focus on the card, whose ``d`` dials the client: the reminder stayed, the phone rang."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        card = await remind_from_the_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        reminder = uow.session.exec(select(Reminder)).one()
        assert reminder.status == "done"


async def test_d_typed_twice_at_once_marks_two_reminders_done(
    world, console, settle, engine, clock, monkeypatch
):
    """``dd`` at zero delay on the card's reminders: the second ``d`` waited for the first to be saved, not
    for the list to be read again, and marked the same reminder done again (two "Reminder done." toasts,
    one reminder done); it is the next one's turn. The re-read is held back, as on a busy database."""
    from hotline.core.services import reminders

    held, read_back = threading.Event(), threading.Event()
    pending = reminders.pending_reminders

    def held_once_typing(*args, **kwargs):
        if held.is_set():
            read_back.wait(LIVE_DEADLINE_SECONDS)
        return pending(*args, **kwargs)

    monkeypatch.setattr(reminders, "pending_reminders", held_once_typing)
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for hours in (1, 2, 3):
            create_reminder(
                uow,
                text=f"in {hours} h",
                due_at=clock.now() + timedelta(hours=hours),
                client_id=world.ivanov_id,
            )
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        held.set()
        type_at_once(app, "dd")
        changing = [True]
        for _ in range(2000):  # no settle here: it would wait for the held re-read
            await pilot.pause(0.005)
            changing = [w for w in app.workers if w.group == "reminder-change" and w.is_running]
            if not app.type_ahead.waiting and not changing:
                break
        assert not app.type_ahead.waiting and not changing
        read_back.set()
        await wait_typed(pilot, settle)
    with UnitOfWork(engine, readonly=True) as uow:
        done = {r.text: r.status for r in uow.session.exec(select(Reminder))}
    assert done == {"in 1 h": "done", "in 2 h": "done", "in 3 h": "pending"}


async def test_d_on_another_operators_reminder_names_it_by_its_text(world, console, settle, engine, clock):
    """An operator's ``d`` on a colleague's reminder (the card lists everyone's) was refused as "reminder 5
    belongs to another operator", an id the console never shows; the refusal names it by text and due time."""
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boris", role=Role.OPERATOR, display_name="Boris")
    with UnitOfWork(engine, actor_login="boris", clock=clock) as uow:
        create_reminder(
            uow, text="Call back about the invoice", due_at=clock.now() + timedelta(hours=1),
            client_id=world.ivanov_id,
        )  # fmt: skip
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
    due = (clock.now() + timedelta(hours=1)).astimezone(app.ctx.settings.zone).strftime("%d.%m %H:%M")
    assert any("'Call back about the invoice'" in line and due in line for line in said), said
    assert not any("reminder " in line and line.split("reminder ")[1][:1].isdigit() for line in said), said
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Reminder)).one().status == "pending"


async def test_more_reminders_than_a_page_are_said_and_read_as_the_highlight_reaches_the_last(
    world, console, settle, engine, clock
):
    """150 reminders about a client: the card's tab (and the home panel) said "Reminders (100)" and listed
    the earliest 100, the other 50 nowhere in the console; the title says there are more, and ``end`` (the
    highlight on the last one) reads the rest."""
    from textual.widgets import OptionList

    from hotline.tui.widgets.reminder_list import ReminderList

    page = 100  # the panel's first read (``reminder_list.PAGE``)
    count = page + 50
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for minutes in range(count):
            create_reminder(
                uow,
                text=f"reminder {minutes}",
                due_at=clock.now() + timedelta(days=1, minutes=minutes),
                client_id=world.ivanov_id,
            )
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen.query_one(ReminderList)
        assert len(home.reminders) == page
        assert "more below" in str(home.query_one("#reminder-title").render())
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        panel = app.screen.query_one(ReminderList)
        assert len(panel.reminders) == page
        assert str(panel.query_one("#reminder-title").render()) == f"Reminders: first {page}, more below"
        await pilot.press("end")
        await settle(pilot)
        assert len(panel.reminders) == count
        assert panel.reminders[-1].text == f"reminder {count - 1}"
        assert str(panel.query_one("#reminder-title").render()) == f"Reminders ({count})"
        assert panel.query_one(OptionList).highlighted == page - 1  # where it was, the next ones below
