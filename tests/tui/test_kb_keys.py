"""The knowledge base one key away: F6 from anywhere (the lookup box, the card, a call being logged) and
ctrl+k in a ticket's reply (public articles only) or note (all articles), on both backends."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Ticket
from hotline.core.models.mail import OutboxMessage
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.kb_search import KbReaderScreen, KbSearchScreen
from hotline.tui.screens.log_call import LogCallScreen
from hotline.tui.screens.ticket import TicketScreen
from hotline.tui.screens.ticket_reply import TicketTextScreen


def titles(panel: KbSearchScreen) -> list[str]:
    return [hit.title.text for hit in panel.hits]


async def test_f6_from_the_lookup_box_opens_the_panel_and_esc_returns_to_it(articles, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press(*"912")
        await settle(pilot)
        assert app.focused is home.query_one("#lookup", Input)
        await pilot.press("f6")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen)
        assert panel.audience is None
        await pilot.press(*"toner")
        await settle(pilot)
        assert titles(panel) == ["Replacing the toner cartridge"]
        await pilot.press("f6")  # already open: not stacked twice
        await settle(pilot)
        assert app.screen is panel
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        assert home.query_one("#lookup", Input).value == "912"


async def test_f6_from_the_card(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, KbSearchScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card


async def test_f6_during_a_call_keeps_the_form_and_what_was_typed(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        await pilot.press(*"printer jam")
        assert app.focused is form.query_one("#notes", TextArea)
        await pilot.press("f6")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen)
        await pilot.press(*"paper jam")
        await settle(pilot)
        assert titles(panel)[0] == "Clearing a paper jam"
        assert panel.shown is not None and "remove the jammed paper" in panel.shown.body
        await pilot.press("enter")  # from F6 Enter opens the reader: nothing goes into the form
        await settle(pilot)
        assert isinstance(app.screen, KbReaderScreen)
        assert app.screen.choice.title == "Clearing a paper jam"
        await pilot.press("ctrl+s")  # nothing to insert into from F6
        await settle(pilot)
        assert isinstance(app.screen, KbReaderScreen)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#notes", TextArea).text == "printer jam"


async def test_ctrl_k_in_a_reply_offers_public_articles_and_inserts_the_body(
    articles, world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TicketTextScreen) and form.reply
        await pilot.press(*"Hello. ")
        await pilot.press("ctrl+k")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen)
        assert panel.audience == "public"
        await pilot.press(*"toner")  # an internal article only
        await settle(pilot)
        assert titles(panel) == []
        panel.query_one("#kb-query", Input).value = "vpn"  # one public article, two internal ones
        await settle(pilot)
        assert titles(panel) == ["Resetting a password"]
        assert {hit.audience for hit in panel.hits} == {"public"}
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        text = form.query_one("#text", TextArea).text
        # the article's text, not its Markdown, on a paragraph of its own
        assert text.startswith("Hello. \n\nPasswords are reset from the self-service portal (https://portal.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is ticket
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        row = uow.session.exec(select(Ticket).where(Ticket.number == world.ticket_number)).one()
        mail = uow.session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == row.id)).one()
    assert "Passwords are reset from the self-service portal (https://portal.example)." in mail.body


async def test_ctrl_k_in_a_ticket_note_offers_internal_articles_too(articles, world, console, settle):
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TicketTextScreen) and not form.reply
        await pilot.press("ctrl+k")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, KbSearchScreen)
        assert panel.audience is None
        await pilot.press(*"vpn")
        await settle(pilot)
        assert set(titles(panel)) == {"VPN connection drops", "Resetting a password", "VPN не подключается"}
        await pilot.press(*" -пароль -password")
        await settle(pilot)
        assert titles(panel) == ["VPN connection drops"]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "When the VPN connection drops" in form.query_one("#text", TextArea).text


def test_an_article_is_inserted_as_it_reads_not_as_markdown():
    from hotline.tui.widgets.kb_insert import plain_text

    markdown = (
        "# Reset a password\n\nOpen **Settings**, then [the portal](https://portal.example).\n\n"
        "1. Log in\n2. Click *Reset*\n\n- one\n- two\n\n```\ncode  here\n```\n\nDone."
    )
    assert plain_text(markdown) == (
        "Reset a password\n\nOpen Settings, then the portal (https://portal.example).\n\n"
        "1. Log in\n2. Click Reset\n\n- one\n- two\n\ncode  here\n\nDone."
    )


async def test_an_article_made_internal_while_shown_is_not_inserted_into_a_reply(
    articles, world, console, settle, engine, clock
):
    """The reply's panel showed a public article; an admin made it internal meanwhile; Enter inserted
    the copy read before, and it went to the client. It is read again, and refused."""
    from hotline.core.models import KbArticle

    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        await pilot.press("ctrl+k")
        await settle(pilot)
        panel = app.screen
        panel.query_one("#kb-query", Input).value = "vpn"
        await settle(pilot)
        assert titles(panel) == ["Resetting a password"] and panel.shown is not None
        with UnitOfWork(engine, clock=clock) as uow:
            article = uow.session.exec(
                select(KbArticle).where(KbArticle.title == "Resetting a password")
            ).one()
            article.audience = "internal"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is panel
        assert any(
            n.message == "Not inserted: the article 'Resetting a password' is internal now"
            " (only public ones may go here)."
            for n in app._notifications
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#text", TextArea).text == ""


async def test_an_article_removed_while_listed_says_so_when_inserted(
    articles, world, console, settle, engine, clock
):
    """An import removed the listed article (its file was renamed); Enter said "no knowledge-base article
    7", of an article the operator saw listed. It says the article was removed since it was listed."""
    from hotline.core.models import KbArticle
    from hotline.core.services.kb import delete_article

    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        await pilot.press("ctrl+k")
        await settle(pilot)
        panel = app.screen
        panel.query_one("#kb-query", Input).value = "vpn"
        await settle(pilot)
        assert titles(panel) == ["Resetting a password"] and panel.shown is not None
        with UnitOfWork(engine, clock=clock) as uow:
            article = uow.session.exec(
                select(KbArticle).where(KbArticle.title == "Resetting a password")
            ).one()
            delete_article(uow, article_id=article.id or 0)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is panel
        messages = [n.message for n in app._notifications]
        assert (
            "The article 'Resetting a password' is no longer in the knowledge base"
            " (removed since it was listed): search again." in messages
        ), messages
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#text", TextArea).text == ""
