"""An organisation's people on its card (``4``, Enter opens one, ``o`` goes back to the organisation) and
the pop of a number several clients share: whose card, organisation first, the timer from the ring.
Through Pilot on both backends; snapshots at 80×24 and 160×48 on SQLite."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from textual.widgets import DataTable, OptionList, TabbedContent

from hotline.core.db import UnitOfWork
from hotline.core.models.enums import ClientKind
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.screen_pop import request_screen_pop
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.whose_card import WhoseCardScreen
from hotline.tui.widgets.call_timer import CallTimer
from tests.tui.conftest import OPERATOR, wait_for_workers
from tests.tui.test_snapshots import SIZES, settled
from tests.tui.test_untrusted_and_errors import screen_text

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

OFFICE = "+7 495 700-00-01"
POP_DEADLINE_SECONDS = 15


@dataclass(frozen=True)
class Company:
    organisation_id: int
    petrov_id: int
    sidorova_id: int


@pytest.fixture
def company(world, engine, clock) -> Company:
    """Romashka LLC with two contact persons; Petrov's only phone is the office number."""
    with UnitOfWork(engine, actor_login=OPERATOR, clock=clock) as uow:
        organisation = create_client(
            uow,
            draft=ClientDraft(name="Romashka LLC", kind=ClientKind.ORGANISATION, phones=[OFFICE]),
            default_region="RU",
        ).id
        petrov = create_client(
            uow,
            draft=ClientDraft(
                name="Petrov Pyotr",
                phones=["8 (495) 700-00-01"],
                organisation_id=organisation,
                tags=["buyer"],
            ),
            default_region="RU",
        ).id
        sidorova = create_client(
            uow,
            draft=ClientDraft(
                name="Sidorova Anna", phones=["+7 916 000-11-22"], organisation_id=organisation
            ),
            default_region="RU",
        ).id
    return Company(int(organisation or 0), int(petrov or 0), int(sidorova or 0))


def people(card: ClientCardScreen) -> list[tuple[str, str]]:
    table = card.query_one("#people-table", DataTable)
    return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def test_an_organisation_card_lists_its_people_and_opens_one(company, console, settle) -> None:
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(company.organisation_id)
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        tabs = card.query_one(TabbedContent)
        assert tabs.get_tab("people").label.plain == "People (2)"
        await pilot.press("4")
        await settle(pilot)
        assert tabs.active == "people"
        assert app.focused is card.query_one("#people-table", DataTable)
        assert people(card) == [("Petrov Pyotr", "8 (495) 700-00-01"), ("Sidorova Anna", "+7 916 000-11-22")]
        await pilot.press("down", "enter")
        await settle(pilot)
        person = app.screen
        assert isinstance(person, ClientCardScreen) and person.client_id == company.sidorova_id
        assert person.call_started_at is None  # no call rang: no timer
        # A person's card has no People tab; 4 does nothing there, o opens the organisation.
        assert not person.query_one(TabbedContent).get_tab("people").display
        await pilot.press("4")
        await settle(pilot)
        assert person.query_one(TabbedContent).active == "timeline"
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.client_id == company.organisation_id
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is person.app.screen_stack[-1]


async def test_more_people_than_a_card_reads_are_counted(company, console, settle, monkeypatch) -> None:
    """An organisation with more contact persons than a card reads (200, the first by name): the tab said
    "People (200)" as if those were all; it says how many of how many."""
    from hotline.core.services import clients

    monkeypatch.setattr(clients, "CARD_CONTACTS", 1)
    clients._card_query.cache_clear()  # PostgreSQL's statement is built once, with the limit in it
    try:
        app = console()
        async with app.run_test(size=(110, 32)) as pilot:
            await settle(pilot)
            app.open_client(company.organisation_id)
            await settle(pilot)
            card = app.screen
            assert isinstance(card, ClientCardScreen)
            assert card.query_one(TabbedContent).get_tab("people").label.plain == "People (1 of 2)"
            assert people(card) == [("Petrov Pyotr", "8 (495) 700-00-01")]
    finally:
        monkeypatch.undo()
        clients._card_query.cache_clear()


async def test_o_on_a_card_without_an_organisation_does_nothing(company, world, console, settle) -> None:
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        card = app.screen
        await pilot.press("o")
        await settle(pilot)
        assert app.screen is card
        assert len(app.screen_stack) == 3  # default, home, this card


async def wait_for_screen(pilot, screen_type: type, *, not_this: object = None) -> None:
    deadline = time.monotonic() + POP_DEADLINE_SECONDS
    while not isinstance(pilot.app.screen, screen_type) or pilot.app.screen is not_this:
        assert time.monotonic() < deadline, f"no {screen_type.__name__} within {POP_DEADLINE_SECONDS} s"
        await pilot.pause(0.05)
    await wait_for_workers(pilot.app)
    await pilot.pause()


def ring(engine, clock, number: str):
    with UnitOfWork(engine, clock=clock) as uow:
        return request_screen_pop(uow, operator_login=OPERATOR, number=number).requested_at


async def test_a_shared_number_asks_whose_card_and_times_the_call_from_the_ring(
    company, console, settle, engine, clock
) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        rang_at = ring(engine, clock, "84957000001")
        await wait_for_screen(pilot, WhoseCardScreen)
        choice = app.screen
        options = choice.query_one("#whose-list", OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "Romashka LLC  organisation",
            "Petrov Pyotr  person · Romashka LLC",
        ]
        assert options.highlighted == 0 and app.focused is options
        assert choice.query_one(CallTimer).started_at == rang_at
        await pilot.press("down", "enter")
        await wait_for_screen(pilot, ClientCardScreen)
        card = app.screen
        assert card.client_id == company.petrov_id
        assert card.call_started_at == rang_at
        assert len(card.query(CallTimer)) == 1


async def test_enter_takes_the_organisation_and_esc_does_too(company, console, settle, engine, clock) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        rang_at = ring(engine, clock, OFFICE)
        await wait_for_screen(pilot, WhoseCardScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, ClientCardScreen)
        first = app.screen
        assert (first.client_id, first.call_started_at) == (company.organisation_id, rang_at)
        assert first.card is not None  # the card read with the pop, shown at once
        rang_again = ring(engine, clock, OFFICE)
        await wait_for_screen(pilot, WhoseCardScreen)
        await pilot.press("escape")  # a live call is never dropped: Esc opens the first
        await wait_for_screen(pilot, ClientCardScreen, not_this=first)
        assert (app.screen.client_id, app.screen.call_started_at) == (company.organisation_id, rang_again)


async def test_a_person_opened_from_the_people_of_a_ringing_organisation_takes_the_call(
    company, console, settle, engine, clock
) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        rang_at = ring(engine, clock, OFFICE)
        await wait_for_screen(pilot, WhoseCardScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, ClientCardScreen)
        organisation = app.screen
        await pilot.press("4", "down", "enter")  # the caller turns out to be Sidorova
        await wait_for_screen(pilot, ClientCardScreen, not_this=organisation)
        person = app.screen
        assert (person.client_id, person.call_started_at) == (company.sidorova_id, rang_at)
        assert len(person.query(CallTimer)) == 1


async def test_a_number_with_one_owner_opens_the_card_at_once(
    company, console, settle, engine, clock
) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        ring(engine, clock, "+79160001122")
        await wait_for_screen(pilot, ClientCardScreen)
        assert app.screen.client_id == company.sidorova_id
        assert not any(isinstance(screen, WhoseCardScreen) for screen in app.screen_stack)


async def test_f1_in_the_choice_lists_its_keys(company, console, settle, engine, clock) -> None:
    from hotline.tui.screens.help import HelpScreen

    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        ring(engine, clock, OFFICE)
        await wait_for_screen(pilot, WhoseCardScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and app.screen.scope == "whose_card"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WhoseCardScreen)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("size", list(SIZES))
def test_snapshot_people_tab(backend, size, company, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_client(company.organisation_id)
        await settled(pilot)
        await pilot.press("4")
        await settled(pilot)

    assert snap_compare(console(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("size", list(SIZES))
def test_snapshot_whose_card(backend, size, company, console, snap_compare, engine, clock) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        ring(engine, clock, OFFICE)
        await wait_for_screen(pilot, WhoseCardScreen)
        await settled(pilot)

    assert snap_compare(console(poll_screen_pops=True), terminal_size=SIZES[size], run_before=run_before)


async def test_a_caller_id_with_a_rich_tag_asks_whose_card_shown_literally(
    company, console, settle, engine, clock
):
    """The phone system passes the caller ID as it came: ``+7 495 700-00-01 [/]`` is still the office's
    number, and the choice's frame, which names it, crashed the console (MarkupError)."""
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        ring(engine, clock, OFFICE + " [/]")
        await wait_for_screen(pilot, WhoseCardScreen)
        assert f"Whose card? {OFFICE} [/]" in screen_text(app)
