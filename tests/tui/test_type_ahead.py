"""Keys typed at zero delay (a fast typist, a paste, a scanner): each goes to the field that has focus
once the screen the keys before it opened is ready; nothing is dropped or reordered."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest
from sqlmodel import select
from textual import events
from textual._callback import invoke
from textual.widgets import Input, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Client, Interaction, Ticket
from hotline.core.models.mail import OutboxMessage
from hotline.tui import type_ahead
from hotline.tui.messages import ScreenPopRequested
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.screens.ticket import TicketScreen
from hotline.tui.type_ahead import TypeAhead
from tests.tui.keys_at_once import type_at_once, wait_typed

NOTE = "Wants the invoice again, by email; (ok) — 100% sure! «ёлки» [b]x[/b]"


async def test_new_client_fields_typed_before_the_form_opens(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f4>Test Tabname<tab>+79991112277")
        await wait_typed(pilot, settle)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        assert form.query_one("#name", Input).value == "Test Tabname"
        assert form.query_one("#phones", Input).value == "+79991112277"


async def test_without_the_gate_the_same_keys_land_in_one_field(world, console, settle, monkeypatch):
    """The failure the gate prevents, planted: Textual alone forwards the keys before F4 and Tab act."""
    monkeypatch.setattr(TypeAhead, "wants", staticmethod(lambda event: False))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f4>Test Tabname<tab>+79991112277")
        for _ in range(5):
            await settle(pilot)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        assert form.query_one("#name", Input).value == "Test Tabname+79991112277"


async def lookup_log_and_close_in_one_burst(world, console, settle, engine) -> None:
    """Lookup, Enter, ``c``, the note, ctrl+s and Esc typed at once: back on an empty Home, and the call
    logged once, on the caller's card."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, f"912 345-67-89\nc{NOTE}<ctrl+s><escape>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#lookup", Input).value == ""
    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(select(Interaction).where(Interaction.notes == NOTE)).all()
    assert [call.client_id for call in calls] == [world.ivanov_id]


async def test_lookup_enter_log_a_call_and_close_the_card_in_one_burst(world, console, settle, engine):
    await lookup_log_and_close_in_one_burst(world, console, settle, engine)


async def test_a_reply_typed_and_sent_at_once_keeps_every_character(world, console, settle, engine):
    text = "Sent again today, with the corrected total; please check the last line." * 3
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        type_at_once(app, f"r{text}<ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, TicketScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.number == world.ticket_number)).one()
        mail = uow.session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).one()
    assert mail.body == text


async def test_a_note_typed_while_the_card_opens(world, console, settle):
    """Keys typed after Enter, before the lookup has answered, are for the card that opens."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "ivanov@example.com\nn" + NOTE)
        await wait_typed(pilot, settle)
        assert isinstance(app.screen_stack[-2], ClientCardScreen)
        assert app.screen.query_one("#body", TextArea).text == NOTE


async def test_home_is_empty_after_a_card_and_up_recalls_the_last_query(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "912 345\n")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
        type_at_once(app, "<escape>64617")
        await wait_typed(pilot, settle)
        lookup = app.screen.query_one("#lookup", Input)
        assert lookup.value == "64617"
        type_at_once(app, "<escape><up>")
        await wait_typed(pilot, settle)
        assert lookup.value == "912 345"
        type_at_once(app, "<f1><escape>")
        await wait_typed(pilot, settle)
        assert lookup.value == "912 345"  # help over Home keeps the query


async def test_edit_typed_at_once_adds_to_the_name(world, console, settle, engine):
    """``e`` then a letter: the form opens with the client loaded and the cursor at the end."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        type_at_once(app, "eich<ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        from hotline.core.models import Client

        assert uow.session.get(Client, world.ivanov_id).name == "Ivan Ivanovich"


async def test_unknown_caller_new_client_then_call_in_one_burst(world, console, settle, engine, clock):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_new_client("+7 999 000-00-03", call_started_at=clock.now())
        type_at_once(app, f"Shift Caller<ctrl+s>c{NOTE}<ctrl+s><escape>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(select(Interaction).where(Interaction.notes == NOTE)).all()
    assert len(calls) == 1


async def test_keys_are_forwarded_on_the_apps_own_task(world, console, settle):
    """The cause of the stalls in the tmux shift: a Textual timer runs its callback on its own task, so
    the steady tick forwarded keys from there, concurrently with the app's task (and while it was
    suspended inside a handler with an empty queue, so the console looked settled). Keys let go with no
    recheck queued, so only the tick can release them: they must still go through on the app's task."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        tasks: list[asyncio.Task[object] | None] = []
        forward = app.type_ahead._forward

        async def recording_forward(event: events.Event) -> None:
            tasks.append(asyncio.current_task())
            await forward(event)

        app.type_ahead._forward = recording_forward
        holder = app.screen_stack[0]  # any screen on the stack (the lookup lets go of its own hold)
        app.type_ahead.hold(holder, True)
        type_at_once(app, "912")
        await pilot.pause()  # not settle: the held keys keep the console from idling until the valve opens
        assert app.type_ahead.waiting == 3 and not tasks
        app.type_ahead._holders.discard(holder)  # let go with no recheck queued
        await invoke(
            app.type_ahead.tick
        )  # as a Textual timer calls it: on the timer's task (here, the test's)
        await wait_typed(pilot, settle)
        assert home.query_one("#lookup", Input).value == "912"
        assert tasks == [app._task] * 3


async def test_a_pop_opens_its_card_after_the_keys_typed_before_the_ring(world, console, settle, clock):
    """Keys typed before the ring go where they were typed (the lookup box); those typed after it go to
    the card the pop opens: the pop waits its turn in the key queue instead of jumping ahead."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        holder = app.screen_stack[0]
        app.type_ahead.hold(holder, True)  # the console is busy: the keys wait
        before = type_at_once(app, "912")
        await pilot.pause()
        ring = ScreenPopRequested("+79123456789", world.ivanov_id, clock.now())
        app.post_message(ring)
        await pilot.pause()
        # Read after the operator could have seen the card: a key read within REACTION_SECONDS of the ring
        # was typed for the screen before it and goes first (test_an_esc_read_just_after_a_ring_...). Read
        # "now", these keys were within it whenever the machine was quick, and went to the lookup.
        seen = ring.time + type_ahead.REACTION_SECONDS + 0.05
        after = type_at_once(app, "n" + NOTE, read_at=seen)
        await pilot.pause()
        assert app.screen is home and app.type_ahead.waiting == before + 1 + after
        app.type_ahead.hold(holder, False)
        await wait_typed(pilot, settle)
        assert home.query_one("#lookup", Input).value == "912"
        assert isinstance(app.screen_stack[-2], ClientCardScreen)
        assert app.screen_stack[-2].client_id == world.ivanov_id
        assert app.screen.query_one("#body", TextArea).text == NOTE


async def test_the_valve_waits_for_a_running_save(world, console, settle, monkeypatch):
    """The safety valve (keys let through when the console has not settled for a while) never opens
    while a save runs: on a loaded machine it sent keys to the screen the save was about to close."""
    monkeypatch.setattr(type_ahead, "STUCK_AFTER_SECONDS", 0.0)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        lookup = home.query_one("#lookup", Input)
        saving = threading.Event()
        app.run_worker(lambda: saving.wait(30), thread=True, group="save")
        type_at_once(app, "912")
        for _ in range(20):
            await pilot.pause(0.01)
        assert app.type_ahead.waiting == 3 and lookup.value == ""
        saving.set()
        await wait_typed(pilot, settle)
        assert lookup.value == "912"
        # the valve itself still opens when nothing the keys wait for runs (a widget that stays busy)
        monkeypatch.setattr(type_ahead, "_busy", lambda node: True)
        type_at_once(app, "45")
        for _ in range(50):
            await pilot.pause(0.01)
            if lookup.value == "91245":
                break
        assert lookup.value == "91245"


async def test_a_cancelled_older_lookup_keeps_the_newer_ones_hold(world, console, settle, monkeypatch):
    """Enter before the results holds the keys for the card; an older lookup worker ending cancelled
    (replaced by a newer one) must not let them go to the lookup box."""
    from hotline.core import search

    answering = threading.Event()
    real_lookup = search.lookup

    def slow_lookup(*args, **kwargs):
        answering.wait(30)
        return real_lookup(*args, **kwargs)

    monkeypatch.setattr(search, "lookup", slow_lookup)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        type_at_once(app, "912 345\nn")
        for _ in range(20):
            await pilot.pause(0.01)
        assert app.type_ahead.waiting == 1  # the n: held for the card Enter will open
        older = home.run_worker(lambda: answering.wait(30), thread=True, group="lookup")
        older.cancel()
        for _ in range(20):
            await pilot.pause(0.01)
        assert app.type_ahead.waiting == 1 and home.query_one("#lookup", Input).value == "912 345"
        answering.set()
        await wait_typed(pilot, settle)
        assert isinstance(app.screen_stack[-2], ClientCardScreen)
        assert app.screen_stack[-2].client_id == world.ivanov_id
        assert isinstance(app.screen.query_one("#body", TextArea), TextArea)


async def test_a_call_saved_late_lasts_until_ctrl_s_was_pressed(
    world, console, settle, engine, clock, monkeypatch
):
    """On a busy machine the console gets to keys typed ahead seconds after they were pressed (the tmux
    shift: ctrl+s handled 1.8 s late): the call lasts until ctrl+s was pressed, not until its save ran.
    The console's clock stands in for the monotonic clock Textual stamps keys with as the driver reads
    them, so the keys can wait 30 s on it while the console is busy."""
    monkeypatch.setattr(type_ahead, "get_time", lambda: clock.now().timestamp())
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rang = clock.now()
        app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, rang))
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
        clock.advance(seconds=20)
        holder = app.screen_stack[0]
        app.type_ahead.hold(holder, True)  # the console is busy: the keys wait
        typed = type_at_once(app, "cLate save<ctrl+s>", read_at=clock.now().timestamp())
        await pilot.pause()
        assert app.type_ahead.waiting == typed
        clock.advance(seconds=30)
        app.type_ahead.hold(holder, False)
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).where(Interaction.notes == "Late save")).one()
    assert (call.started_at, call.duration_seconds) == (rang, 20)


@pytest.mark.both_backends
async def test_a_pop_from_the_client_whose_card_the_waiting_keys_open(
    world, console, settle, engine, clock, monkeypatch
):
    """The call the tmux shift lost: a call found in the lookup, its keys still waiting, then a pop from
    the same client. The keys typed before the ring (lookup, Enter, the call, Esc) log the first call on
    the lookup's card; those typed after it go to the pop's card, and that call lasts from the ring to its
    ctrl+s. (The shift's script sent the second call's keys as soon as it saw the lookup's card, the same
    client's name and Timeline, before the pop had rung: the console rightly put them after the first
    call's Esc, into Home's lookup box, and the pop's card was left open with no call logged.)"""
    monkeypatch.setattr(type_ahead, "get_time", lambda: clock.now().timestamp())
    first, second = "Found in the lookup", "Rang right after"
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        holder = app.screen_stack[0]
        app.type_ahead.hold(holder, True)  # the console is busy: the keys wait
        before = type_at_once(
            app, f"912 345-67-89\nc{first}<ctrl+s><escape>", read_at=clock.now().timestamp()
        )
        await pilot.pause()
        clock.advance(seconds=2)
        rang = clock.now()
        app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, rang))
        await pilot.pause()
        clock.advance(seconds=7)
        after = type_at_once(app, f"c{second}<ctrl+s>", read_at=clock.now().timestamp())
        await pilot.pause()
        assert app.screen is home and app.type_ahead.waiting == before + 1 + after
        clock.advance(seconds=5)
        app.type_ahead.hold(holder, False)
        await wait_typed(pilot, settle)
        card = app.screen
        assert isinstance(card, ClientCardScreen) and card.client_id == world.ivanov_id
        assert home.query_one("#lookup", Input).value == ""
    with UnitOfWork(engine, readonly=True) as uow:
        calls = {
            call.notes: call
            for call in uow.session.exec(select(Interaction).where(Interaction.notes.in_([first, second])))
        }
    assert calls[first].client_id == calls[second].client_id == world.ivanov_id
    assert (calls[second].started_at, calls[second].duration_seconds) == (rang, 7)


async def test_a_console_stalled_between_the_lookup_and_the_card_keeps_the_keys_for_the_card(
    world, console, settle, engine, monkeypatch
):
    """A starved machine: seconds pass between the lookup's end and its results being shown, and
    between the card's load and its paint, with no worker running meanwhile. The safety valve must not
    take that for a stuck console: it sent ``c`` and the note to the lookup box and no call was saved."""
    offset = [0.0]
    real_monotonic = type_ahead.time.monotonic
    monkeypatch.setattr(type_ahead, "time", SimpleNamespace(monotonic=lambda: real_monotonic() + offset[0]))

    def stalled(handler):
        async def run(self, message):
            offset[0] += 2 * type_ahead.STUCK_AFTER_SECONDS
            await asyncio.sleep(0.2)  # the event loop turns meanwhile: the gate looks again and again
            handler(self, message)

        return run

    monkeypatch.setattr(HomeScreen, "on_lookup_finished", stalled(HomeScreen.on_lookup_finished))
    monkeypatch.setattr(ClientCardScreen, "on_card_loaded", stalled(ClientCardScreen.on_card_loaded))
    await lookup_log_and_close_in_one_burst(world, console, settle, engine)


async def test_enter_queued_behind_results_shown_late_waits_for_them(
    world, console, settle, engine, monkeypatch
):
    """The lookup has ended and its results take seconds to show (a starved machine); Enter, ``c`` and the
    note are typed meanwhile. Enter waits behind the results, and the valve must not take the wait for a
    stuck console: before the screen said its results were on their way (``keys_await``), it sent ``c``
    and the note into the lookup box and no call was saved (seen under load in CI)."""
    offset = [0.0]
    real_monotonic = type_ahead.time.monotonic
    monkeypatch.setattr(type_ahead, "time", SimpleNamespace(monotonic=lambda: real_monotonic() + offset[0]))
    stalling = asyncio.Event()
    go_on = asyncio.Event()
    shown = HomeScreen.on_lookup_finished

    async def late(self, message):
        if self.query_one("#lookup", Input).value == "912 345-67-89":
            stalling.set()
            await go_on.wait()  # the rest is typed now, while the results wait to be shown
        shown(self, message)

    monkeypatch.setattr(HomeScreen, "on_lookup_finished", late)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "912 345-67-89")
        for _ in range(200):
            if stalling.is_set():
                break
            await asyncio.sleep(0.01)  # not pilot.pause: that waits for the screen the handler holds
        assert stalling.is_set(), "the last lookup ended"
        type_at_once(app, f"\nc{NOTE}<ctrl+s><escape>")
        await keys_while_results_wait(offset, go_on, app)
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(select(Interaction).where(Interaction.notes == NOTE)).all()
    assert [call.client_id for call in calls] == [world.ivanov_id]


async def keys_while_results_wait(offset: list[float], go_on: asyncio.Event, app) -> None:
    """Let seconds pass (on the gate's clock) while the results wait, then let them show (always: a
    handler left waiting would keep the console from closing)."""
    try:
        for _ in range(5):
            await asyncio.sleep(0.01)  # Enter goes through, and waits behind the results
        for _ in range(3):  # the starved machine: seconds pass, again and again
            offset[0] += 2 * type_ahead.STUCK_AFTER_SECONDS
            for _ in range(10):
                await asyncio.sleep(0.01)  # the gate looks again and again while the results wait
        assert app.screen.query_one("#lookup", Input).value == "912 345-67-89", "nothing went past Enter"
    finally:
        go_on.set()


def held_save(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str
) -> tuple[threading.Event, threading.Event]:
    """``module.name`` (the service a form's save calls) waits for the second event before it writes; the
    first says the save has begun (the form's ctrl+s is the last key: none wait behind it)."""
    begun, go_on = threading.Event(), threading.Event()
    real = getattr(module, name)

    def held(*args, **kwargs):
        begun.set()
        assert go_on.wait(30), "the test never let the save go on"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return begun, go_on


async def ring_while_saving(app, pilot, begun: threading.Event, go_on: threading.Event, world, clock):
    """The save has begun and holds; a known caller rings meanwhile, then the save goes on."""
    try:
        for _ in range(500):
            if begun.is_set():
                break
            await asyncio.sleep(0.01)
        assert begun.is_set(), "the save began"
        await pilot.pause()
        assert app.type_ahead.waiting == 0
        app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, clock.now()))
        for _ in range(5):
            await pilot.pause()
    finally:
        go_on.set()


@pytest.mark.both_backends
async def test_a_ring_while_the_new_client_is_saved_opens_its_card_after_the_new_clients(
    world, console, settle, engine, clock, monkeypatch
):
    """An unknown caller's form saved with ctrl+s, and the next call rings before the save has ended. The
    card used to open at once over the form; the save's ``dismiss`` then closed that card (Textual pops
    the top screen) and opened the new client's card, with the first call's timer, over it: the second
    call was logged on the new client (the tmux shift: call 14 on the card of call 13's new client)."""
    from hotline.core.services import clients

    begun, go_on = held_save(monkeypatch, clients, "create_client")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_new_client("+7 999 000-00-13", call_started_at=clock.now())
        await settle(pilot)
        type_at_once(app, "Shift Caller<ctrl+s>")
        await ring_while_saving(app, pilot, begun, go_on, world, clock)
        await wait_typed(pilot, settle)
        assert [type(screen) for screen in app.screen_stack[1:]] == [
            HomeScreen,
            ClientCardScreen,
            ClientCardScreen,
        ]
        new_card, card = app.screen_stack[-2:]
        assert card.client_id == world.ivanov_id and card.call_started_at is not None
        type_at_once(app, f"c{NOTE}<ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).where(Interaction.notes == NOTE)).one()
        new_client = uow.session.exec(select(Client).where(Client.name == "Shift Caller")).one()
    assert call.client_id == world.ivanov_id and new_card.client_id == new_client.id


@pytest.mark.both_backends
async def test_a_ring_while_a_call_is_saved_opens_its_card_once_the_form_has_closed(
    world, console, settle, engine, clock, monkeypatch
):
    """A call saved with ctrl+s, and the next call rings before the save has ended. The card used to open
    over the form being saved and its ``dismiss`` closed the card instead: the form stayed on top and the
    next call's keys went into the first call's note."""
    from hotline.core.services import interactions

    begun, go_on = held_save(monkeypatch, interactions, "log_call")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.hostile_id, call_started_at=clock.now())
        await settle(pilot)
        type_at_once(app, "cFirst caller<ctrl+s>")
        await ring_while_saving(app, pilot, begun, go_on, world, clock)
        await wait_typed(pilot, settle)
        assert [type(screen) for screen in app.screen_stack[1:]] == [
            HomeScreen,
            ClientCardScreen,
            ClientCardScreen,
        ]
        first, card = app.screen_stack[-2:]
        assert (first.client_id, card.client_id) == (world.hostile_id, world.ivanov_id)
        type_at_once(app, f"c{NOTE}<ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(
            select(Interaction).where(Interaction.notes.in_(["First caller", NOTE]))
        ).all()
    assert {call.notes: call.client_id for call in calls} == {
        "First caller": world.hostile_id,
        NOTE: world.ivanov_id,
    }


async def test_a_ring_just_after_esc_was_forwarded_opens_its_card_once_the_card_has_closed(
    world, console, settle, engine, clock
):
    """The tmux shift's lost call: an unknown caller's form, card, call and Esc typed at once; the next
    call rang just as the console forwarded that Esc. With no key waiting the card opened at once, while
    the Esc was still on its way through the widgets to its binding, which then closed the card on top:
    the new card. The new client's card was left on top and the next call's keys were logged on it
    (call 14 on the client call 13 had created)."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_new_client("+7 999 000-00-13", call_started_at=clock.now())
        await settle(pilot)
        forward = app.type_ahead._forward

        async def ring_after_esc(event: events.Event) -> None:
            await forward(event)
            if isinstance(event, events.Key) and event.key == "escape":
                app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, clock.now()))

        app.type_ahead._forward = ring_after_esc
        type_at_once(app, "Shift Caller<ctrl+s>cFirst caller<ctrl+s><escape>")
        await wait_typed(pilot, settle)
        await log_on_the_card_that_rang(app, pilot, settle, world.ivanov_id)
    with UnitOfWork(engine, readonly=True) as uow:
        new_client = uow.session.exec(select(Client).where(Client.name == "Shift Caller")).one()
    assert logged_on(engine) == {"First caller": new_client.id, NOTE: world.ivanov_id}


async def log_on_the_card_that_rang(app, pilot, settle, client_id: int) -> None:
    """The card that rang is on top, over Home only, with the call timer; a call logged on it stays."""
    assert [type(screen) for screen in app.screen_stack[1:]] == [HomeScreen, ClientCardScreen]
    card = app.screen
    assert card.client_id == client_id and card.call_started_at is not None
    type_at_once(app, f"c{NOTE}<ctrl+s>")
    await wait_typed(pilot, settle)
    assert app.screen is card


def logged_on(engine) -> dict[str, int]:
    """Which client each of the two calls (``First caller``, ``NOTE``) was logged on."""
    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(
            select(Interaction).where(Interaction.notes.in_(["First caller", NOTE]))
        ).all()
    return {call.notes: call.client_id for call in calls}


async def test_an_esc_read_just_after_a_ring_closes_the_card_it_was_typed_for(
    world, console, settle, engine, clock
):
    """The tmux shift's call 18: a caller found, logged and closed in one burst, and the next call rang
    as the console read the burst; the Esc came 28 ms after the ring, before anyone could see the card
    that rang. Taken as typed after the ring, it closed that card, and the next call was logged on the
    card under it. A key read within ``REACTION_SECONDS`` of the ring goes to the screen before it."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "912 345-67-89\ncFirst caller<ctrl+s>")
        app.post_message(ScreenPopRequested("+79990000018", world.hostile_id, clock.now()))
        type_at_once(app, "<escape>")
        await wait_typed(pilot, settle)
        await log_on_the_card_that_rang(app, pilot, settle, world.hostile_id)
    assert logged_on(engine) == {"First caller": world.ivanov_id, NOTE: world.hostile_id}
