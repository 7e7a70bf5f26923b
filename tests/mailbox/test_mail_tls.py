"""IMAP over implicit TLS and STARTTLS, certificates verified (against a throw-away CA)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mail_samples import plain
from mail_servers import Dovecot

from hotline.core.settings import MailAccount, MailSettings, Settings
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.poller import Poller


def settings_for(server: Dovecot, user: str, variable: str, **overrides: Any) -> Settings:
    account = MailAccount(
        name="tls",
        imap_host="127.0.0.1",
        username=user,
        password_env=variable,
        from_address="support@example.com",
        **overrides,
    )
    return Settings(mail=MailSettings(accounts=[account]))


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_poll_over_tls(
    security: str,
    dovecot_tls_server: Dovecot,
    engine: Any,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = dovecot_tls_server
    user, password = server.new_user()
    monkeypatch.setenv("HOTLINE_TEST_TLS_PASSWORD", password)
    server.append(user, plain(message_id=f"<tls-{security}@c>", subject=f"over {security}"))
    port = server.imaps_port if security == "ssl" else server.port
    settings = settings_for(
        server,
        user,
        "HOTLINE_TEST_TLS_PASSWORD",
        imap_port=port,
        imap_security=security,
        ca_file=str(server.ca_file),
    )
    [report] = asyncio.run(
        Poller(engine=engine, settings=settings, sla=SlaSetup.from_settings(settings), clock=clock).run_once(
            settings.mail.accounts
        )
    )
    assert report.error is None
    assert report.created == 1


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_unknown_certificate_is_refused(
    security: str, dovecot_tls_server: Dovecot, engine: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = dovecot_tls_server
    user, password = server.new_user()
    monkeypatch.setenv("HOTLINE_TEST_TLS_PASSWORD", password)
    port = server.imaps_port if security == "ssl" else server.port
    settings = settings_for(server, user, "HOTLINE_TEST_TLS_PASSWORD", imap_port=port, imap_security=security)
    [report] = asyncio.run(
        Poller(engine=engine, settings=settings, sla=SlaSetup.from_settings(settings), clock=clock).run_once(
            settings.mail.accounts
        )
    )
    assert report.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in report.error or "certificate verify failed" in report.error
