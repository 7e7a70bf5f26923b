"""Sources and campaigns: the configured lists, their checks, and clients, calls and tickets carrying them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hotline.core.attribution import Attribution, Attributions, CampaignConfig
from hotline.core.errors import ConfigError, InvalidInput
from hotline.core.models import Client, Interaction, ScreenPop, Ticket
from hotline.core.models.enums import Direction, Role
from hotline.core.services.clients import ClientChanges, ClientDraft, create_client, update_client
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from hotline.core.services.screen_pop import request_screen_pop
from hotline.core.services.tickets import create_ticket
from hotline.core.settings import load_settings

CAMPAIGNS = Attributions(
    sources=("TV", "Search", "Friend"),
    campaigns=(
        CampaignConfig(code="TV-NOV", name="November spot", source="TV", cost=90000, dialled=["+7 800 555-01-01"]),
        CampaignConfig(code="CTX-1", source="Search", starts=date(2026, 11, 1), ends=date(2026, 11, 30)),
    ),
)  # fmt: skip


def test_resolve_checks_both_and_a_campaign_brings_its_source() -> None:
    assert CAMPAIGNS.resolve(source=" ", campaign=None) == Attribution()
    assert CAMPAIGNS.resolve(source="Friend", campaign=None) == Attribution("Friend", None)
    assert CAMPAIGNS.resolve(source=None, campaign="TV-NOV") == Attribution("TV", "TV-NOV")
    assert CAMPAIGNS.resolve(source="Friend", campaign="TV-NOV") == Attribution("Friend", "TV-NOV")
    with pytest.raises(InvalidInput, match="unknown source 'Radio'") as error:
        CAMPAIGNS.resolve(source="Radio", campaign=None, where="--")
    assert error.value.where == "--source"
    with pytest.raises(InvalidInput, match=r"unknown campaign 'X' \(known: TV-NOV, CTX-1\)"):
        CAMPAIGNS.resolve(source=None, campaign="X")


def test_the_dialled_number_names_the_campaign() -> None:
    assert CAMPAIGNS.for_dialled("88005550101") == Attribution("TV", "TV-NOV")  # trunk 8 instead of +7
    assert CAMPAIGNS.for_dialled("+7 (800) 555-01-01") == Attribution("TV", "TV-NOV")
    assert CAMPAIGNS.for_dialled("+7 800 555-01-02") == Attribution()
    assert CAMPAIGNS.for_dialled(None) == Attribution()


@pytest.mark.parametrize(
    ("toml", "reason"),
    [
        ('sources = ["TV", "TV"]', "listed twice"),
        ('sources = ["TV"]\n[[campaigns]]\ncode = "A"\nsource = "Radio"', "source 'Radio' is not in sources"),
        ('[[campaigns]]\ncode = "A"\n[[campaigns]]\ncode = "A"', "code 'A' is used twice"),
        ('[[campaigns]]\ncode = "A"\ndialled = ["1"]\n[[campaigns]]\ncode = "B"\ndialled = ["+1"]', "already belongs"),
        ('[[campaigns]]\ncode = "A"\nstarts = 2026-11-02\nends = 2026-11-01', "ends (2026-11-01) before it starts"),
        ('[[campaigns]]\ncode = "A"\ncost = -1', "greater than or equal to 0"),
        # inf passed, and every report of the campaign wrote Infinity: a JSON no parser but Python's reads
        ('[[campaigns]]\ncode = "A"\ncost = inf', "campaigns.0.cost: Input should be a finite number"),
        ('[[campaigns]]\ncode = "A"\ncost = nan', "campaigns.0.cost: Input should be a finite number"),
        ('[[campaigns]]\ncode = "A"\ncost = 1e308', "less than or equal to"),  # two of them summed to inf
        ('[[campaigns]]\ncode = "A"\ndialled = ["call us"]', "not a phone number"),
        # written raw into a CSV report on the terminal, stored on every ticket and client of the source
        ('sources = ["TV\\u001b[31m"]', "is not printable text"),
        ('sources = [" "]', "sources: a source is blank"),
        (f'sources = ["{"x" * 101}"]', "is longer than 100 characters"),
        ('[[campaigns]]\ncode = "A"\nname = "Evil \\u001b]0;x\\u0007"', "a campaign name is printable text"),
    ],
)  # fmt: skip
def test_bad_campaign_configuration_is_refused_when_loaded(tmp_path: Path, toml: str, reason: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path)


def test_clients_calls_tickets_and_pops_carry_it(engine, uow_factory) -> None:
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
    with uow_factory(actor_login="anna") as uow:
        client = create_client(
            uow,
            draft=ClientDraft(name="Ivan", campaign="TV-NOV"),
            default_region="RU",
            attributions=CAMPAIGNS,
        )
        with pytest.raises(InvalidInput, match="unknown source"):
            create_client(
                uow, draft=ClientDraft(name="X", source="Radio"), default_region="RU", attributions=CAMPAIGNS
            )
        came_from = CAMPAIGNS.for_dialled("88005550101")
        log_call(uow, client_id=client.id, direction=Direction.IN, duration_seconds=30, outcome="sale",
                 attribution=came_from)  # fmt: skip
        client_id = client.id
    with uow_factory() as uow:
        create_ticket(uow, subject="Order", queue="Sales", client_id=client_id, attribution=came_from)
        request_screen_pop(uow, operator_login="anna", number="+7 912 000 00 00", campaign="TV-NOV")
    with uow_factory(actor_login="anna") as uow:
        changed = update_client(uow, client_id=client_id, changes=ClientChanges(source="Friend"),
                                default_region="RU", attributions=CAMPAIGNS)  # fmt: skip
        assert (changed.source, changed.campaign) == ("Friend", "TV-NOV")
    with uow_factory(readonly=True) as uow:
        assert (uow.session.get(Client, client_id).source, uow.session.get(Client, client_id).campaign) == (
            "Friend", "TV-NOV",
        )  # fmt: skip
        for table in (Interaction, Ticket):
            row = uow.session.query(table).one()
            assert (row.source, row.campaign) == ("TV", "TV-NOV")
        assert uow.session.query(ScreenPop).one().campaign == "TV-NOV"
