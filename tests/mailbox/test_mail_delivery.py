"""Issue 14 item 5, honest delivery, through the real servers (aiosmtpd, Dovecot): a reply's mail goes
queued → sent, or → failed with the server's reason; its attachments go out with it; a bounce of it
(real DSN shapes from the corpus, matched by the quoted Message-ID or by VERP) marks it failed on its
ticket and opens no ticket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from corpus.fetch import OFFLINE_ENV, CorpusUnavailable, ensure_corpus, load_manifest, message_path
from mail_servers import Dovecot, SmtpCapture
from sqlmodel import func, select

from hotline.core.models import OutboxMessage, Ticket
from hotline.core.services.mail.sending import MailSending, OutgoingFile
from hotline.core.services.tickets import create_ticket, reply_ticket, ticket_detail
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.poller import Poller
from hotline.mailbox.sender import Sender

pytestmark = pytest.mark.dovecot
_ENTRIES = {entry["id"]: entry for entry in load_manifest()["messages"]}


def _corpus_message(entry_id: str) -> bytes:
    try:
        ensure_corpus()
    except CorpusUnavailable as error:
        import os

        if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
            pytest.skip(f"MAIL CORPUS NOT CACHED: {error}")
        pytest.fail(f"MAIL CORPUS UNAVAILABLE: {error}", pytrace=False)
    return message_path(_ENTRIES[entry_id]).read_bytes()


def _reply(uow_factory: Any, settings: Any, *, to: str = "client@example.com", files: tuple = ()) -> int:
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support", requester=to)
        number = ticket.number
    with uow_factory() as uow:
        reply_ticket(
            uow,
            number=number,
            expected_version=None,
            body="Please restart it.",
            sla=None,
            sending=MailSending.from_settings(settings),
            attachments=files,
        )
    return number


def _delivery(uow_factory: Any, number: int) -> dict[str, Any]:
    with uow_factory(readonly=True) as uow:
        detail = ticket_detail(uow, number=number)
    [line] = [event for event in detail.as_json()["events"] if event["kind"] == "message_out"]
    return line["delivery"]


def _send(engine: Any, settings: Any, clock: Any) -> Any:
    return asyncio.run(Sender(engine=engine, settings=settings, clock=clock, timeout=10).send_due())


def _poll(engine: Any, settings: Any, clock: Any) -> Any:
    poller = Poller(engine=engine, settings=settings, sla=SlaSetup.from_settings(settings), clock=clock)
    return asyncio.run(poller.run_once(list(settings.mail.accounts)))[0]


def test_a_reply_goes_queued_then_sent_with_its_attachments(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    files = (OutgoingFile.named("счёт № 7.pdf", b"%PDF-1.4 ..."), OutgoingFile.named("notes.txt", b"a\nb"))
    number = _reply(uow_factory, mail_settings, files=files)
    queued = _delivery(uow_factory, number)
    assert (queued["status"], queued["sent_at"], queued["to"]) == ("queued", None, ["client@example.com"])
    assert _send(engine, mail_settings, clock).sent == 1
    [message] = smtp_server.messages
    parts = [
        (part.get_filename(), part.get_payload(decode=True)) for part in message.walk() if part.get_filename()
    ]
    assert parts == [("счёт № 7.pdf", b"%PDF-1.4 ..."), ("notes.txt", b"a\nb")]
    sent = _delivery(uow_factory, number)
    assert (sent["status"], sent["sent_at"], sent["error"]) == ("sent", clock.now().isoformat(), None)


def test_a_refused_reply_shows_failed_with_the_servers_reason(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, smtp_server: SmtpCapture
) -> None:
    smtp_server.refuse["gone@example.com"] = "550 5.1.1 mailbox unavailable"
    number = _reply(uow_factory, mail_settings, to="gone@example.com")
    assert _send(engine, mail_settings, clock).failed == 1
    failed = _delivery(uow_factory, number)
    assert failed["status"] == "failed"
    assert failed["failed_at"] == clock.now().isoformat()
    assert "550 5.1.1 mailbox unavailable" in failed["error"]


@pytest.mark.parametrize(
    ("entry_id", "original_id", "reason"),
    [
        ("flufl.bounce/tests/data/dsn_01.txt", "F1218V8zDv60gxapzha000001ae@hotmail.com", "status 5.0.0"),
        (
            "flufl.bounce/tests/data/postfix_02.txt",
            "14915.64162.965657.699956@anthem.concentric.net",
            "Postfix",
        ),
        ("flufl.bounce/tests/data/exim_01.txt", "19990920022322.A19735@stereo.rotzorg.org", "could not be"),
    ],
    ids=["dsn-multipart-report", "postfix-attached-original", "exim-pasted-original"],
)
def test_a_bounce_of_our_reply_marks_it_failed_and_opens_no_ticket(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
    entry_id: str,
    original_id: str,
    reason: str,
) -> None:
    server, user, _ = imap_user
    number = _reply(uow_factory, mail_settings)
    assert _send(engine, mail_settings, clock).sent == 1
    with uow_factory(readonly=True) as uow:
        ours = uow.session.exec(select(OutboxMessage.message_id)).one()
    bounce = _corpus_message(entry_id)
    assert original_id.encode() in bounce
    server.append(user, bounce.replace(original_id.encode(), ours.strip("<>").encode()))
    report = _poll(engine, mail_settings, clock)
    assert (report.bounces, report.created, report.threaded, report.failed) == (1, 0, 0, 0)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Ticket)).one() == 1
    failed = _delivery(uow_factory, number)
    assert failed["status"] == "failed"
    assert failed["error"].startswith("bounced: ") and reason in failed["error"]
    assert _poll(engine, mail_settings, clock).new == 0


def test_a_bounce_that_quotes_nothing_is_matched_by_verp(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
) -> None:
    server, user, _ = imap_user
    mail_settings.mail.accounts[0].verp = True
    number = _reply(uow_factory, mail_settings)
    assert _send(engine, mail_settings, clock).sent == 1
    [envelope] = smtp_server.handler.envelopes
    assert envelope.mail_from.startswith("support+bounce-") and envelope.mail_from.endswith("@example.com")
    bounce = _corpus_message("flufl.bounce/tests/data/qmail_01.txt")
    server.append(user, b"Delivered-To: " + envelope.mail_from.encode() + b"\r\n" + bounce)
    report = _poll(engine, mail_settings, clock)
    assert (report.bounces, report.created) == (1, 0)
    assert _delivery(uow_factory, number)["status"] == "failed"


def test_a_bounce_of_mail_we_never_sent_is_taken_in_like_other_mail(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, imap_user: tuple[Dovecot, str, str]
) -> None:
    server, user, _ = imap_user
    server.append(user, _corpus_message("flufl.bounce/tests/data/dsn_01.txt"))
    report = _poll(engine, mail_settings, clock)
    assert (report.bounces, report.created) == (0, 1)


def test_a_bounce_naming_mail_not_sent_yet_fails_nothing(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    smtp_server: SmtpCapture,
    imap_user: tuple[Dovecot, str, str],
) -> None:
    """A bounce can only be of mail that went out. One naming a reply still waiting in the outbox (a
    forged one: the VERP number is a counter anyone can write) marked it failed, and it was never sent."""
    server, user, _ = imap_user
    number = _reply(uow_factory, mail_settings)
    with uow_factory(readonly=True) as uow:
        waiting = uow.session.exec(select(OutboxMessage.id)).one()
    bounce = _corpus_message("flufl.bounce/tests/data/qmail_01.txt")
    server.append(user, b"Delivered-To: support+bounce-%d@example.com\r\n" % waiting + bounce)
    assert (_poll(engine, mail_settings, clock).bounces, _send(engine, mail_settings, clock).sent) == (0, 1)
    assert _delivery(uow_factory, number)["status"] == "sent"
