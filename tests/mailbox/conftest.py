"""Fixtures for the mailbox tests: a real Dovecot and a capturing SMTP server, both on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mail_servers import Dovecot, SmtpCapture, dovecot_binary, start_dovecot, start_smtp


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    binary = dovecot_binary()
    if binary is None:
        pytest.skip(
            "DOVECOT NOT INSTALLED: apt-get install -y dovecot-imapd (the mailbox IMAP tests need it)"
        )
    server = start_dovecot(binary)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_user(dovecot_server: Dovecot) -> tuple[Dovecot, str, str]:
    """A fresh, empty mailbox on the shared Dovecot: (server, username, password)."""
    username, password = dovecot_server.new_user()
    return dovecot_server, username, password


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    server = start_smtp()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_settings(
    imap_user: tuple[Dovecot, str, str], smtp_server: SmtpCapture, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Settings with one account ``support`` on the test Dovecot (folder INBOX) and the capturing SMTP."""
    from hotline.core.settings import MailAccount, MailSettings, Settings

    server, username, password = imap_user
    variable = f"HOTLINE_TEST_MAIL_PASSWORD_{username.upper()}"
    monkeypatch.setenv(variable, password)
    account = MailAccount(
        name="support",
        imap_host=server.host,
        imap_port=server.port,
        imap_security="none",
        username=username,
        password_env=variable,
        folder="INBOX",
        failed_folder="Failed",
        queue="Support",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        from_address="support@example.com",
        acknowledge=True,
    )
    return Settings(mail=MailSettings(accounts=[account], batch_size=10))


@pytest.fixture(scope="session")
def dovecot_tls_server() -> Iterator[Dovecot]:
    """A second Dovecot offering STARTTLS and implicit TLS with a certificate from a throw-away CA."""
    import shutil

    binary = dovecot_binary()
    if binary is None:
        pytest.skip(
            "DOVECOT NOT INSTALLED: apt-get install -y dovecot-imapd (the mailbox IMAP tests need it)"
        )
    if shutil.which("openssl") is None:
        pytest.skip("OPENSSL NOT INSTALLED: the TLS tests make their certificates with it")
    server = start_dovecot(binary, tls=True)
    try:
        yield server
    finally:
        server.stop()
