"""The poller runs the event rules on each message, in the message's unit of work (real Dovecot)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mail_samples import plain
from mail_servers import Dovecot
from sqlmodel import select

from hotline.core.models import RuleTrace, Ticket
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.poller import Poller

pytestmark = pytest.mark.dovecot

RULES = [
    {
        "name": "routers",
        "on": ["mail.received"],
        "when": {"body_words": ["роутер"]},
        "actions": [{"priority": "urgent"}, {"tags": ["network"]}],
    }
]


def test_mail_received_rules_run_in_the_poll(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: tuple[Dovecot, str, str]
) -> None:
    server, user, _ = imap_user
    server.append(user, plain(message_id="<r1@client>", body="Не работает роутера."))
    server.append(user, plain(message_id="<r2@client>", body="Принтер."))
    settings = mail_settings.model_copy(
        update={"rules": mail_settings.model_validate({"rules": RULES}).rules}
    )
    poller = Poller(engine=engine, settings=settings, sla=SlaSetup.from_settings(settings), clock=clock)
    [report] = asyncio.run(poller.run_once(list(settings.mail.accounts)))
    assert report.created == 2
    with uow_factory(readonly=True) as uow:
        routed, other = uow.session.exec(select(Ticket).order_by(Ticket.number)).all()
        assert (routed.priority, routed.tags) == ("urgent", ["network"])
        assert (other.priority, other.tags) == ("normal", [])
        assert len(uow.session.exec(select(RuleTrace).where(RuleTrace.event == "mail.received")).all()) == 2
