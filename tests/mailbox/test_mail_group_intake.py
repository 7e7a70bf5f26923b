"""A fetched group read at once (``intake_group``): later messages of a group see what earlier ones wrote,
the group's new clients are found by the lookup, and overlapping pollers keep the acknowledgement cap.

Against the real Dovecot, on SQLite and PostgreSQL; each poll here fetches its messages as one group.
"""

from __future__ import annotations

from typing import Any

import pytest
from mail_samples import plain, reply
from mail_servers import Dovecot
from polling import count, overlapping_polls, poll
from sqlmodel import select

from hotline.core.models import AuditEntry, Client, OutboxMessage, Ticket, TicketEvent
from hotline.core.search import lookup

pytestmark = pytest.mark.dovecot


def test_replies_in_the_same_group_thread_onto_the_ticket_their_root_opened(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: tuple[Dovecot, str, str]
) -> None:
    server, user, _ = imap_user
    server.append(user, plain(message_id="<root@c>", subject="Printer", sender="ivan@example.ru"))
    server.append(user, reply(message_id="<r1@c>", in_reply_to="<root@c>"))
    server.append(user, reply(message_id="<r2@c>", references="<unknown@x> <r1@c>"))
    server.append(user, plain(message_id="<other@c>", subject="Invoice", sender="olga@example.ru"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.threaded, report.acknowledged) == (2, 2, 2)
    with uow_factory(readonly=True) as uow:
        rows = uow.session.exec(
            select(Ticket.subject, TicketEvent.message_id)
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(TicketEvent.kind == "message_in")
            .order_by(TicketEvent.id)
        ).all()
    assert rows == [
        ("Printer", "<root@c>"),
        ("Printer", "<r1@c>"),
        ("Printer", "<r2@c>"),
        ("Invoice", "<other@c>"),
    ]
    with uow_factory(readonly=True) as uow:  # the group's entries, written together at its end
        audits = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "mail.intake").order_by(AuditEntry.id)
        ).all()
    assert [(entry.after["message_id"], entry.after["created"]) for entry in audits] == [
        ("<root@c>", True),
        ("<r1@c>", False),
        ("<r2@c>", False),
        ("<other@c>", True),
    ]


def test_clients_a_group_created_are_one_per_address_and_found_by_the_lookup(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: tuple[Dovecot, str, str]
) -> None:
    server, user, _ = imap_user
    for i, sender in enumerate(
        ["Anna Petrova <anna@example.com>", "ANNA@example.com", "Boris <b@example.org>"]
    ):
        server.append(user, plain(message_id=f"<m{i}@c>", subject=f"s{i}", sender=sender))
    assert poll(engine, mail_settings, clock).created == 3
    assert count(uow_factory, Client) == 2
    with uow_factory(readonly=True) as uow:
        anna = lookup(uow.session, "anna@example.com", default_region="RU")
        boris = lookup(uow.session, "Boris", default_region="RU")
    assert [(hit.kind, hit.title) for hit in anna if hit.kind == "client"] == [("client", "Anna Petrova")]
    assert [(hit.kind, hit.title) for hit in boris if hit.kind == "client"] == [("client", "Boris")]


def test_two_overlapping_polls_keep_the_daily_acknowledgement_cap(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: tuple[Dovecot, str, str]
) -> None:
    """Each poll reads the sender's count once for its group; the other poll's acknowledgements written
    meanwhile are not in that count, but the slot's Message-ID is unique, so a taken slot is not sent
    again: never more than the cap (3 in these settings), whichever poll takes which message."""
    server, user, _ = imap_user
    for i in range(8):
        server.append(user, plain(message_id=f"<o{i}@c>", subject=f"o{i}", sender="robot@example.org"))
    reports = overlapping_polls(engine, mail_settings, clock)
    assert sum(report.created for report in reports) == 8
    assert count(uow_factory, Ticket) == 8
    assert count(uow_factory, OutboxMessage) == 3
    assert sum(report.acknowledged for report in reports) == 3
