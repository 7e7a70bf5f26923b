"""Where from: ctrl+g in the log-call and new-client forms picks a source and campaign; a screen pop of a
campaign's number starts the forms with that campaign."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Select

from hotline.core.attribution import CampaignConfig
from hotline.core.db import UnitOfWork
from hotline.core.models import Client, Interaction
from hotline.tui.screens.attribution_pick import AttributionScreen
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.log_call import LogCallScreen
from hotline.tui.screens.new_client import NewClientScreen
from tests.tui.conftest import console_settings
from tests.tui.test_untrusted_and_errors import screen_text


def settings():
    campaigns = [CampaignConfig(code="TV-NOV", source="TV", dialled=["+7 800 555-01-01"])]
    return console_settings().model_copy(update={"sources": ["TV", "Search"], "campaigns": campaigns})


async def test_ctrl_g_picks_the_source_of_a_logged_call(world, console, settle, engine):
    app = console(settings=settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, LogCallScreen)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, AttributionScreen)
        app.screen.query_one("#source", Select).value = "Search"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LogCallScreen)
        assert "Search" in str(app.screen.query_one("#attribution").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert (call.source, call.campaign) == ("Search", None)


async def test_a_pop_of_a_campaign_number_prefills_the_new_client(world, console, settle, engine):
    app = console(settings=settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_new_client("+7 999 000 11 22", call_started_at=app.ctx.clock.now(), campaign="TV-NOV")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        app.screen.query_one("#name", Input).value = "Caller From TV"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.campaign == "TV-NOV"
    with UnitOfWork(engine, readonly=True) as uow:
        client = uow.session.exec(select(Client).where(Client.name == "Caller From TV")).one()
        assert (client.source, client.campaign) == ("TV", "TV-NOV")


async def test_sources_and_campaigns_with_brackets_are_offered_as_they_are(world, console, settle):
    """A source named 'Radio [FM]' was offered as 'Radio ', a campaign name with '[link=x:y]' crashed the
    console (MarkupError) when ctrl+g opened the choice."""
    campaigns = [CampaignConfig(code="TV-NOV", name="Black Friday [link=x:y]", source="TV")]
    update = {"sources": ["TV", "Radio [FM]"], "campaigns": campaigns}
    app = console(settings=console_settings().model_copy(update=update))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_new_client("Someone")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, AttributionScreen)
        await pilot.press("enter")  # the sources list opens
        await settle(pilot)
        assert "Radio [FM]" in screen_text(app)
        await pilot.press("escape", "tab", "enter")  # the campaigns' list
        await settle(pilot)
        assert "TV-NOV — Black Friday [link=x:y]" in screen_text(app)
