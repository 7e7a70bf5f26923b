"""Calls and notes on a client's timeline, and the timeline read page by page, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.core.errors import PermissionDenied
from hotline.core.models import Client, Interaction
from hotline.core.models.enums import Direction, InteractionKind
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call, log_interaction, timeline_page
from hotline.core.services.operators import set_operator_active
from hotline.core.services.tickets import create_ticket
from tests.core.conftest import audit_actions


def test_calls_and_timeline_are_paged_newest_first(uow_factory, staff, clock) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Caller"), default_region="RU").id
        for minutes in range(7):
            log_call(
                uow,
                client_id=client_id,
                direction=Direction.IN,
                duration_seconds=60 + minutes,
                outcome=f"call {minutes}",
                started_at=clock.now() - timedelta(minutes=minutes),
            )
        ticket = create_ticket(uow, subject="Printer", queue="Support", client_id=client_id, body="It jams")
        log_interaction(uow, client_id=client_id, kind=InteractionKind.NOTE, notes="VIP, be nice")
        number = ticket.number
    with uow_factory(readonly=True) as uow:
        first = timeline_page(uow, client_id=client_id, limit=4)
        cursor = (first[-1].at, first[-1].source, first[-1].id)
        rest = timeline_page(uow, client_id=client_id, before=cursor, limit=100)
        client = uow.session.get(Client, client_id)
    everything = first + rest
    assert len(everything) == 9  # 7 calls, 1 note, 1 ticket event
    assert [item.at for item in everything] == sorted((item.at for item in everything), reverse=True)
    assert len({(item.source, item.id) for item in everything}) == 9
    assert any(item.ticket_number == number for item in everything)
    assert client.last_interaction_at == clock.now()


def test_a_call_logged_late_never_moves_the_last_interaction_back(uow_factory, staff, clock) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Caller"), default_region="RU").id
        log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=60, outcome="ok")
    with uow_factory("olga") as uow:
        log_call(
            uow,
            client_id=client_id,
            direction=Direction.OUT,
            duration_seconds=60,
            outcome="yesterday's call, logged now",
            started_at=clock.now() - timedelta(days=1),
        )
    with uow_factory(readonly=True) as uow:
        assert uow.session.get(Client, client_id).last_interaction_at == clock.now()


def test_a_deactivated_operator_is_refused_before_what_she_gave_is_checked(uow_factory, staff) -> None:
    """Logging a call or a note asks who may first: a deactivated operator's bad duration or blank note
    is a refusal (audited), not a message about the duration. The console's note form asked nobody."""
    with uow_factory() as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Caller"), default_region="RU").id
        set_operator_active(uow, login="olga", active=False)
    for kwargs in (
        {"kind": InteractionKind.NOTE, "notes": "a note"},
        {"kind": InteractionKind.NOTE, "notes": "  "},
        {"kind": InteractionKind.CALL, "duration_seconds": -5},
    ):
        with pytest.raises(PermissionDenied, match="deactivated"), uow_factory("olga") as uow:
            log_interaction(uow, client_id=client_id, **kwargs)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Interaction)).all() == []
        assert audit_actions(uow).count("refused:interaction.write") == 3
