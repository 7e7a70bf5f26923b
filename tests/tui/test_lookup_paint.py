"""What a keystroke in the lookup box costs the console: a repaint of the box and of the list, no
layout of the screen, and the results painted the moment they come (not on the next frame tick)."""

from __future__ import annotations

import inspect
from typing import Any

from textual.screen import Screen

from hotline.core.db import UnitOfWork
from hotline.core.services.clients import ClientDraft, create_client
from hotline.tui.screens.home import HomeScreen
from hotline.tui.widgets.lookup_box import LookupBox
from hotline.tui.widgets.lookup_results import LookupResults
from tests.tui.conftest import OPERATOR

PETROVS = 12


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(char, char) for char in text])


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def count_layouts(monkeypatch) -> list[Screen[Any]]:
    """Every layout of a screen from now on (the list grows by one screen per layout)."""
    layouts: list[Screen[Any]] = []
    original = Screen._refresh_layout

    def counted(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        layouts.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return layouts


async def test_typing_and_new_results_lay_out_nothing(world, console, settle, monkeypatch):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the first layouts: the screen, then its reminders panel
        layouts = count_layouts(monkeypatch)
        results = app.screen.query_one(LookupResults)
        await type_text(pilot, "Ivanov")
        await settle(pilot)
        assert results.option_count >= 2
        await pilot.press(*["backspace"] * 6)
        await type_text(pilot, "495111")  # one hit: the list's virtual height changes
        await settle(pilot)
        assert [hit.id for hit in results.hits] == [world.hostile_id]
        assert layouts == []


async def test_more_hits_than_rows_scroll_and_the_scrollbar_comes_and_goes(
    world, engine, clock, console, settle
):
    with UnitOfWork(engine, actor_login=OPERATOR, clock=clock) as uow:
        for number in range(PETROVS):
            create_client(
                uow,
                draft=ClientDraft(first_name=f"Client{number:02d}", last_name="Petrov"),
                default_region="RU",
            )
    app = console()
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot)
        home = app.screen
        results = home.query_one(LookupResults)
        assert results.scrollable_content_region.height < PETROVS
        await type_text(pilot, "Petrov")
        await settle(pilot)
        assert results.option_count == PETROVS
        assert results.show_vertical_scrollbar
        home.find_widget(results.vertical_scrollbar)  # laid out: on the screen, not only wanted
        await pilot.press(*["down"] * (PETROVS - 1))
        await pilot.pause()
        assert results.highlighted == PETROVS - 1
        assert results.scroll_y > 0
        assert f"Client{PETROVS - 1:02d}" in screen_text(app)
        await type_text(pilot, " Client03")
        await settle(pilot)
        assert [hit.title for hit in results.hits][:1] == ["Client03 Petrov"]
        if results.option_count <= results.scrollable_content_region.height:
            assert not results.show_vertical_scrollbar
            assert results.scroll_y == 0


async def test_text_longer_than_the_box_scrolls_and_comes_back(world, console, settle):
    app = console()
    async with app.run_test(size=(40, 20)) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#lookup", LookupBox)
        typed = "abcdefghij" * 6
        await type_text(pilot, typed)
        await settle(pilot)
        assert box.value == typed
        assert box.virtual_size.width == len(typed) + 1
        assert box.scroll_x > 0
        content = box.content_region
        assert content.x <= box.cursor_screen_offset.x <= content.right  # in sight (at the end: the padding)
        await pilot.press("escape")
        await settle(pilot)
        assert box.value == ""
        assert "hone, name" in screen_text(app)  # the placeholder, from its start (P under the cursor)


async def test_results_are_painted_as_they_come_not_on_a_frame_tick(world, console, settle, monkeypatch):
    """Textual paints on a 60 Hz grid; the frame with new results must not wait for its next tick."""
    app = console()
    results_frames: list[bool] = []
    """Per lookup shown: whether the frame that put it on the terminal came from the frame timer."""
    awaiting = [False]
    display = type(app)._display
    received = HomeScreen.on_lookup_finished

    def watched_display(self, screen, renderable) -> None:
        if renderable is not None and awaiting[0]:
            awaiting[0] = False
            results_frames.append(any(frame.function == "_tick" for frame in inspect.stack(context=0)))
        display(self, screen, renderable)

    def watched(self: HomeScreen, message) -> None:
        received(self, message)
        if message.generation == self._generation:
            awaiting[0] = True

    monkeypatch.setattr(type(app), "_display", watched_display)
    monkeypatch.setattr(HomeScreen, "on_lookup_finished", watched)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for char in "345 67":
            await type_text(pilot, char)
            await settle(pilot)
        assert len(results_frames) == len("345 67")
        assert not any(results_frames)
        assert app.screen.query_one(LookupResults).hits[0].id == world.ivanov_id
