"""The fixtures themselves: Dovecot takes APPENDs per user, aiosmtpd captures what it is sent."""

from __future__ import annotations

import smtplib

from mail_servers import Dovecot, SmtpCapture


def test_dovecot_append_and_search(imap_user: tuple[Dovecot, str, str]) -> None:
    server, username, _ = imap_user
    first = server.append(username, b"Subject: one\r\nMessage-ID: <1@t>\r\n\r\nbody\r\n")
    second = server.append(username, b"Subject: two\r\nMessage-ID: <2@t>\r\n\r\nbody\r\n", flags="\\Seen")
    assert second == first + 1
    assert server.uids(username) == [first, second]
    assert server.uids(username, criteria="UNSEEN") == [first]


def test_each_user_has_an_empty_mailbox(imap_user: tuple[Dovecot, str, str]) -> None:
    server, username, _ = imap_user
    assert server.uids(username) == []


def test_smtp_capture(smtp_server: SmtpCapture) -> None:
    smtp_server.refuse["nobody@example.com"] = "550 5.1.1 no such user"
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        refused = client.sendmail(
            "a@example.com", ["b@example.com", "nobody@example.com"], b"Subject: hi\r\n\r\nthere\r\n"
        )
    assert list(refused) == ["nobody@example.com"]
    assert [message["Subject"] for message in smtp_server.messages] == ["hi"]
