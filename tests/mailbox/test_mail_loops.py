"""Loop guards: bounces, auto-replies, list and bulk mail are recognised; a person's mail is not."""

from __future__ import annotations

from typing import Any

import pytest
from mail_corpus import CORPUS, corpus_manifest
from mail_samples import plain

from hotline.mailbox.convert import parse_message
from hotline.mailbox.loops import MailKind, classify

MANIFEST = corpus_manifest()
AUTOMATED_FLAGS = {"bounce", "auto-reply", "bulk-or-list", "auto-generated", "delay-notification"}


@pytest.mark.skipif(not MANIFEST, reason=f"MAIL CORPUS MISSING at {CORPUS}")
@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_corpus_kinds(entry: dict[str, Any]) -> None:
    verdict = classify(parse_message((CORPUS / entry["file"]).read_bytes()))
    automated = entry["kind"] != "message" or bool(AUTOMATED_FLAGS & set(entry["flags"]))
    assert verdict.automated is automated, verdict.reasons
    if entry["kind"] in ("bounce", "delay-notification"):
        assert verdict.kind is MailKind.BOUNCE
    if entry["kind"] == "auto-reply":
        assert verdict.kind is MailKind.AUTO_REPLY


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        (b"Auto-Submitted: auto-replied\r\n", MailKind.AUTO_REPLY),
        (b"Auto-Submitted: auto-generated\r\n", MailKind.AUTO_GENERATED),
        (b"X-Autoreply: yes\r\n", MailKind.AUTO_REPLY),
        (b"X-Autorespond: vacation\r\n", MailKind.AUTO_REPLY),
        (b"Precedence: bulk\r\n", MailKind.BULK),
        (b"Precedence: junk\r\n", MailKind.BULK),
        (b"Precedence: list\r\n", MailKind.LIST),
        (b"Precedence: auto_reply\r\n", MailKind.AUTO_REPLY),
        (b"List-Id: <users.lists.example.org>\r\n", MailKind.LIST),
        (b"List-Unsubscribe: <mailto:leave@lists.example.org>\r\n", MailKind.LIST),
        (b"Return-Path: <>\r\n", MailKind.AUTO_GENERATED),
        (b"X-Auto-Response-Suppress: All\r\n", MailKind.AUTO_GENERATED),
    ],
)
def test_header_signals(extra: bytes, kind: MailKind) -> None:
    verdict = classify(parse_message(plain(message_id="<h@test>", extra=extra)))
    assert verdict.kind is kind
    assert verdict.automated


def test_auto_submitted_no_is_a_person() -> None:
    verdict = classify(parse_message(plain(message_id="<p@test>", extra=b"Auto-Submitted: no\r\n")))
    assert verdict.kind is MailKind.PERSON
    assert not verdict.automated


@pytest.mark.parametrize(
    ("sender", "subject", "kind"),
    [
        ("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender", MailKind.BOUNCE),
        ("mailer-daemon@mx.example.com", "anything", MailKind.BOUNCE),
        ("postmaster@example.com", "Delivery Status Notification (Failure)", MailKind.BOUNCE),
        ("noreply@shop.example.com", "Your order", MailKind.AUTO_GENERATED),
        ("ivan@example.ru", "Автоответ: в отпуске", MailKind.AUTO_REPLY),
        ("ivan@example.ru", "Out of Office: back Monday", MailKind.AUTO_REPLY),
        ("ivan@example.ru", "Out of office", MailKind.AUTO_REPLY),
        ("ivan@example.ru", "Out of Office AutoReply: Your order", MailKind.AUTO_REPLY),
        ("ivan@example.ru", "Automatic reply: Re: [#12] Printer", MailKind.AUTO_REPLY),
        ("ivan@example.ru", "Автоматический ответ", MailKind.AUTO_REPLY),
        # A person's words that begin like an autoresponder's: acknowledged, and reopen her ticket.
        ("ivan@example.ru", "Out of office printer broken", MailKind.PERSON),
        ("ivan@example.ru", "On vacation, card blocked abroad", MailKind.PERSON),
        ("ivan@example.ru", "Автоответ не приходит на мои письма", MailKind.PERSON),
        ("ivan@example.ru", "Undelivered parcel from our shop", MailKind.PERSON),
        ("ivan@example.ru", "Принтер не работает", MailKind.PERSON),
    ],
)
def test_sender_and_subject_signals(sender: str, subject: str, kind: MailKind) -> None:
    verdict = classify(parse_message(plain(message_id="<s@test>", sender=sender, subject=subject)))
    assert verdict.kind is kind


def test_delivery_status_report_is_a_bounce() -> None:
    raw = (
        b"From: someone@example.com\r\nSubject: hello\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    verdict = classify(parse_message(raw))
    assert verdict.kind is MailKind.BOUNCE
