"""The mail promise against a real Dovecot, on SQLite and PostgreSQL: what machines, strangers and
hard servers send is recorded, and none of it reopens, loops, merges or blocks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mail_samples import plain, reply
from polling import count, poll
from sqlmodel import select

from hotline.core.models import AuditEntry, OutboxMessage, Ticket, TicketEvent
from hotline.core.models.enums import ClientKind, TicketStatus
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.outbox import enqueue_mail, enqueue_ticket_reply
from hotline.core.services.tickets import create_ticket, update_ticket
from hotline.mailbox.convert import parse_message
from hotline.mailbox.sender import Sender

pytestmark = pytest.mark.dovecot


def tickets(uow_factory: Any) -> list[Ticket]:
    with uow_factory(readonly=True) as uow:
        return list(uow.session.exec(select(Ticket).order_by(Ticket.number)))


@pytest.mark.parametrize(
    ("extra", "reopens"),
    [
        (b"Auto-Submitted: auto-replied\r\n", False),
        (b"X-Autoreply: yes\r\n", False),
        (b"Precedence: bulk\r\n", False),
        (b"List-Id: <team.example.com>\r\n", True),  # a person's answer, through a list
    ],
)
def test_an_auto_reply_is_recorded_but_reopens_nothing(
    extra: bytes, reopens: bool, engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    server.append(user, plain(message_id="<done@c>", subject="Done", sender="anna@example.com"))
    server.append(user, plain(message_id="<wait@c>", subject="Wait", sender="anna@example.com"))
    poll(engine, mail_settings, clock)
    done, waiting = tickets(uow_factory)
    with uow_factory() as uow:
        update_ticket(uow, number=done.number, expected_version=None, status=TicketStatus.RESOLVED)
        update_ticket(uow, number=waiting.number, expected_version=None, status=TicketStatus.PENDING)
    acknowledgements = count(uow_factory, OutboxMessage)
    for root in ("<done@c>", "<wait@c>"):
        away = reply(message_id=f"<away{root[1:]}", in_reply_to=root, sender="anna@example.com", extra=extra)
        server.append(user, away)
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.threaded, report.acknowledged) == (None, 2, 0)
    done, waiting = tickets(uow_factory)
    before = (TicketStatus.RESOLVED.value, TicketStatus.PENDING.value)
    assert (done.status, waiting.status) == ((TicketStatus.OPEN.value,) * 2 if reopens else before)
    assert count(uow_factory, TicketEvent, TicketEvent.kind == "message_in") == 4
    assert count(uow_factory, OutboxMessage) == acknowledgements


def test_a_repeated_alert_without_message_id_or_date_is_each_time_a_new_message(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    alert = b"From: monitor@example.com\r\nTo: support@example.com\r\nSubject: disk full\r\n\r\n/ 100%\r\n"
    server.append(user, alert)
    server.append(user, alert)
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.created, report.duplicates) == (None, 2, 0)
    server.append(user, alert)
    assert poll(engine, mail_settings, clock).created == 1
    assert count(uow_factory, Ticket) == 3


@pytest.mark.parametrize("folder", ["failed_folder", "processed_folder"])
def test_a_folder_the_server_refuses_does_not_hold_back_later_mail(
    folder: str, engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    setattr(mail_settings.mail.accounts[0], folder, "~Refused")
    mail_settings.mail.batch_size = 1
    server.append(user, plain(message_id="<bad@c>", subject="BOOM"))
    ok = server.append(user, plain(message_id="<ok1@c>", subject="fine"))

    def fragile(raw: bytes, **options: Any) -> Any:
        if b"BOOM" in raw:
            raise ValueError("the parser gave up")
        return parse_message(raw, **options)

    first = poll(engine, mail_settings, clock, converter=fragile)
    assert (first.created, first.failed) == (1, 1)
    assert first.error is not None and "~Refused" in first.error
    server.append(user, plain(message_id="<ok2@c>", subject="later"))
    again = poll(engine, mail_settings, clock, converter=fragile)
    assert again.created == 1
    assert (again.error is None) == (folder == "failed_folder")  # each refused move is the run's error
    assert count(uow_factory, Ticket) == 2
    assert ok in server.uids(user, criteria="SEEN")  # taken in: flagged where it could not be moved


def test_a_ticket_tag_alone_threads_only_mail_from_someone_on_the_ticket(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    with uow_factory() as uow:
        firm = create_client(
            uow, draft=ClientDraft(kind=ClientKind.ORGANISATION, name="Firm"), default_region="RU"
        )
        draft = ClientDraft(name="Olga", organisation_id=firm.id, emails=["olga@firm.example"])
        create_client(uow, draft=draft, default_region="RU")
        ticket = create_ticket(uow, subject="Printer", queue="Support", client_id=firm.id)
        update_ticket(uow, number=ticket.number, expected_version=None, status=TicketStatus.RESOLVED)
    tag = f"Re: [#{ticket.number}] Printer"
    server.append(user, plain(message_id="<x@evil>", subject=tag, sender="mallory@evil.example"))
    server.append(user, plain(message_id="<o@firm>", subject=tag, sender="olga@firm.example"))
    server.append(user, plain(message_id="<y@evil>", subject=tag, sender="mallory@evil.example"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.threaded) == (2, 1)
    with uow_factory(readonly=True) as uow:
        strangers = uow.session.exec(
            select(TicketEvent).where(TicketEvent.author == "mallory@evil.example")
        ).all()
        olga = uow.session.exec(select(TicketEvent).where(TicketEvent.message_id == "<o@firm>")).one()
    assert {event.ticket_id for event in strangers}.isdisjoint({ticket.id, None})
    assert all(event.data["names_ticket"] == ticket.number for event in strangers)
    assert strangers[0].body.startswith(f"[The subject names ticket #{ticket.number};")
    assert olga.ticket_id == ticket.id


def test_an_account_without_smtp_queues_no_acknowledgement_it_cannot_send(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    mail_settings.mail.accounts[0].smtp_host = None
    server.append(user, plain(message_id="<n@c>", subject="Printer"))
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.created, report.acknowledged) == (None, 1, 0)
    assert count(uow_factory, OutboxMessage) == 0
    with uow_factory(readonly=True) as uow:
        entry = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "mail.intake")).one()
    assert entry.after["not_acknowledged"] == "the account has no SMTP server to send it"


def test_a_rule_mail_answers_a_person_once_a_day_and_a_machine_never(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    server, user, _ = imap_user
    rule = {
        "name": "thanks",
        "on": ["mail.received"],
        "actions": [{"mail": {"subject": "Got it", "body": "Hi"}}],
    }
    settings = mail_settings.model_copy(
        update={"rules": mail_settings.model_validate({"rules": [rule]}).rules}
    )
    loop = b"Auto-Submitted: auto-replied\r\n"
    server.append(user, plain(message_id="<p1@c>", subject="one", sender="anna@example.com"))
    server.append(user, plain(message_id="<p2@c>", subject="two", sender="anna@example.com"))
    server.append(user, plain(message_id="<m1@c>", subject="away", sender="bot@example.com", extra=loop))
    assert poll(engine, settings, clock).created == 3
    with uow_factory(readonly=True) as uow:
        sent = uow.session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notification")).all()
    assert [mail.to_addrs for mail in sent] == [["anna@example.com"]]
    assert sent[0].headers["Auto-Submitted"] == "auto-replied"
    clock.advance(days=1)
    server.append(user, plain(message_id="<p3@c>", subject="three", sender="anna@example.com"))
    poll(engine, settings, clock)
    assert count(uow_factory, OutboxMessage, OutboxMessage.kind == "notification") == 2


def test_every_automatic_mail_goes_out_marked_auto_submitted_and_a_reply_does_not(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: Any
) -> None:
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support", requester="client@example.com")
        enqueue_ticket_reply(uow, ticket=ticket, body="Please restart it.", account="support")
        for kind in ("notification", "escalation", "report"):
            enqueue_mail(uow, to=["boss@example.com"], subject=kind, body="x", kind=kind, account="support")
    report = asyncio.run(Sender(engine=engine, settings=mail_settings, clock=clock, timeout=10).send_due())
    assert (report.sent, report.errors) == (4, [])
    marks = {message["Subject"]: message["Auto-Submitted"] for message in smtp_server.messages}
    assert marks == {
        f"Re: [#{ticket.number}] Printer": None,
        "notification": "auto-generated",
        "escalation": "auto-generated",
        "report": "auto-generated",
    }


def test_an_acknowledgement_id_computed_by_a_stranger_does_not_thread_into_the_ticket(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    """An acknowledgement's Message-ID names the sender's address, the day and the slot: anyone can
    compute it, so naming it proves no more than a [#N] tag, and threads only mail from the ticket's
    people (the acknowledged sender answering it still threads)."""
    from hotline.core.services.mail.acknowledgement import acknowledgement_id

    server, user, _ = imap_user
    server.append(user, plain(message_id="<root@ivan>", subject="Printer", sender="ivan@example.ru"))
    poll(engine, mail_settings, clock)
    [ticket] = tickets(uow_factory)
    forged = acknowledgement_id("ivan@example.ru", clock.now(), 1, "example.com")
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(OutboxMessage.message_id)).one() == forged  # computed from outside
    stranger = reply(message_id="<m@evil>", in_reply_to=forged, sender="mallory@evil.example")
    server.append(user, stranger)
    server.append(user, reply(message_id="<r@ivan>", in_reply_to=forged, sender="ivan@example.ru"))
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.created, report.threaded) == (None, 1, 1)
    with uow_factory(readonly=True) as uow:
        mallory = uow.session.exec(select(TicketEvent).where(TicketEvent.message_id == "<m@evil>")).one()
        ivan = uow.session.exec(select(TicketEvent).where(TicketEvent.message_id == "<r@ivan>")).one()
    assert mallory.ticket_id != ticket.id
    assert ivan.ticket_id == ticket.id


def test_mail_wearing_an_acknowledgement_id_before_it_is_sent_does_not_catch_the_answers_to_it(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    """A stranger's mail whose own Message-ID is the one Ivan's acknowledgement will have: Ivan's
    answer to the acknowledgement goes to Ivan's ticket, not to the stranger's."""
    from hotline.core.services.mail.acknowledgement import acknowledgement_id

    server, user, _ = imap_user
    ahead = acknowledgement_id("ivan@example.ru", clock.now(), 1, "example.com")
    server.append(user, plain(message_id=ahead, subject="Hi", sender="mallory@evil.example"))
    poll(engine, mail_settings, clock)
    server.append(user, plain(message_id="<root@ivan>", subject="Printer", sender="ivan@example.ru"))
    poll(engine, mail_settings, clock)
    _lure, printer = tickets(uow_factory)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(
            select(OutboxMessage.ticket_id).where(OutboxMessage.message_id == ahead)
        ).one() == (printer.id)
    server.append(user, reply(message_id="<r@ivan>", in_reply_to=ahead, sender="ivan@example.ru"))
    assert poll(engine, mail_settings, clock).threaded == 1
    with uow_factory(readonly=True) as uow:
        ivan = uow.session.exec(select(TicketEvent).where(TicketEvent.message_id == "<r@ivan>")).one()
    assert ivan.ticket_id == printer.id


def test_the_stand_in_id_of_mail_without_message_id_threads_nothing(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: Any
) -> None:
    """Mail without a Message-ID gets a stand-in computed from its content: no real answer can name it
    (the mail had none to name), so one that does was computed from the content, by a stranger."""
    from hotline.core.services.mail.incoming import synthetic_message_id
    from hotline.mailbox.digest import content_digest

    server, user, _ = imap_user
    alert = b"From: monitor@example.com\r\nTo: support@example.com\r\nSubject: disk full\r\n\r\n/ 100%\r\n"
    server.append(user, alert)
    poll(engine, mail_settings, clock)
    [ticket] = tickets(uow_factory)
    computed = synthetic_message_id(content_digest(alert))
    server.append(user, reply(message_id="<m@evil>", in_reply_to=computed, sender="mallory@evil.example"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.threaded) == (1, 0)
    with uow_factory(readonly=True) as uow:
        mallory = uow.session.exec(select(TicketEvent).where(TicketEvent.message_id == "<m@evil>")).one()
    assert mallory.ticket_id != ticket.id
