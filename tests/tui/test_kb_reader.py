"""The knowledge base for reading (F6): Enter opens the article in the reader, F1 explains the panel and
the reader, the count says "1 article"; from ctrl+k the reader inserts the article's text (not its
Markdown) on a paragraph of its own. Through Pilot on both backends; snapshots on SQLite."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Markdown, Static, TextArea

from hotline.tui.screens.help import HelpScreen, keys_table
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.kb_search import KbReaderScreen, KbSearchScreen, articles_count
from tests.tui.test_help_palette import table_text
from tests.tui.test_snapshots import SIZES, settled


async def test_f6_enter_opens_the_reader_and_esc_goes_back_step_by_step(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press(*"912", "f6")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen) and not panel.insert
        await pilot.press(*"toner")
        await settle(pilot)
        assert str(panel.query_one("#kb-hint", Static).render()) == "1 article"
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, KbReaderScreen)
        assert reader.choice.title == "Replacing the toner cartridge"
        source = reader.query_one("#kb-reader-article", Markdown).source
        assert source.startswith("# Replacing the toner cartridge\n\nOrder a new **toner cartridge**")
        assert "internal" in str(reader.query_one("#kb-reader-audience", Static).render())
        await pilot.press("f6")  # already open: not stacked again
        await settle(pilot)
        assert app.screen is reader
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is panel
        assert app.focused is panel.query_one("#kb-query", Input)
        assert panel.query_one("#kb-query", Input).value == "toner"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        assert home.query_one("#lookup", Input).value == "912"


async def test_ctrl_o_reads_the_highlighted_article_even_before_it_is_shown(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press(*"printer")
        await settle(pilot)
        panel = app.screen
        second = panel.hits[1].title.text
        await pilot.press("down", "ctrl+o")  # the second article may still be being read: it is read first
        await settle(pilot)
        assert isinstance(app.screen, KbReaderScreen)
        assert app.screen.choice.title == second


async def test_f1_in_the_panel_and_in_the_reader_shows_their_help(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        panel = app.screen
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.scope == "kb_search"
        assert '"two words" finds the phrase' in str(help_screen.query_one("#about", Static).render())
        keys = table_text(keys_table("kb_search"))
        assert "F1 kb: help" in keys and "Ctrl+O kb: read the article" in keys
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is panel
        await pilot.press(*"vpn", "enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, KbReaderScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and app.screen.scope == "kb_reader"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is reader


async def test_ctrl_k_then_the_reader_inserts_plain_text_on_its_own_paragraph(
    articles, world, console, settle
):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        note = app.screen
        await pilot.press(*"Ordered", "ctrl+k")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen) and panel.insert
        await pilot.press(*"toner", "ctrl+o")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, KbReaderScreen) and reader.can_insert
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is note
        body = note.query_one("#body", TextArea)
        assert body.text == (
            "Ordered\n\nOrder a new toner cartridge from the supplies portal. The printer shows a message"
            " when toner is low."
        )
        assert app.focused is body


def test_the_count_of_articles_is_in_words() -> None:
    assert [articles_count(n) for n in (1, 2, 11, 21)] == [
        "1 article",
        "2 articles",
        "11 articles",
        "21 articles",
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("size", list(SIZES))
def test_snapshot_kb_reader(backend, size, articles, world, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("f6")
        await settled(pilot)
        await pilot.press(*"password", "enter")
        await settled(pilot)

    assert snap_compare(console(), terminal_size=SIZES[size], run_before=run_before)
