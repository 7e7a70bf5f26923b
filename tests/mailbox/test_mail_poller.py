"""The poller against a real Dovecot, on SQLite and PostgreSQL: no mail lost, duplicated or looped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest
from mail_samples import deeply_nested, html_only, plain, raw_8bit, reply, with_attachments
from mail_servers import Dovecot
from polling import count, overlapping_polls, poll
from sqlalchemy import text
from sqlmodel import select

from hotline.core.models import (
    Attachment,
    Client,
    ClientEmail,
    FailedMessage,
    MailAccountState,
    OutboxMessage,
    ProcessedMessage,
    Ticket,
    TicketEvent,
)
from hotline.core.models.enums import TicketStatus
from hotline.core.services.tickets import get_ticket, update_ticket
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.convert import parse_message
from hotline.mailbox.poller import Poller

pytestmark = pytest.mark.dovecot


def tickets(uow_factory: Any) -> list[Ticket]:
    with uow_factory(readonly=True) as uow:
        return list(uow.session.exec(select(Ticket).order_by(Ticket.number)))


def events(uow_factory: Any, ticket: Ticket) -> list[TicketEvent]:
    with uow_factory(readonly=True) as uow:
        return list(
            uow.session.exec(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        )


@pytest.fixture
def mailbox(imap_user: tuple[Dovecot, str, str]) -> tuple[Dovecot, str]:
    server, username, _ = imap_user
    return server, username


def test_new_mail_becomes_a_ticket_with_client_attachments_and_acknowledgement(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    uid = server.append(user, with_attachments(message_id="<first@client>"))
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.created, report.acknowledged) == (None, 1, 1)
    [ticket] = tickets(uow_factory)
    assert ticket.subject == "Счёт и фото"
    assert ticket.requester == "petr@example.ru"
    assert ticket.status == TicketStatus.NEW.value
    [event] = [item for item in events(uow_factory, ticket) if item.kind == "message_in"]
    assert event.body == "Счёт во вложении."
    assert event.message_id == "<first@client>"
    assert event.author == "Пётр Сидоров <petr@example.ru>"
    with uow_factory(readonly=True) as uow:
        files = uow.session.exec(select(Attachment).where(Attachment.event_id == event.id)).all()
        client = uow.session.get(Client, ticket.client_id)
        address = uow.session.exec(select(ClientEmail).where(ClientEmail.client_id == ticket.client_id)).one()
        ack = uow.session.exec(select(OutboxMessage)).one()
    assert sorted(f.filename for f in files) == ["invoice.pdf", "logo.png", "отчёт за май.xls"]
    assert client is not None
    assert client.name == "Пётр Сидоров"
    assert address.address == "petr@example.ru"
    assert ack.kind == "acknowledgement"
    assert ack.to_addrs == ["petr@example.ru"]
    assert f"[#{ticket.number}]" in ack.subject
    assert ack.in_reply_to == "<first@client>"
    assert server.uids(user, criteria="SEEN") == [uid]
    assert poll(engine, mail_settings, clock).new == 0
    assert count(uow_factory, Ticket) == 1


def test_known_sender_is_the_same_client(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<a@c>", subject="one", sender="Anna <anna@example.com>"))
    server.append(user, plain(message_id="<b@c>", subject="two", sender="ANNA@Example.com"))
    poll(engine, mail_settings, clock)
    first, second = tickets(uow_factory)
    assert first.client_id == second.client_id
    assert count(uow_factory, Client) == 1


def test_mail_already_read_elsewhere_is_still_imported(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<read@c>"), flags="\\Seen")
    assert poll(engine, mail_settings, clock).created == 1


@pytest.mark.parametrize("how", ["in-reply-to", "references", "subject-tag", "answer-to-acknowledgement"])
def test_threading(
    how: str, engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<root@c>", subject="Printer", sender="ivan@example.ru"))
    poll(engine, mail_settings, clock)
    [ticket] = tickets(uow_factory)
    with uow_factory(readonly=True) as uow:
        ack_id = uow.session.exec(select(OutboxMessage.message_id)).one()
    follow_up = {
        "in-reply-to": reply(message_id="<r@c>", in_reply_to="<root@c>"),
        "references": reply(message_id="<r@c>", references="<other@c> <root@c>"),
        "subject-tag": reply(message_id="<r@c>", subject=f"Re: [#{ticket.number}] Printer"),
        "answer-to-acknowledgement": reply(message_id="<r@c>", in_reply_to=ack_id),
    }[how]
    server.append(user, follow_up)
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.threaded, report.acknowledged) == (0, 1, 0)
    assert len(tickets(uow_factory)) == 1
    messages = [item for item in events(uow_factory, ticket) if item.kind == "message_in"]
    assert [item.message_id for item in messages] == ["<root@c>", "<r@c>"]
    assert messages[1].body == "Спасибо, заработало."
    assert messages[1].data["quoted_text"].startswith("23.11.2026 10:00, Support пишет:")


def test_unknown_references_open_a_new_ticket(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, reply(message_id="<r@c>", in_reply_to="<never-seen@x>", subject="Re: [#999] old"))
    assert poll(engine, mail_settings, clock).created == 1


def test_reply_to_a_resolved_ticket_reopens_it(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<root@c>", subject="Printer"))
    poll(engine, mail_settings, clock)
    [ticket] = tickets(uow_factory)
    with uow_factory() as uow:
        update_ticket(uow, number=ticket.number, expected_version=None, status=TicketStatus.RESOLVED)
    server.append(user, reply(message_id="<again@c>", in_reply_to="<root@c>", text="It broke again."))
    poll(engine, mail_settings, clock)
    with uow_factory(readonly=True) as uow:
        assert get_ticket(uow, number=ticket.number).status == TicketStatus.OPEN.value


def test_second_delivery_of_one_message_id_is_not_a_second_ticket(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<same@c>"))
    server.append(user, plain(message_id="<same@c>"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.duplicates) == (1, 1)
    assert count(uow_factory, Ticket) == 1
    assert count(uow_factory, ProcessedMessage) == 2
    assert len(server.uids(user, criteria="SEEN")) == 2


def test_same_message_through_other_servers_is_one_but_new_content_under_its_id_is_another(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """Issue 14 item 1: a duplicate is the same Message-ID and the same content, whatever the trace
    headers (Received, Delivered-To, DKIM, spam scores) and line ends; the same Message-ID with other
    content (an issue tracker reusing it) is a new message, threaded as its References say."""
    server, user = mailbox
    original = plain(message_id="<reused@tracker>", subject="Incident 7 opened", body="Disk full on db1.")
    relayed = (
        b"Received: from relay2.example.net by mx.example.com; Mon, 23 Nov 2026 10:05:00 +0000\r\n"
        b"Delivered-To: support@example.com\r\nX-Spam-Score: 0.3\r\n"
        + original.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
        + b"\r\n\r\n"
    )
    update = plain(message_id="<reused@tracker>", subject="Incident 7 resolved", body="Disk cleaned.")
    answer = plain(
        message_id="<reused@tracker>",
        subject="Incident 7: comment",
        body="Root cause found.",
        extra=b"References: <reused@tracker>\n",
    )
    for raw in (original, relayed, update):
        server.append(user, raw)
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.duplicates, report.failed) == (2, 1, 0)
    assert [ticket.subject for ticket in tickets(uow_factory)] == ["Incident 7 opened", "Incident 7 resolved"]
    server.append(user, answer)
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.threaded) == (0, 1)
    newest = tickets(uow_factory)[-1]
    assert [event.body for event in events(uow_factory, newest) if event.kind == "message_in"] == [
        "Disk cleaned.",
        "Root cause found.",
    ]
    assert poll(engine, mail_settings, clock).new == 0
    assert count(uow_factory, ProcessedMessage) == 4


def test_crash_between_commit_and_flag_then_rerun_makes_no_duplicate(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    uids = [server.append(user, plain(message_id=f"<m{i}@c>", subject=f"m{i}")) for i in range(3)]

    class Crash(Exception):
        pass

    def crash_after_second(uid: int) -> None:
        if uid == uids[1]:
            raise Crash

    with pytest.raises(Crash):
        poll(engine, mail_settings, clock, after_commit=crash_after_second)
    assert count(uow_factory, Ticket) == 3  # the batch committed before the crash
    assert server.uids(user, criteria="SEEN") == []  # but the server was not told yet
    report = poll(engine, mail_settings, clock)
    assert (report.new, report.created, report.duplicates) == (3, 0, 3)
    assert count(uow_factory, Ticket) == 3
    assert count(uow_factory, OutboxMessage) == 3
    assert server.uids(user, criteria="SEEN") == uids
    with uow_factory(readonly=True) as uow:
        state = uow.session.exec(select(MailAccountState)).one()
    assert state.last_uid == uids[-1]


def interrupt_take_in(
    patch: pytest.MonkeyPatch, *, on_call: int, interruption: Callable[[Any], None]
) -> None:
    """Have the intake of the ``on_call``-th message run ``interruption(uow)``: before its writes when
    it is taken in alone, and half-way through the run's writes (its clients and tickets written, its
    events not) when it is taken in with others."""
    import hotline.core.services.mail.intake_together as together_module
    import hotline.mailbox.group_intake as intake_module

    real_take_in, real_events = intake_module.take_in, together_module.add_message_events
    calls: list[int] = []

    def interrupted_take_in(uow: Any, **arguments: Any) -> Any:
        calls.append(arguments["uid"])
        if len(calls) == on_call:
            interruption(uow)
        return real_take_in(uow, **arguments)

    def interrupted_events(uow: Any, messages: Any, **arguments: Any) -> Any:
        before = len(calls)
        calls.extend(ticket.id for ticket, _, _ in messages)
        if before < on_call <= len(calls):
            interruption(uow)
        return real_events(uow, messages, **arguments)

    patch.setattr(intake_module, "take_in", interrupted_take_in)
    patch.setattr(together_module, "add_message_events", interrupted_events)


def test_crash_inside_the_transaction_leaves_nothing_and_the_rerun_imports_everything_once(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = mailbox
    for i in range(3):
        server.append(user, plain(message_id=f"<k{i}@c>", subject=f"k{i}"))

    class Killed(BaseException):
        pass

    def kill(_uow: Any) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        interrupt_take_in(patch, on_call=2, interruption=kill)
        with pytest.raises(Killed):
            poll(engine, mail_settings, clock)
    assert count(uow_factory, Ticket) == 0
    assert count(uow_factory, ProcessedMessage) == 0
    assert server.uids(user, criteria="SEEN") == []
    assert poll(engine, mail_settings, clock).created == 3
    assert count(uow_factory, Ticket) == 3


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_database_lost_mid_group_rolls_the_group_back_and_tells_the_server_nothing(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = mailbox
    for i in range(3):
        server.append(user, plain(message_id=f"<lost{i}@c>", subject=f"lost{i}"))

    def lose_the_connection(uow: Any) -> None:  # the server drops this session, as a restart would
        uow.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    with monkeypatch.context() as patch:
        interrupt_take_in(patch, on_call=2, interruption=lose_the_connection)
        report = poll(engine, mail_settings, clock)
    assert report.error is not None
    assert report.error.startswith("database unavailable: ")
    assert (report.created, report.failed) == (0, 0)
    assert count(uow_factory, Ticket) == 0
    assert count(uow_factory, ProcessedMessage) == 0
    assert count(uow_factory, FailedMessage) == 0  # no message is blamed for the database
    assert server.uids(user, criteria="SEEN") == []
    assert server.uids(user, folder="Failed") == []
    assert poll(engine, mail_settings, clock).created == 3
    assert len(server.uids(user, criteria="SEEN")) == 3


def test_two_overlapping_polls_import_each_message_once(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    for i in range(12):
        server.append(user, plain(message_id=f"<p{i}@c>", subject=f"p{i}", sender=f"c{i}@example.com"))
    reports = overlapping_polls(engine, mail_settings, clock)
    assert sum(report.created for report in reports) == 12
    assert count(uow_factory, Ticket) == 12
    assert count(uow_factory, OutboxMessage) == 12
    assert len(server.uids(user, criteria="SEEN")) == 12


def test_uidvalidity_change_neither_reimports_nor_skips(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    account = mail_settings.mail.accounts[0]
    account.folder = "Support"
    server.append(user, plain(message_id="<old@c>", subject="old"), folder="Support")
    poll(engine, mail_settings, clock)
    client = server.connect(user)
    try:
        assert client.delete("Support")[0] == "OK"
        assert client.create("Support")[0] == "OK"
    finally:
        client.logout()
    server.append(user, plain(message_id="<old@c>", subject="old"), folder="Support")  # same mail, new UID
    server.append(user, plain(message_id="<new@c>", subject="new"), folder="Support")
    report = poll(engine, mail_settings, clock)
    assert report.uidvalidity_changed
    assert (report.created, report.duplicates) == (1, 1)
    assert [ticket.subject for ticket in tickets(uow_factory)] == ["old", "new"]


@pytest.mark.parametrize("batch_size", [10, 1])
def test_uidvalidity_change_does_not_reimport_mail_without_message_id(
    batch_size: int,
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
) -> None:
    """Mail without a Message-ID is known by its UID alone, and a new UIDVALIDITY renames every UID:
    the restored folder's alerts all became tickets again. Two alerts alike are still two, and a third
    alike that comes after the restore is a new one."""
    server, user = mailbox
    mail_settings.mail.batch_size = batch_size
    account = mail_settings.mail.accounts[0]
    account.folder = "Support"
    alert = b"From: monitor@example.com\r\nTo: support@example.com\r\nSubject: disk full\r\n\r\n/ 100%\r\n"
    other = b"From: monitor@example.com\r\nTo: support@example.com\r\nSubject: load\r\n\r\nhigh\r\n"
    for raw in (alert, alert, other):
        server.append(user, raw, folder="Support")
    assert poll(engine, mail_settings, clock).created == 3
    client = server.connect(user)
    try:
        assert client.delete("Support")[0] == "OK"
        assert client.create("Support")[0] == "OK"
    finally:
        client.logout()
    for raw in (alert, alert, other):  # the folder restored: the same mail under new UIDs
        server.append(user, raw, folder="Support")
    report = poll(engine, mail_settings, clock)
    assert report.uidvalidity_changed
    assert (report.created, report.duplicates) == (0, 3)
    server.append(user, alert, folder="Support")
    assert poll(engine, mail_settings, clock).created == 1
    assert count(uow_factory, Ticket) == 4


def test_a_message_that_breaks_conversion_is_recorded_moved_and_does_not_stop_the_rest(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<ok1@c>", subject="fine"))
    bad_uid = server.append(user, plain(message_id="<bad@c>", subject="BOOM"))
    server.append(user, plain(message_id="<ok2@c>", subject="also fine"))

    def fragile(raw: bytes, **options: Any) -> Any:
        if b"BOOM" in raw:
            raise ValueError("the parser gave up")
        return parse_message(raw, **options)

    report = poll(engine, mail_settings, clock, converter=fragile)
    assert (report.created, report.failed) == (2, 1)
    with uow_factory(readonly=True) as uow:
        failed = uow.session.exec(select(FailedMessage)).one()
    assert failed.uid == bad_uid
    assert failed.message_id == "<bad@c>"
    assert "the parser gave up" in failed.reason
    assert failed.raw is not None
    assert b"BOOM" in failed.raw
    assert len(server.uids(user, folder="Failed")) == 1
    assert bad_uid not in server.uids(user)
    again = poll(engine, mail_settings, clock, converter=fragile)
    assert (again.new, again.failed) == (0, 0)


def test_bodies_are_read_whichever_order_the_server_gives_uid_and_body() -> None:
    """A server may put UID after the body literal (RFC 3501 fixes no order): each body was dropped,
    and the poll took the messages for expunged ones and went past them for good."""
    import aioimaplib

    from hotline.mailbox.imap import ImapConnection

    lines = [
        b"1 FETCH (BODY[] {5}", bytearray(b"hello"), b" UID 7)",
        b"2 FETCH (UID 8 BODY[] {3}", bytearray(b"bye"), b")",
        b"3 FETCH (FLAGS (\\Seen) BODY[] {2}", bytearray(b"hi"), b" UID 9)",
        b"Fetch completed.",
    ]  # fmt: skip

    class Client:
        async def uid(self, *args: str) -> aioimaplib.Response:
            return aioimaplib.Response("OK", lines)

    connection = ImapConnection(Client(), "IMAP test")  # type: ignore[arg-type]
    assert asyncio.run(connection.bodies([7, 8, 9])) == {7: b"hello", 8: b"bye", 9: b"hi"}


def test_a_message_whose_body_the_server_leaves_out_is_kept_as_failed_not_skipped(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A FETCH answered OK without one message's body was taken for an expunge: the message was
    passed over for good with no trace. One that is still there is fetched alone, and kept as a failed
    message when the server still gives nothing."""
    from hotline.mailbox.imap import ImapConnection

    server, user = mailbox
    server.append(user, plain(message_id="<one@c>", subject="one"))
    left_out = server.append(user, plain(message_id="<two@c>", subject="two"))
    server.append(user, plain(message_id="<three@c>", subject="three"))
    fetch = ImapConnection.bodies

    async def leaving_one_out(self: ImapConnection, uids: list[int], **options: Any) -> dict[int, bytes]:
        found = await fetch(self, uids, **options)
        return {uid: body for uid, body in found.items() if uid != left_out}

    monkeypatch.setattr(ImapConnection, "bodies", leaving_one_out)
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.failed) == (2, 1)
    with uow_factory(readonly=True) as uow:
        failed = uow.session.exec(select(FailedMessage)).one()
    assert failed.uid == left_out
    assert "no body" in failed.reason


@pytest.mark.parametrize("batch_size", [10, 1])
def test_a_server_that_returns_no_message_now_fails_none_of_them(
    batch_size: int,
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server refusing every FETCH for a while (a locked mailbox, a storage hiccup) says nothing about
    any one message: the poll is the run's error, nothing is kept as failed, the next run takes all in."""
    from hotline.mailbox.imap import ImapConnection, Refused

    server, user = mailbox
    mail_settings.mail.batch_size = batch_size
    for name in ("one", "two", "three"):
        server.append(user, plain(message_id=f"<{name}@c>", subject=name))

    async def refusing(self: ImapConnection, uids: list[int], **options: Any) -> dict[int, bytes]:
        raise Refused("IMAP test: UID FETCH BODY failed: NO [UNAVAILABLE] Temporary failure")

    with monkeypatch.context() as patch:
        patch.setattr(ImapConnection, "bodies", refusing)
        report = poll(engine, mail_settings, clock)
    assert report.error is not None and "Temporary failure" in report.error
    assert (report.created, report.failed) == (0, 0)
    assert count(uow_factory, FailedMessage) == 0
    assert poll(engine, mail_settings, clock).created == 3


def test_a_message_expunged_between_search_and_fetch_is_neither_failed_nor_an_error(
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hotline.mailbox.imap import ImapConnection

    server, user = mailbox
    server.append(user, plain(message_id="<one@c>", subject="one"))
    gone = server.append(user, plain(message_id="<gone@c>", subject="gone"))
    server.append(user, plain(message_id="<three@c>", subject="three"))
    sizes = ImapConnection.sizes

    async def expunged_meanwhile(self: ImapConnection, uids: list[int]) -> dict[int, int]:
        found = await sizes(self, uids)
        other = server.connect(user)
        try:
            other.select("INBOX")
            other.uid("STORE", str(gone), "+FLAGS", "(\\Deleted)")
            other.expunge()
        finally:
            other.logout()
        return found

    monkeypatch.setattr(ImapConnection, "sizes", expunged_meanwhile)
    report = poll(engine, mail_settings, clock)
    assert (report.error, report.created, report.failed) == (None, 2, 0)
    assert count(uow_factory, FailedMessage) == 0


def unreadable_on_the_server(server: Dovecot, user: str, marker: bytes) -> None:
    """Make the stored file of the message containing ``marker`` unreadable to Dovecot (a damaged
    store): Dovecot answers a FETCH of it with BYE and closes the connection."""
    import os

    folder = server.root / "mail" / user
    files = [path for path in folder.rglob("*") if path.is_file() and path.parent.name in ("new", "cur")]
    [damaged] = [path for path in files if marker in path.read_bytes()]
    os.chmod(damaged, 0)


@pytest.mark.parametrize("batch_size", [10, 1])
def test_a_message_the_server_will_not_return_is_kept_as_failed_and_the_rest_comes_in(
    batch_size: int,
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
) -> None:
    """It stopped every poll at its group (after a 30 s wait), run after run: no later mail came in."""
    import time

    server, user = mailbox
    mail_settings.mail.batch_size = batch_size
    bad_uid = server.append(user, plain(message_id="<damaged@c>", subject="DAMAGED"))  # the first new one
    server.append(user, plain(message_id="<before@c>", subject="before"))
    server.append(user, plain(message_id="<after@c>", subject="after"))
    unreadable_on_the_server(server, user, b"DAMAGED")
    started = time.monotonic()
    report = poll(engine, mail_settings, clock)
    assert time.monotonic() - started < 20
    assert (report.error, report.created, report.failed) == (None, 2, 1)
    assert sorted(ticket.subject for ticket in tickets(uow_factory)) == ["after", "before"]
    with uow_factory(readonly=True) as uow:
        failed = uow.session.exec(select(FailedMessage)).one()
    assert failed.uid == bad_uid
    assert "would not return it" in failed.reason
    assert bad_uid not in server.uids(user)  # moved to the failed folder
    server.append(user, plain(message_id="<later@c>", subject="later"))
    again = poll(engine, mail_settings, clock)
    assert (again.error, again.created) == (None, 1)


@pytest.mark.parametrize("batch_size", [10, 1], ids=["in-process", "worker-process"])
def test_a_message_that_makes_the_real_parser_raise_is_kept_as_failed(
    batch_size: int,
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
) -> None:
    server, user = mailbox
    mail_settings.mail.batch_size = batch_size  # several groups: conversion runs in the worker process
    server.append(user, plain(message_id="<before-deep@c>", subject="before"))
    deep_uid = server.append(user, deeply_nested(message_id="<deep@c>"))
    server.append(user, plain(message_id="<after-deep@c>", subject="after"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.failed) == (2, 1)
    with uow_factory(readonly=True) as uow:
        failed = uow.session.exec(select(FailedMessage)).one()
    assert (failed.uid, failed.message_id) == (deep_uid, "<deep@c>")
    assert "RecursionError" in failed.reason
    assert len(server.uids(user, folder="Failed")) == 1


def test_moving_to_a_processed_folder(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    mail_settings.mail.accounts[0].processed_folder = "Processed"
    server.append(user, plain(message_id="<mv@c>"))
    poll(engine, mail_settings, clock)
    assert server.uids(user) == []
    assert len(server.uids(user, folder="Processed")) == 1


@pytest.mark.parametrize(
    "extra",
    [
        b"Auto-Submitted: auto-replied\r\n",
        b"X-Autoreply: yes\r\n",
        b"Precedence: bulk\r\n",
        b"List-Id: <news.example.com>\r\n",
        b"Return-Path: <>\r\n",
    ],
)
def test_machines_get_a_ticket_but_no_acknowledgement(
    extra: bytes, engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<auto@c>", extra=extra))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.acknowledged) == (1, 0)
    assert count(uow_factory, OutboxMessage) == 0


def test_bounce_from_mailer_daemon_is_never_acknowledged(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(
        user, plain(message_id="<dsn@c>", sender="MAILER-DAEMON@mx.example.com", subject="Undelivered Mail")
    )
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.acknowledged) == (1, 0)
    [ticket] = tickets(uow_factory)
    assert ticket.client_id is None  # machines do not become clients


def test_acknowledgements_are_capped_per_sender_per_day(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    for i in range(6):
        server.append(user, plain(message_id=f"<loop{i}@c>", subject=f"Auto {i}", sender="robot@example.org"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.acknowledged) == (6, 3)
    clock.advance(days=1)
    server.append(user, plain(message_id="<loop-next-day@c>", subject="Next", sender="robot@example.org"))
    assert poll(engine, mail_settings, clock).acknowledged == 1


def test_charsets_and_html_through_the_whole_path(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    text = "Добрый день! Путь C:\\Users\\Иван\\отчёт.xlsx"
    server.append(user, raw_8bit(text, "cp1251", declared=None, message_id="<w@c>"))
    server.append(user, raw_8bit(text, "koi8_r", declared="windows-1251", message_id="<k@c>"))
    server.append(user, html_only("<h@c>"))
    poll(engine, mail_settings, clock)
    bodies = [events(uow_factory, ticket)[0].body for ticket in tickets(uow_factory)]
    assert bodies[0] == text
    assert bodies[1] == text
    assert "заказ (https://example.com/order?id=1&x=2)" in bodies[2]


def test_text_is_kept_exactly_as_written_beside_the_display_text(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """Issue 14 item 3: typographic characters and CJK spaces pass untouched; the original body is kept
    on the event beside the display text; HTML keeps paragraphs, list items and rows; an inline image
    shows as ``[image: name]``; a guessed charset is marked on the event."""
    server, user = mailbox
    written = "It’s ‘quoted’ – “twice”…\r\n打印机 坏了\r\n\tTabbed\x07 bell."
    server.append(user, plain(message_id="<exact@c>", subject="‘Exact’ text", body=written))
    html = (
        "<p>First ‘para’.</p><p>日本語 の テキスト</p><ul><li>one</li><li>two</li></ul>"
        '<table><tr><td>A1</td><td>B1</td></tr><tr><td>A2</td></tr></table><img src="cid:logo@c" alt="Logo">'
    )
    related = MIMEMultipart("related")
    related.attach(MIMEText(html, "html", "utf-8"))
    image = MIMEImage(b"\x89PNG\r\n\x1a\nfake", "png")
    image.add_header("Content-ID", "<logo@c>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    related.attach(image)
    related["From"], related["Subject"], related["Message-ID"] = "ann@example.com", "html", "<html-img@c>"
    server.append(user, related.as_bytes())
    server.append(
        user, raw_8bit("Здравствуйте! Счёт во вложении.", "cp1251", declared="us-ascii", message_id="<lie@c>")
    )
    assert poll(engine, mail_settings, clock).created == 3
    first, second, third = (events(uow_factory, t)[0] for t in tickets(uow_factory))
    assert first.body == "It’s ‘quoted’ – “twice”…\n打印机 坏了\n\tTabbed bell."
    assert first.data["original"] == [{"content_type": "text/plain", "text": written}]
    assert "charset_guessed" not in first.data
    assert (
        second.body == "First ‘para’.\n\n日本語 の テキスト\n\n- one\n- two\n\nA1 B1\nA2\n\n[image: logo.png]"
    )
    assert second.data["original"][0]["text"] == html
    assert third.body == "Здравствуйте! Счёт во вложении."
    assert third.data["charset_guessed"] == [
        "text/plain part: labelled 'us-ascii'; read as cp1251 (detected)"
    ]


def test_oversize_mail_still_becomes_a_ticket_noting_what_was_left_out(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    mail_settings.mail.max_message_bytes = 200_000
    server.append(user, with_attachments(message_id="<big@c>", attachment_size=500_000))
    assert poll(engine, mail_settings, clock).created == 1
    [ticket] = tickets(uow_factory)
    [event] = [item for item in events(uow_factory, ticket) if item.kind == "message_in"]
    assert "[left out: attachment 'invoice.pdf' (500000 bytes)" in event.body
    with uow_factory(readonly=True) as uow:
        pdf = uow.session.exec(select(Attachment).where(Attachment.filename == "invoice.pdf")).one()
    assert pdf.size == 500_000
    assert pdf.content is None


def test_five_megabyte_attachment_is_stored(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, with_attachments(message_id="<5mb@c>", attachment_size=5 * 1024 * 1024))
    assert poll(engine, mail_settings, clock).created == 1
    with uow_factory(readonly=True) as uow:
        pdf = uow.session.exec(select(Attachment).where(Attachment.filename == "invoice.pdf")).one()
    assert pdf.content is not None
    assert len(pdf.content) == 5 * 1024 * 1024


def test_imap_down_is_reported_and_nothing_is_written(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any
) -> None:
    from mail_servers import free_port

    mail_settings.mail.accounts[0].imap_port = free_port()
    report = poll(engine, mail_settings, clock)
    assert report.error is not None
    assert "cannot reach IMAP" in report.error
    assert count(uow_factory, ProcessedMessage) == 0


def test_wrong_password_is_reported(
    engine: Any, clock: Any, mail_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mail_settings.mail.accounts[0].password_env, "wrong")
    report = poll(engine, mail_settings, clock)
    assert report.error is not None
    assert "refused the login" in report.error


def test_idle_loop_picks_up_new_mail_and_stops_cleanly(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    server, user = mailbox
    server.append(user, plain(message_id="<before@c>", subject="before"))

    async def scenario() -> None:
        poller = Poller(
            engine=engine, settings=mail_settings, sla=SlaSetup.from_settings(mail_settings), clock=clock
        )
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            poller.run_forever(list(mail_settings.mail.accounts), stop, idle_timeout=30)
        )
        for _ in range(200):
            if count(uow_factory, Ticket) == 1:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.append, user, plain(message_id="<during@c>", subject="during"))
        for _ in range(200):
            if count(uow_factory, Ticket) == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(watcher, timeout=20)

    asyncio.run(scenario())
    assert [ticket.subject for ticket in tickets(uow_factory)] == ["before", "during"]


def test_mail_that_comes_during_a_poll_is_not_left_waiting_for_the_idle_timeout(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """The server announced it before IDLE began, so IDLE did not: it waited up to 25 minutes."""
    server, user = mailbox
    server.append(user, plain(message_id="<first@c>", subject="first"))
    arrived: list[int] = []

    def mail_arrives(uid: int) -> None:
        if not arrived:
            arrived.append(server.append(user, plain(message_id="<during@c>", subject="during")))

    async def scenario() -> None:
        poller = Poller(
            engine=engine,
            settings=mail_settings,
            sla=SlaSetup.from_settings(mail_settings),
            clock=clock,
            after_commit=mail_arrives,
        )
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            poller.run_forever(list(mail_settings.mail.accounts), stop, idle_timeout=60)
        )
        for _ in range(100):
            if count(uow_factory, Ticket) == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(watcher, timeout=20)

    asyncio.run(scenario())
    assert [ticket.subject for ticket in tickets(uow_factory)] == ["first", "during"]


def test_a_connection_lost_while_idle_is_noticed_at_once_and_mail_keeps_coming(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """A connection cut while in IDLE (a server restart, a NAT that forgets it) was noticed only when
    IDLE timed out (25 minutes by default): mail that came meanwhile waited that long."""
    from mail_servers import free_port

    server, user = mailbox
    account = mail_settings.mail.accounts[0]
    account.imap_port = free_port()
    links: list[asyncio.StreamWriter] = []

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def link(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(server.host, server.port)
        links.extend([client_writer, server_writer])
        await asyncio.gather(forward(client_reader, server_writer), forward(server_reader, client_writer))

    async def scenario() -> None:
        proxy = await asyncio.start_server(link, "127.0.0.1", account.imap_port)
        poller = Poller(
            engine=engine, settings=mail_settings, sla=SlaSetup.from_settings(mail_settings), clock=clock
        )
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            poller.run_forever(list(mail_settings.mail.accounts), stop, idle_timeout=120, max_backoff=0.5)
        )
        await asyncio.to_thread(server.append, user, plain(message_id="<before@c>", subject="before"))
        for _ in range(200):
            if count(uow_factory, Ticket) == 1:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # in IDLE now
        for writer in links:
            writer.transport.abort()
        await asyncio.to_thread(server.append, user, plain(message_id="<after@c>", subject="after"))
        for _ in range(200):
            if count(uow_factory, Ticket) == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(watcher, timeout=20)
        proxy.close()

    asyncio.run(scenario())
    assert [ticket.subject for ticket in tickets(uow_factory)] == ["before", "after"]


def test_the_service_retries_an_unreachable_server_with_back_off_and_stops_on_request(
    engine: Any, clock: Any, mail_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from mail_servers import free_port

    mail_settings.mail.accounts[0].imap_port = free_port()

    async def scenario() -> float:
        poller = Poller(
            engine=engine,
            settings=mail_settings,
            sla=SlaSetup.from_settings(mail_settings),
            clock=clock,
            imap_timeout=2,
        )
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            poller.run_forever(list(mail_settings.mail.accounts), stop, max_backoff=0.5)
        )
        await asyncio.sleep(2.0)
        stop.set()
        loop = asyncio.get_running_loop()
        stopped_at = loop.time()
        await asyncio.wait_for(watcher, timeout=10)
        return loop.time() - stopped_at

    with caplog.at_level("WARNING", logger="hotline.mail"):
        shutdown_seconds = asyncio.run(scenario())
    retries = [record for record in caplog.records if "retrying in" in record.getMessage()]
    assert len(retries) >= 3  # 1 s, then 0.5 s (the cap), and so on
    assert shutdown_seconds < 1.0


def test_a_failed_message_whose_move_a_crash_stopped_is_moved_by_the_rerun(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """The rerun flagged it \\Seen and left it in the inbox (or moved it to the processed folder)."""
    server, user = mailbox
    server.append(user, plain(message_id="<ok@c>", subject="fine"))
    bad_uid = server.append(user, plain(message_id="<bad@c>", subject="BOOM"))

    def fragile(raw: bytes, **options: Any) -> Any:
        if b"BOOM" in raw:
            raise ValueError("the parser gave up")
        return parse_message(raw, **options)

    def crash(uid: int) -> None:
        raise RuntimeError("killed after the commit")

    with pytest.raises(RuntimeError):
        poll(engine, mail_settings, clock, converter=fragile, after_commit=crash)
    assert poll(engine, mail_settings, clock).duplicates == 2
    assert bad_uid not in server.uids(user)
    assert len(server.uids(user, folder="Failed")) == 1


def test_mail_forged_from_our_own_address_is_a_ticket_but_makes_no_client(
    engine: Any, uow_factory: Any, clock: Any, mail_settings: Any, mailbox: tuple[Dovecot, str]
) -> None:
    """Spam sent "from" the mailbox itself made our own support address a client."""
    server, user = mailbox
    server.append(user, plain(message_id="<forged@spam>", subject="Invoice", sender="Support@Example.com"))
    assert poll(engine, mail_settings, clock).created == 1
    assert count(uow_factory, Client) == 0


@pytest.mark.parametrize("batch_size", [10, 1])
def test_mail_from_another_of_our_accounts_makes_no_client_and_gets_no_acknowledgement(
    batch_size: int,
    engine: Any,
    uow_factory: Any,
    clock: Any,
    mail_settings: Any,
    mailbox: tuple[Dovecot, str],
) -> None:
    """Mail from the sales account's address to support made our own sales mailbox a client and was
    acknowledged into it: hotline writing to itself."""
    server, user = mailbox
    mail_settings.mail.batch_size = batch_size
    support = mail_settings.mail.accounts[0]
    sales = support.model_copy(
        update={"name": "sales", "from_address": "Sales@Example.com", "queue": "Sales"}
    )
    mail_settings.mail.accounts.append(sales)
    server.append(user, plain(message_id="<s1@x>", subject="Lead", sender="Sales Team <sales@example.com>"))
    server.append(user, plain(message_id="<c1@x>", subject="Hello", sender="client@example.org"))
    report = poll(engine, mail_settings, clock)
    assert (report.created, report.acknowledged) == (2, 1)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(ClientEmail.address)).all() == ["client@example.org"]
        assert [row.to_addrs for row in uow.session.exec(select(OutboxMessage))] == [["client@example.org"]]
