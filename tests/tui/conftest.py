"""Console test fixtures: a small known world on the parametrised backend and a console factory."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import textual._wait
from sqlalchemy.engine import Engine
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Direction, Role
from hotline.core.search import reindex_clients
from hotline.core.services.clients import ClientDraft, create_client, ensure_group
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from hotline.core.services.tickets import create_ticket
from hotline.core.settings import Settings
from hotline.tui.app import HotlineApp, make_app

IDLE_LOOK_SECONDS = 0.005
"""How long Pilot sleeps before each look at whether the console went idle (Textual's 20 ms).

``pilot.pause()`` and every key of ``pilot.press`` wait for idle: sleep, then compare the process's CPU
time with the wall clock, until a look finds the console used under a twentieth of it. At 20 ms the
shortest wait was 20 ms, and a console test waits some thirty times (five pauses to a ``settle``, two
per key pressed): about a quarter of a console test's time on a quiet machine was these sleeps. A look
every 5 ms (idle: under a quarter millisecond of CPU in it) ends the same waits as soon; how long a busy
console is waited for (at most a second) is Textual's, unchanged. What a test needs to have happened it
still waits for explicitly (``settle`` waits for the workers, ``wait_until`` for its condition)."""
textual._wait.SLEEP_GRANULARITY = IDLE_LOOK_SECONDS
textual._wait.SLEEP_IDLE = IDLE_LOOK_SECONDS / 20

OPERATOR = "anna"
HOSTILE_NAME = "[bold red]x[/] \x1b[2JMallory"


@dataclass(frozen=True)
class World:
    """Ids of what ``world`` made."""

    ivanov_id: int
    hostile_id: int
    ticket_number: int
    ivanov_phone: str = "+7 912 345-67-89"
    ivanov_email: str = "ivanov@example.com"


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    """An operator, a client with phones, a ticket and calls, and a client with a hostile name."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=OPERATOR, role=Role.OPERATOR, display_name="Anna Petrova")
        ensure_group(uow, name="VIP")  # groups are a supervisor's to make; the operator only chooses one
    with UnitOfWork(engine, actor_login=OPERATOR, clock=clock) as uow:
        ivanov_id = create_client(
            uow,
            draft=ClientDraft(
                first_name="Ivan",
                last_name="Ivanov",
                phones=["+7 912 345-67-89"],
                emails=["ivanov@example.com"],
                group="VIP",
                tags=["wholesale"],
            ),
            default_region="RU",
        ).id
        create_client(
            uow,
            draft=ClientDraft(first_name="Maria", last_name="Ivanova", emails=["maria@example.com"]),
            default_region="RU",
        )
        hostile = create_client(
            uow, draft=ClientDraft(name="Mallory", phones=["+7 495 111-22-33"]), default_region="RU"
        )
        hostile.name = HOSTILE_NAME  # core refuses it typed; stored before that, or by a direct SQL write
        uow.session.flush()
        reindex_clients(uow.session, [hostile.id])
        hostile_id = hostile.id
    with UnitOfWork(engine, clock=clock) as uow:
        ticket = create_ticket(
            uow,
            subject="Invoice \x1b[31mnot\x1b[0m received",
            typed=False,  # as a mail's subject, cut not refused (typed, core refuses the escape)
            queue="Support",
            client_id=ivanov_id,
            body="Please resend the invoice.",
            assignee_login=OPERATOR,
        )
    with UnitOfWork(engine, actor_login=OPERATOR, clock=clock) as uow:
        for minutes in range(3):
            log_call(
                uow,
                client_id=ivanov_id,
                direction=Direction.IN,
                duration_seconds=60 + minutes,
                outcome="information",
                notes=f"earlier call {minutes}",
                started_at=clock.now() - timedelta(days=1, minutes=minutes),
            )
        return World(
            ivanov_id=int(ivanov_id or 0), hostile_id=int(hostile_id or 0), ticket_number=ticket.number
        )


ConsoleFactory = Callable[..., HotlineApp]


def console_settings(*, mail: bool = True) -> Settings:
    """The console's settings: one mail account that can send replies (``mail=False``: none)."""
    from hotline.core.settings import MailAccount, MailSettings

    account = MailAccount(
        name="support",
        imap_host="127.0.0.1",
        username="support",
        queue="Support",
        smtp_host="127.0.0.1",
        from_address="support@example.com",
    )
    return Settings(timezone="Europe/Moscow", mail=MailSettings(accounts=[account] if mail else []))


SUPERVISOR = "sofia"


@pytest.fixture
def supervisor(world: World, engine: Engine, clock: FixedClock) -> str:
    """A supervisor beside ``world``'s operator: who may make a group from the client form."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=SUPERVISOR, role=Role.SUPERVISOR, display_name="Sofia Lind")
    return SUPERVISOR


@pytest.fixture
def console(engine: Engine, clock: FixedClock) -> ConsoleFactory:
    """``console(poll_screen_pops=False)`` → the app for ``anna`` on the test engine and clock."""

    def factory(
        *, poll_screen_pops: bool = False, operator_login: str = OPERATOR, settings: Settings | None = None
    ) -> HotlineApp:
        return make_app(
            settings=settings or console_settings(),
            engine=engine,
            operator_login=operator_login,
            clock=clock,
            poll_screen_pops=poll_screen_pops,
        )

    return factory


@pytest.fixture
def articles(world: World, engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """The bilingual test corpus of ``tests/core/kb/corpus.py`` in the knowledge base."""
    from hotline.core.services.kb import import_folder
    from tests.core.kb.corpus import write_corpus

    with UnitOfWork(engine, clock=clock) as uow:
        import_folder(uow, folder=write_corpus(tmp_path / "kb"))


async def wait_for_workers(app: App[None]) -> None:
    """Wait for the app's workers; one cancelled on purpose (an exclusive worker a newer one replaced)
    is not a failure, a worker that failed still is."""
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


LIVE_DEADLINE_SECONDS = 15
"""How long a pushed change may take to show (well under a second; the machine is shared)."""


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], what: str | Callable[[], str]
) -> None:
    """Let the console run (no key pressed) until ``condition()``, at most ``LIVE_DEADLINE_SECONDS``;
    ``what`` may be computed when the wait fails (to name what is still wrong)."""
    deadline = time.monotonic() + LIVE_DEADLINE_SECONDS
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what() if callable(what) else what} within {LIVE_DEADLINE_SECONDS} s")
        await pilot.pause(0.05)
    await wait_for_workers(pilot.app)
    await pilot.pause()


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(4):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    await pilot.pause()


@pytest.fixture
def settle() -> Callable[[Pilot[None]], Awaitable[None]]:
    """``await settle(pilot)``: let workers finish and their messages be handled (never sleeps)."""
    return _settle
