"""One snapshot per screen and modal at 80×24 and at 160×48, on SQLite with the fixed clock
(deterministic data and time).

Update after an intended change of look with ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from textual.worker import WorkerState

from tests.tui.conftest import World, wait_for_workers

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}

Steps = Callable[[Pilot[None], World], Awaitable[None]]


def no_blink(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False


QUIET_DEADLINE_SECONDS = 30
"""How long a screen may take to settle on a starved machine (a few frames on a quiet one)."""


def _quiet(app) -> bool:
    gate = app.type_ahead
    running = any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers)
    return not gate.waiting and not running and gate.settled()


async def settled(pilot) -> None:
    """Until the keys pressed went through and what they opened is loaded and drawn: three looks in a row
    with no key waiting, no worker running and every widget idle (a fixed number of pauses was not
    enough on a slow machine: the snapshot caught the card before the pressed key's form opened)."""
    deadline = time.monotonic() + QUIET_DEADLINE_SECONDS
    in_a_row = 0
    while in_a_row < 3 and time.monotonic() < deadline:
        await pilot.pause()
        await wait_for_workers(pilot.app)
        in_a_row = in_a_row + 1 if _quiet(pilot.app) else 0
    no_blink(pilot.app)
    await pilot.pause()


def open_card_then(client_id: int, *pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A ``run_before`` for other snapshot modules: the card of ``client_id``, then ``pressed``."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settled(pilot)
        pilot.app.open_client(client_id)  # type: ignore[attr-defined]
        await settled(pilot)
        if pressed:
            await pilot.press(*pressed)
            await settled(pilot)

    return run_before


def keys(*pressed: str) -> Steps:
    async def steps(pilot: Pilot[None], world: World) -> None:
        await pilot.press(*pressed)

    return steps


def card(client: str, *pressed: str) -> Steps:
    async def steps(pilot: Pilot[None], world: World) -> None:
        pilot.app.open_client(getattr(world, client))  # type: ignore[attr-defined]
        await settled(pilot)
        if pressed:
            await pilot.press(*pressed)

    return steps


def ticket(*pressed: str) -> Steps:
    async def steps(pilot: Pilot[None], world: World) -> None:
        pilot.app.open_ticket(world.ticket_number)  # type: ignore[attr-defined]
        await settled(pilot)
        if pressed:
            await pilot.press(*pressed)

    return steps


async def new_client(pilot: Pilot[None], world: World) -> None:
    pilot.app.open_new_client("8 912 345 67 89")  # type: ignore[attr-defined]


async def locked(pilot: Pilot[None], world: World) -> None:
    from hotline.tui.screens.locked import DEACTIVATED

    pilot.app.lock(DEACTIVATED)  # type: ignore[attr-defined]


SCREENS: dict[str, Steps] = {
    "home": keys(),
    "home_with_results": keys(*"Ivanov"),
    "client_card": card("ivanov_id"),
    "client_card_with_a_hostile_name": card("hostile_id"),
    "log_call": card("ivanov_id", "c"),
    "note": card("ivanov_id", "n"),
    "new_ticket": card("ivanov_id", "t"),
    "reminder": card("ivanov_id", "r"),
    "edit_client": card("ivanov_id", "e"),
    "new_client_with_duplicate_warning": new_client,
    "help_on_the_card": card("ivanov_id", "f1"),
    "queues": keys("f3"),
    "ticket": ticket(),
    "ticket_reply": ticket("r"),
    "ticket_status_choice": ticket("s"),
    "knowledge_base": keys("f6"),
    "locked": locked,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(backend, world, console, snap_compare, screen, size):
    async def run_before(pilot: Pilot[None]) -> None:
        await settled(pilot)
        await SCREENS[screen](pilot, world)
        await settled(pilot)

    assert snap_compare(console(), terminal_size=SIZES[size], run_before=run_before)
