"""Untrusted text shows literally (no markup, no escape sequences); database errors are a toast."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.widgets import Input

from hotline.core.db import UnitOfWork
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.widgets.client_header import ClientHeader
from hotline.tui.widgets.lookup_results import LookupResults
from hotline.tui.widgets.timeline_table import TimelineTable


def rendered(renderable) -> str:
    """What the terminal would receive for ``renderable``, with styles."""
    console = Console(width=200, record=True, force_terminal=True, color_system="truecolor")
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


async def test_hostile_client_name_is_shown_literally(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"4951112233")
        await settle(pilot)
        results = app.screen.query_one(LookupResults)
        prompt = results.get_option_at_index(0).prompt
        assert prompt.plain.startswith("☎ [bold red]x[/] ") and "Mallory" in prompt.plain
        assert "\x1b" not in prompt.plain
        assert "\x1b[2J" not in rendered(prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        header = app.screen.query_one(ClientHeader).render()
        assert "[bold red]x[/] Mallory" in str(header)
        assert "\x1b" not in str(header)


async def test_escape_sequences_in_ticket_subjects_never_reach_the_terminal(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        timeline = app.screen.query_one(TimelineTable)
        cells = [str(cell) for row in range(timeline.row_count) for cell in timeline.get_row_at(row)]
        assert any("Invoice not received" in cell for cell in cells)
        assert not any("\x1b" in cell for cell in cells)
        summary = str(app.screen.query_one("#tickets-table").get_row_at(0)[-1])
        assert summary == "Invoice not received"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_database_errors_are_readable_toasts(backend, engine, clock, settle, tmp_path):
    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.tui.app import make_app

    broken = make_engine(f"sqlite:///{tmp_path}")  # a directory: "unable to open database file"
    app = make_app(
        settings=Settings(), engine=broken, operator_login="anna", clock=clock, poll_screen_pops=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"ivan")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages, "a failed worker must be reported"
        assert all("Traceback" not in message for message in messages)
        assert any(message.startswith("database unavailable") for message in messages), messages
        assert isinstance(app.screen, HomeScreen)
        await pilot.press(*"ov")
        await settle(pilot)
        assert app.screen.query_one("#lookup", Input).value == "ivanov"
        assert app.screen._in_flight is False


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_no_color_turns_the_console_monochrome(backend, world, console, settle, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = console()
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_raw_driver_error_is_the_same_toast_as_the_cli_line(backend, world, engine, console, settle):
    """The lookup reads SQLite through the sqlite3 driver itself: its ``sqlite3.OperationalError`` is read
    by the one classifier, as ``hotline lookup`` reads it (tests/cli/test_db_cli.py: a broken index)."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("DROP TABLE search_phone_owner"))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"5567")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert "database unavailable: no such table: search_phone_owner" in messages, messages
        assert isinstance(app.screen, HomeScreen)
        assert app.screen._in_flight is False


def screen_text(app) -> str:
    """The characters on screen (the screenshot's text, spaces as spaces)."""
    import html
    import re

    parts = re.findall(r"<text[^>]*>(.*?)</text>", app.export_screenshot(), re.DOTALL)
    return html.unescape("".join(parts)).replace("\xa0", " ")


async def test_a_hostile_name_in_the_history_title_is_shown_literally(
    world, supervisor, console, settle, engine
):
    """The history's title names the client: a name with a link tag crashed the console (MarkupError) and
    ``[bold]`` was read as markup."""
    from hotline.core.services.clients import ClientChanges, update_client
    from hotline.tui.screens.audit_history import AuditHistoryScreen

    with UnitOfWork(engine, actor_login=supervisor) as uow:
        update_client(
            uow,
            client_id=world.hostile_id,
            changes=ClientChanges(name="[bold]B[/] [link=x://y]L"),
            default_region="RU",
        )
    app = console(operator_login=supervisor)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.hostile_id)
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, AuditHistoryScreen)
        assert "History: [bold]B[/] [link=x://y]L" in screen_text(app)


async def test_a_hostile_article_title_in_the_reader_is_shown_literally(
    world, console, settle, engine, tmp_path
):
    """The reader's frame shows the article's title: a title with a link tag crashed the console."""
    from hotline.core.services.kb import import_folder
    from hotline.tui.screens.kb_search import KbReaderScreen

    (tmp_path / "a.md").write_text('---\ntitle: "Zebra [bold]B[/] [link=x://y]L"\n---\nZebra crossing.\n')
    with UnitOfWork(engine) as uow:
        import_folder(uow, folder=tmp_path)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f6", *"zebra")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, KbReaderScreen)
        assert "Zebra [bold]B[/] [link=x://y]L" in screen_text(app)


async def test_a_link_in_an_article_opens_only_on_the_web_or_in_mail(
    world, console, settle, engine, tmp_path, monkeypatch
):
    """A clicked link in the reader opened whatever the article's file said: ``file:///etc/shadow``,
    ``ssh://``, or ``other.md`` (which is no article), with whatever the desktop had for it. Only web and
    mail links open; another is named, not opened."""
    from textual.widgets import Markdown

    from hotline.core.services.kb import import_folder
    from hotline.tui.screens.kb_search import KbReaderScreen

    (tmp_path / "a.md").write_text("# Zebra\n\n[web](https://example.org) [f](file:///etc/shadow)\n")
    with UnitOfWork(engine) as uow:
        import_folder(uow, folder=tmp_path)
    app = console()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f6", *"zebra")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, KbReaderScreen)
        article = app.screen.query_one("#kb-reader-article", Markdown)
        for href in ("https://example.org", "file:///etc/shadow", "other.md"):
            article.post_message(Markdown.LinkClicked(article, href))
            await settle(pilot)
        assert opened == ["https://example.org"]
        messages = [n.message for n in app._notifications]
        assert "Not opened: only web and mail links open, not 'file:///etc/shadow'." in messages


async def test_pasted_escape_sequences_never_reach_the_terminal_or_the_database(
    world, console, settle, engine
):
    """A paste into a field kept its escape sequences: the field drew them (a screen clear, an OSC 52
    clipboard write) to the operator's terminal, and the note was saved with them."""
    from sqlmodel import select
    from textual import events
    from textual.widgets import TextArea

    from hotline.core.models import Interaction

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.post_message(events.Paste("Line \x1b[2Jone\r\n\x1b]52;c;SGVsbG8=\x07two\u202e\tend"))
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "Line one\ntwo\tend"
        assert not any(
            "\x1b" in segment.text for strip in app.screen._compositor.render_strips() for segment in strip
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        note = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert note.notes == "Line one\ntwo\tend"
