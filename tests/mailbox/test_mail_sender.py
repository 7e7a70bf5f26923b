"""The outbox and the SMTP sender against a capturing aiosmtpd, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from mail_samples import plain
from mail_servers import Dovecot, SmtpCapture, free_port, start_smtp
from polling import poll
from sqlmodel import select

from hotline.core.errors import InvalidInput
from hotline.core.models import ClientEmail, OutboxMessage, TicketEvent
from hotline.core.models.enums import TicketStatus
from hotline.core.services.mail.delivery import retry_delay
from hotline.core.services.outbox import enqueue_mail, enqueue_ticket_reply
from hotline.core.services.tickets import create_ticket, get_ticket, update_ticket
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.poller import Poller
from hotline.mailbox.sender import Sender, SendReport


def send(engine: Any, settings: Any, clock: Any) -> SendReport:
    return asyncio.run(Sender(engine=engine, settings=settings, clock=clock, timeout=10).send_due())


def outbox(uow_factory: Any) -> list[OutboxMessage]:
    with uow_factory(readonly=True) as uow:
        return list(uow.session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def queue_reply(uow_factory: Any, *, to: str = "client@example.com") -> int:
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support", requester=to)
        enqueue_ticket_reply(uow, ticket=ticket, body="Please restart it.", account="support")
        return ticket.number


def test_reply_is_delivered_with_threading_headers(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    number = queue_reply(uow_factory)
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.errors) == (1, [])
    [message] = smtp_server.messages
    [row] = outbox(uow_factory)
    assert message["Subject"] == f"Re: [#{number}] Printer"
    assert message["From"] == "support@example.com"
    assert message["To"] == "client@example.com"
    assert message["Message-ID"] == row.message_id
    assert message.get_payload(decode=True).decode().strip() == "Please restart it."
    assert row.message_id.endswith("@example.com>")  # queued without an address, sent under the account's
    assert row.status == "sent"
    assert row.sent_at == clock.now()
    assert send(engine, mail_settings, clock).sent == 0


def test_acknowledgement_round_trip_threads_back(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
) -> None:
    server, user, _ = imap_user
    server.append(user, plain(message_id="<question@client>", subject="Help", sender="ann@example.com"))
    asyncio.run(
        Poller(
            engine=engine, settings=mail_settings, sla=SlaSetup.from_settings(mail_settings), clock=clock
        ).run_once(mail_settings.mail.accounts)
    )
    assert send(engine, mail_settings, clock).sent == 1
    [ack] = smtp_server.messages
    assert ack["In-Reply-To"] == "<question@client>"
    assert ack["References"] == "<question@client>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert "[#1]" in ack["Subject"]
    with uow_factory() as uow:
        ticket = get_ticket(uow, number=1)
        enqueue_ticket_reply(uow, ticket=ticket, body="Done.", account="support")
    send(engine, mail_settings, clock)
    answer = smtp_server.messages[1]
    assert answer["In-Reply-To"] == "<question@client>"
    assert answer["References"].split() == ["<question@client>", ack["Message-ID"]]


def test_our_own_mail_come_back_to_the_mailbox_is_not_taken_in_again(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
) -> None:
    """Copies of our acknowledgement and reply in the support mailbox (an alias or a list that includes
    it) were taken in as the client's messages: our words in the chronology as theirs, a client for our
    own address, and the resolved ticket reopened."""
    server, user, _ = imap_user
    server.append(user, plain(message_id="<question@client>", subject="Help", sender="ann@example.com"))
    poll(engine, mail_settings, clock)
    with uow_factory() as uow:
        enqueue_ticket_reply(uow, ticket=get_ticket(uow, number=1), body="Done.", account="support")
        update_ticket(uow, number=1, expected_version=None, status=TicketStatus.RESOLVED)
    assert send(engine, mail_settings, clock).sent == 2
    for message in smtp_server.messages:
        server.append(user, message.as_bytes())
    report = poll(engine, mail_settings, clock)
    assert (report.duplicates, report.threaded, report.created) == (2, 0, 0)
    with uow_factory(readonly=True) as uow:
        assert get_ticket(uow, number=1).status == TicketStatus.RESOLVED.value
        assert uow.session.exec(select(ClientEmail.address)).all() == ["ann@example.com"]
        assert len(uow.session.exec(select(TicketEvent).where(TicketEvent.kind == "message_in")).all()) == 1


def test_hostile_message_ids_stop_neither_the_poll_nor_the_outbox(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
) -> None:
    """A raw 8-bit byte in a Message-ID crashed every poll (the database refused it); one folded over
    two lines without brackets went into the acknowledgement's In-Reply-To and crashed every send."""
    server, user, _ = imap_user
    for number, message_id in enumerate((b"folded\r\n\tid@client", b"<caf\xe9@client>", b"<ok@client>")):
        head = b"From: p%d@example.com\r\nSubject: s\r\nMessage-ID: " % number
        server.append(user, head + message_id + b"\r\n\r\nHi.\r\n")
    asyncio.run(
        Poller(
            engine=engine, settings=mail_settings, sla=SlaSetup.from_settings(mail_settings), clock=clock
        ).run_once(mail_settings.mail.accounts)
    )
    assert send(engine, mail_settings, clock).sent == 3
    assert [ack["In-Reply-To"] for ack in smtp_server.messages][1:] == ["<caf\\xe9@client>", "<ok@client>"]


def test_smtp_down_loses_nothing_and_exits_with_an_error(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    queue_reply(uow_factory)
    real_port = mail_settings.mail.accounts[0].smtp_port
    mail_settings.mail.accounts[0].smtp_port = free_port()
    report = send(engine, mail_settings, clock)
    assert report.sent == 0
    assert "cannot reach SMTP" in report.errors[0]
    [row] = outbox(uow_factory)
    assert (row.status, row.attempts) == ("pending", 0)
    mail_settings.mail.accounts[0].smtp_port = real_port
    assert send(engine, mail_settings, clock).sent == 1
    assert len(smtp_server.messages) == 1


def test_permanent_refusal_is_recorded(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    smtp_server.refuse["gone@example.com"] = "550 5.1.1 mailbox unavailable"
    queue_reply(uow_factory, to="gone@example.com")
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.failed) == (0, 1)
    [row] = outbox(uow_factory)
    assert row.status == "failed"
    assert "550" in (row.last_error or "")


def test_a_row_that_cannot_be_written_as_a_mail_fails_alone(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """It crashed ``mail send`` before the rows after it, every run, leaving them all unsent."""
    with uow_factory() as uow:
        enqueue_mail(uow, to=["a@example.com"], subject="x", body="x", in_reply_to="<a\r\n\tb@c>")
        enqueue_mail(uow, to=["b@example.com"], subject="y", body="y")
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.failed) == (1, 1)
    first, second = outbox(uow_factory)
    assert (first.status, second.status) == ("failed", "sent")
    assert "linefeed" in (first.last_error or "")


def test_a_row_hotline_never_queues_is_failed_unsent(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """An operator's database role could write the outbox in SQL: a mail from another sender, or with a
    Bcc or Cc, went out through the account's server. Such a row now fails, unsent; hotline's own go out."""
    forged = [
        {"headers": {"Bcc": "spy@example.org"}},
        {"headers": {"cc": "spy@example.org"}},
        {"headers": {"Reply-To": "spy@example.org"}},
        {"from_address": "ceo@example.com"},
        {"headers": {"From": "The CEO <support@example.com>"}},
        {"headers": {"From": "support@example.com, spy@example.org"}},
    ]
    with uow_factory() as uow:
        for index, extra in enumerate(forged):
            enqueue_mail(uow, to=[f"c{index}@example.com"], subject="x", body="x", account="support", **extra)
        enqueue_mail(uow, to=["ok@example.com"], subject="ok", body="x", from_address="Support@Example.com")
    queue_reply(uow_factory)
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.failed) == (2, len(forged))
    assert sorted(m["To"] for m in smtp_server.messages) == ["client@example.com", "ok@example.com"]
    rows = outbox(uow_factory)
    assert [r.status for r in rows] == ["failed"] * len(forged) + ["sent", "sent"]
    assert all((r.last_error or "").startswith("not sent: ") for r in rows[: len(forged)])


def test_an_address_the_server_cannot_take_fails_alone(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any
) -> None:
    """An acknowledgement to a Cyrillic address through a server without SMTPUTF8 crashed ``mail send``
    before the rows after it, every run."""
    server = start_smtp(smtputf8=False)
    mail_settings.mail.accounts[0].smtp_port = server.port
    try:
        with uow_factory() as uow:
            enqueue_mail(uow, to=["иван@почта.рф"], subject="x", body="x")
            enqueue_mail(uow, to=["b@example.com"], subject="y", body="y")
        report = send(engine, mail_settings, clock)
    finally:
        server.stop()
    assert (report.sent, report.failed) == (1, 1)
    assert "SMTPUTF8" in (outbox(uow_factory)[0].last_error or "")


def test_temporary_refusal_is_retried_with_back_off(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    smtp_server.refuse["busy@example.com"] = "451 4.3.0 try again later"
    queue_reply(uow_factory, to="busy@example.com")
    assert send(engine, mail_settings, clock).retrying == 1
    [row] = outbox(uow_factory)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now() + retry_delay(1)
    assert send(engine, mail_settings, clock).sent == 0  # not due yet
    del smtp_server.refuse["busy@example.com"]
    clock.advance(minutes=2)
    assert send(engine, mail_settings, clock).sent == 1
    assert retry_delay(3) == timedelta(minutes=4)
    assert retry_delay(30) == timedelta(hours=2)


@pytest.mark.parametrize(
    "reply", ["553 5.7.1 Sender address rejected: not owned by user", "451 4.3.0 later"], ids=["5xx", "4xx"]
)
def test_a_refused_sender_is_the_accounts_trouble_and_fails_no_mail(
    reply: str, engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """The server refusing the envelope sender (a from_address it does not let this login use) failed
    every queued mail for good, one by one, and mail send exited 0: no reply or acknowledgement queued
    before the configuration was mended ever went out. Now nothing is failed: the run's error (exit 1)."""
    smtp_server.refuse["mail from:support@example.com"] = reply
    with uow_factory() as uow:
        for index in range(3):
            enqueue_mail(uow, to=[f"c{index}@example.com"], subject="x", body="x")
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.failed) == (0, 0)
    assert len(report.errors) == 1 and reply.split()[0] in report.errors[0]
    assert {(row.status, row.attempts) for row in outbox(uow_factory)} == {("pending", 0)}
    del smtp_server.refuse["mail from:support@example.com"]
    assert send(engine, mail_settings, clock).sent == 3


def test_a_recipient_deferred_with_4xx_while_another_took_the_mail_gets_it_on_the_retry(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """Greylisting of one recipient of a mail to two: the row was marked sent, and that recipient never
    got it. Now the row waits for the deferred recipient alone (the other does not get it twice)."""
    smtp_server.refuse["busy@example.com"] = "451 4.7.1 greylisted, try again later"
    with uow_factory() as uow:
        enqueue_mail(uow, to=["boss@example.com", "busy@example.com"], subject="Weekly", body="x")
    report = send(engine, mail_settings, clock)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    [row] = outbox(uow_factory)
    assert (row.status, row.to_addrs, row.attempts) == ("pending", ["busy@example.com"], 1)
    assert "451" in (row.last_error or "") and "boss@example.com" in (row.last_error or "")
    del smtp_server.refuse["busy@example.com"]
    clock.advance(minutes=2)
    assert send(engine, mail_settings, clock).sent == 1
    delivered = [envelope.rcpt_tos for envelope in smtp_server.handler.envelopes]
    assert delivered == [["boss@example.com"], ["busy@example.com"]]
    [row] = outbox(uow_factory)
    assert row.status == "sent"
    assert len({message["Message-ID"] for message in smtp_server.messages}) == 1  # one mail, twice sent


def test_recipients_all_refused_some_for_now_are_retried_without_the_ones_refused_for_good(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """Every recipient refused, one for good (550) and one for now (451): the row was retried for both,
    eight times, the 550 each time, and failed for both in the end."""
    smtp_server.refuse["gone@example.com"] = "550 5.1.1 no such mailbox"
    smtp_server.refuse["busy@example.com"] = "451 4.7.1 greylisted"
    with uow_factory() as uow:
        enqueue_mail(uow, to=["gone@example.com", "busy@example.com"], subject="Weekly", body="x")
    assert send(engine, mail_settings, clock).retrying == 1
    [row] = outbox(uow_factory)
    assert (row.status, row.to_addrs) == ("pending", ["busy@example.com"])
    assert "550" in (row.last_error or "") and "451" in (row.last_error or "")
    del smtp_server.refuse["busy@example.com"]
    clock.advance(minutes=2)
    assert send(engine, mail_settings, clock).sent == 1
    assert [envelope.rcpt_tos for envelope in smtp_server.handler.envelopes] == [["busy@example.com"]]


def test_send_once_delivers_everything_due_not_only_the_first_batch(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """A round claimed 200 rows and stopped: after a burst of mail, ``mail send --once`` left the rest
    due, unsaid, for later cron runs."""
    for index in range(5):
        queue_reply(uow_factory, to=f"c{index}@example.com")
    sender = Sender(engine=engine, settings=mail_settings, clock=clock, timeout=10)
    report = asyncio.run(sender.send_due(limit=2))
    assert (report.sent, report.errors) == (5, [])
    assert {row.status for row in outbox(uow_factory)} == {"sent"}


def test_send_once_with_smtp_down_stops_after_one_batch(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    for index in range(5):
        queue_reply(uow_factory, to=f"c{index}@example.com")
    mail_settings.mail.accounts[0].smtp_port = free_port()
    sender = Sender(engine=engine, settings=mail_settings, clock=clock, timeout=10)
    report = asyncio.run(asyncio.wait_for(sender.send_due(limit=2), timeout=30))
    assert report.sent == 0 and len(report.errors) == 1
    assert {(row.status, row.attempts) for row in outbox(uow_factory)} == {("pending", 0)}


def test_two_senders_at_once_send_each_message_once(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    for i in range(8):
        queue_reply(uow_factory, to=f"c{i}@example.com")
    barrier = threading.Barrier(2)
    reports: list[SendReport] = []

    def run() -> None:
        barrier.wait(timeout=10)
        reports.append(send(engine, mail_settings, clock))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(report.sent for report in reports) == 8
    assert len(smtp_server.messages) == 8
    assert {row.status for row in outbox(uow_factory)} == {"sent"}


def test_enqueue_validates_recipients(uow_factory: Any) -> None:
    with uow_factory() as uow, pytest.raises(InvalidInput):
        enqueue_mail(uow, to=["not an address"], subject="x", body="y")
    with uow_factory() as uow, pytest.raises(InvalidInput):
        enqueue_mail(uow, to=[], subject="x", body="y")


@pytest.mark.parametrize(
    "subject",
    [
        " ".join(f"word{n}" for n in range(300)),  # 2 389 characters of ASCII words
        " ".join(["заявка"] * 250) + " [#42]",  # Cyrillic: encoded words
        "x" * 1500,  # one word longer than a line may be
    ],
    ids=["ascii", "cyrillic", "one-word"],
)
def test_a_subject_longer_than_a_line_arrives_whole_and_folded(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture, subject: str
) -> None:
    """RFC 5322 limits a line to 998 characters, not a header: it was cut at 998 without a word (a rule
    template's subject, a long ticket subject in a reply). Now it is folded and arrives whole."""
    from email.header import decode_header, make_header

    with uow_factory() as uow:
        enqueue_mail(uow, to=["a@example.com"], subject=subject, body="x")
    assert send(engine, mail_settings, clock).sent == 1
    [envelope] = smtp_server.handler.envelopes
    raw = envelope.original_content or b""
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    [message] = smtp_server.messages
    assert str(make_header(decode_header(message["Subject"]))).replace("\r\n", "") == subject


def test_a_message_id_too_long_for_a_header_line_is_left_out_of_the_threading(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    """A client's Message-ID of 990 characters (taken in, up to 998) went into the reply's In-Reply-To
    and References as one token: lines of 1 011 characters, over RFC 5322's 998. Now such an id is left
    out of the threading; the ids that fit stay."""
    long_id, short_id = "<" + "a" * 985 + "@example.com>", "<ok@example.com>"
    with uow_factory() as uow:
        enqueue_mail(
            uow,
            to=["a@example.com"],
            subject="x",
            body="x",
            in_reply_to=long_id,
            references=[short_id, long_id],
        )
    assert send(engine, mail_settings, clock).sent == 1
    raw = smtp_server.handler.envelopes[0].original_content or b""
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    [message] = smtp_server.messages
    assert (message["In-Reply-To"], message["References"]) == (None, short_id)
