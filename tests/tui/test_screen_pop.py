"""Screen pop across processes: ``hotline call incoming`` in a subprocess pops the running console."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest
from textual.widgets import Input

from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.widgets.call_timer import CallTimer
from tests.tui.conftest import wait_for_workers

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

POP_DEADLINE_SECONDS = 15


def call_incoming(database_url: str, number: str, *options: str) -> subprocess.CompletedProcess[str]:
    """What the PBX runs: a separate process writing the pop request through the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hotline.cli",
            "--db",
            database_url,
            "call",
            "incoming",
            number,
            "--operator",
            "anna",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


async def wait_for_screen(pilot, screen_type: type) -> None:
    deadline = time.monotonic() + POP_DEADLINE_SECONDS
    while not isinstance(pilot.app.screen, screen_type):
        assert time.monotonic() < deadline, f"no {screen_type.__name__} within {POP_DEADLINE_SECONDS} s"
        await pilot.pause(0.1)
    await wait_for_workers(pilot.app)
    await pilot.pause()


async def test_known_caller_pops_the_card_with_a_running_timer(world, console, settle, database_url):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        result = await asyncio.to_thread(call_incoming, database_url, "89123456789")
        assert result.returncode == 0, result.stderr
        await wait_for_screen(pilot, ClientCardScreen)  # how fast: tests/bench/bench_pop.py measures it
        card = app.screen
        assert card.client_id == world.ivanov_id
        assert card.call_started_at is not None
        assert len(card.query(CallTimer)) == 1
        assert "on call" in card.query_one(CallTimer).render().plain


async def test_unknown_caller_pops_a_prefilled_new_client_form(world, console, settle, database_url):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        result = await asyncio.to_thread(call_incoming, database_url, "+7 999 555-44-33")
        assert result.returncode == 0, result.stderr
        await wait_for_screen(pilot, NewClientScreen)
        assert app.screen.query_one("#phones", Input).value == "+7 999 555-44-33"
        app.screen.query_one("#name", Input).value = "New Caller"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.call_started_at is not None, "the card after the form keeps the call timer"


async def test_a_pop_for_another_operator_is_not_shown(world, console, settle, database_url, engine, clock):
    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator
    from hotline.core.services.screen_pop import request_screen_pop

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boris", role=Role.OPERATOR)
        request_screen_pop(uow, operator_login="boris", number="89123456789")
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert not isinstance(app.screen, ClientCardScreen)


async def test_call_incoming_wait_names_the_console_that_took_it(world, console, settle, database_url):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        result = await asyncio.to_thread(call_incoming, database_url, "89123456789", "--wait", "20")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"taken by anna's console on {app.live.label}"
        await wait_for_screen(pilot, ClientCardScreen)
