"""A reply from the console or the CLI goes out through the outbox with the ticket tag, once."""

from __future__ import annotations

from sqlmodel import select

from hotline.core.models import OutboxMessage, TicketEvent
from hotline.core.services.tickets import create_ticket, reply_ticket
from tests.conftest import SENDING


def test_reply_is_an_event_and_one_threaded_outbox_row(uow_factory) -> None:
    with uow_factory() as uow:
        number = create_ticket(
            uow, subject="Re: printer jams", queue="Support", requester="anna@example.com"
        ).number
    with uow_factory() as uow:
        event = reply_ticket(
            uow, number=number, expected_version=None, body="Please restart it.", sla=None, sending=SENDING
        )
        event_id = event.id
    with uow_factory(readonly=True) as uow:
        (mail,) = uow.session.exec(select(OutboxMessage)).all()
        stored = uow.session.get(TicketEvent, event_id)
    assert stored.kind == "message_out"
    assert mail.to_addrs == ["anna@example.com"]
    assert mail.event_id == event_id
    assert f"[#{number}]" in mail.subject
    assert mail.subject.lower().count("re:") == 1
    assert mail.body == "Please restart it."
