"""The knowledge-base panel and the reminder list in the console, through Pilot on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import Input, Markdown, OptionList, Static, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Reminder
from hotline.core.services.reminders import create_reminder
from hotline.tui.screens.kb_search import KbChoice, KbResultsFound, KbSearchScreen
from hotline.tui.widgets.reminder_list import ReminderList
from tests.tui.conftest import wait_for_workers


def titles(screen: KbSearchScreen) -> list[str]:
    return [hit.title.text for hit in screen.hits]


async def open_panel(app, pilot, settle, chosen: list[object]) -> KbSearchScreen:
    await settle(pilot)
    app.push_screen(KbSearchScreen(app.ctx), chosen.append)
    await settle(pilot)
    assert isinstance(app.screen, KbSearchScreen)
    return app.screen


async def test_type_to_search_read_and_insert(articles, world, console, settle) -> None:
    app = console()
    chosen: list[object] = []
    async with app.run_test(size=(110, 32)) as pilot:
        panel = await open_panel(app, pilot, settle, chosen)
        await pilot.press(*"принтеры")
        await settle(pilot)
        assert titles(panel) == ["Принтер не печатает", "Замятие бумаги"]
        assert "2 articles" in str(panel.query_one("#kb-hint", Static).render())
        assert panel.shown is not None
        assert panel.shown.title == "Принтер не печатает"
        assert "принтеры не печатают" in panel.query_one("#kb-article", Markdown).source
        await pilot.press("down")
        await settle(pilot)
        assert panel.shown.title == "Замятие бумаги"
        await pilot.press("enter")
        await settle(pilot)
    assert len(chosen) == 1
    choice = chosen[0]
    assert isinstance(choice, KbChoice)
    assert choice.slug == "ru/8-paper"
    assert "извлеките замятую бумагу" in choice.body


async def test_bad_queries_show_a_hint_never_an_error(articles, world, console, settle) -> None:
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        panel = await open_panel(app, pilot, settle, [])
        query = panel.query_one("#kb-query", Input)
        for text, hint in [
            ('"paper jam', "quote was not closed"),
            ("NOT", "NOT needs a word"),
            ("🙂", "no letters or digits"),
            ("(((", "nothing left"),
        ]:
            query.value = text
            await settle(pilot)
            assert hint in str(panel.query_one("#kb-hint", Static).render()), text
        assert titles(panel) == []
        query.value = '"paper jam'
        await settle(pilot)
        assert titles(panel) == ["Clearing a paper jam"]
        assert isinstance(app.screen, KbSearchScreen)


async def test_stale_results_are_discarded(articles, world, console, settle) -> None:
    from hotline.core.kb.index import SearchResult

    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        panel = await open_panel(app, pilot, settle, [])
        await pilot.press(*"toner")
        await settle(pilot)
        assert titles(panel) == ["Replacing the toner cartridge"]
        panel.on_kb_results_found(KbResultsFound(panel.generation - 1, SearchResult("old", [], None)))
        assert titles(panel) == ["Replacing the toner cartridge"]


async def test_escape_closes_with_nothing(articles, world, console, settle) -> None:
    app = console()
    chosen: list[object] = []
    async with app.run_test(size=(110, 32)) as pilot:
        await open_panel(app, pilot, settle, chosen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, KbSearchScreen)
    assert chosen == [None]


async def test_ctrl_k_in_a_note_inserts_the_article(articles, world, console, settle) -> None:
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, KbSearchScreen)
        await pilot.press(*"vpn -пароль")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        body = app.screen.query_one("#body", TextArea).text
    assert "When the VPN connection drops" in body


async def test_due_reminders_toast_and_keys(world, console, settle, engine, clock) -> None:
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        due_id = create_reminder(
            uow, text="Call Ivanov back", due_at=clock.now(), client_id=world.ivanov_id
        ).id
        create_reminder(uow, text="Later", due_at=clock.now() + timedelta(hours=2))
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ReminderList)
        assert [r.text for r in panel.reminders] == ["Call Ivanov back", "Later"]
        assert panel.announced == {due_id}
        assert [n.message for n in app._notifications] == ["Call Ivanov back — Ivan Ivanov"]
        panel.query_one(OptionList).focus()
        await pilot.press("s")
        await settle(pilot)
        with UnitOfWork(engine, clock=clock) as uow:
            assert uow.session.get(Reminder, due_id).due_at == clock.now() + timedelta(minutes=10)
        assert [r.text for r in panel.reminders] == ["Call Ivanov back", "Later"]
        await pilot.press("d")
        await settle(pilot)
        assert [r.text for r in panel.reminders] == ["Later"]
        with UnitOfWork(engine, clock=clock) as uow:
            statuses = {r.text: r.status for r in uow.session.exec(select(Reminder))}
        assert statuses == {"Call Ivanov back": "done", "Later": "pending"}


async def test_a_reminder_falling_due_while_open_pops_up_once(world, console, settle, engine, clock) -> None:
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        create_reminder(uow, text="In five minutes", due_at=clock.now() + timedelta(minutes=5))
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ReminderList)
        assert panel.announced == set()
        clock.advance(minutes=5)
        panel.reload()
        await settle(pilot)
        panel.reload()
        await settle(pilot)
        assert [n.message for n in app._notifications] == ["In five minutes"]


async def _settled_no_blink(pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_kb_panel_with_results(backend, articles, world, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _settled_no_blink(pilot)
        pilot.app.push_screen(KbSearchScreen(pilot.app.ctx))
        await _settled_no_blink(pilot)
        await pilot.press(*"printer")
        await _settled_no_blink(pilot)

    assert snap_compare(console(), terminal_size=(100, 30), run_before=run_before)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_kb_panel_at_80x24_with_a_hint(backend, articles, world, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _settled_no_blink(pilot)
        pilot.app.push_screen(KbSearchScreen(pilot.app.ctx))
        await _settled_no_blink(pilot)
        await pilot.press(*'"paper jam')
        await _settled_no_blink(pilot)

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


async def test_more_matches_than_the_panel_lists_are_said(
    world, engine, clock, console, settle, tmp_path
) -> None:
    """40 articles match, the panel lists the best 30: it said "30 articles", as if those were all."""
    from hotline.core.services.kb import import_folder
    from hotline.tui.screens.kb_search import RESULTS_LIMIT

    folder = tmp_path / "kb"
    folder.mkdir()
    for n in range(RESULTS_LIMIT + 10):
        (folder / f"{n}.md").write_text(f"---\ntitle: Fax {n}\n---\nThe fax machine number {n}.\n")
    with UnitOfWork(engine, clock=clock) as uow:
        import_folder(uow, folder=folder)
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        panel = await open_panel(app, pilot, settle, [])
        await pilot.press(*"fax")
        await settle(pilot)
        assert len(panel.hits) == RESULTS_LIMIT
        hint = str(panel.query_one("#kb-hint", Static).render())
        assert hint == f"the best {RESULTS_LIMIT} articles; more match: add a word", hint
