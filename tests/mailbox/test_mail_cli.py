"""``hotline mail poll|send|failed`` as cron and an init system run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mail_samples import plain
from mail_servers import Dovecot, SmtpCapture, free_port
from sqlmodel import func, select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models import OutboxMessage, Ticket

runner = CliRunner()
HOTLINE = str(Path(sys.executable).with_name("hotline"))


def write_config(
    tmp_path: Path, server: Dovecot, user: str, smtp: SmtpCapture, *, imap_port: int = 0
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[[mail.accounts]]
name = "support"
imap_host = "127.0.0.1"
imap_port = {imap_port or server.port}
imap_security = "none"
username = "{user}"
password_env = "HOTLINE_TEST_CLI_PASSWORD"
folder = "INBOX"
failed_folder = "Failed"
queue = "Support"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
smtp_security = "none"
from_address = "support@example.com"
acknowledge = true
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def setup(
    imap_user: tuple[Dovecot, str, str],
    smtp_server: SmtpCapture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Dovecot, str, SmtpCapture, Path]:
    server, user, password = imap_user
    monkeypatch.setenv("HOTLINE_TEST_CLI_PASSWORD", password)
    return server, user, smtp_server, write_config(tmp_path, server, user, smtp_server)


def tickets(engine: Any) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.session.exec(select(func.count()).select_from(Ticket)).one()


def test_poll_once_then_send_once(database_url: str, engine: Any, setup: Any) -> None:
    server, user, smtp, config = setup
    server.append(user, plain(message_id="<cli@c>", subject="From cron", sender="cron@example.com"))
    result = runner.invoke(
        app, ["--db", database_url, "--config", str(config), "mail", "poll", "--once", "--json"]
    )
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert (report["account"], report["created"], report["acknowledged"]) == ("support", 1, 1)
    result = runner.invoke(
        app, ["--db", database_url, "--config", str(config), "mail", "send", "--once", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sent"] == 1
    assert [message["To"] for message in smtp.messages] == ["cron@example.com"]


def test_poll_with_imap_down_exits_1(database_url: str, tmp_path: Path, setup: Any) -> None:
    server, user, smtp, _ = setup
    config = write_config(tmp_path, server, user, smtp, imap_port=free_port())
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "poll", "--once"])
    assert result.exit_code == 1
    assert "cannot reach IMAP" in result.output


def test_send_with_smtp_down_exits_1_and_keeps_the_mail(
    database_url: str, tmp_path: Path, setup: Any, uow_factory: Any
) -> None:
    server, user, smtp, config = setup
    server.append(user, plain(message_id="<x@c>", sender="x@example.com"))
    assert (
        runner.invoke(
            app, ["--db", database_url, "--config", str(config), "mail", "poll", "--once"]
        ).exit_code
        == 0
    )
    smtp.stop()
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "send", "--once"])
    assert result.exit_code == 1
    assert "cannot reach SMTP" in result.output
    with uow_factory(readonly=True) as uow:
        [row] = uow.session.exec(select(OutboxMessage)).all()
    assert (row.status, row.attempts) == ("pending", 0)


@pytest.mark.parametrize("interval", ["0", "-5", "nan", "inf"])
def test_an_interval_that_would_send_without_pause_is_bad_usage(database_url: str, interval: str) -> None:
    """They were taken: the sender then ran round after round without a pause."""
    result = runner.invoke(app, ["--db", database_url, "mail", "send", "--interval", interval])
    assert result.exit_code == 2, result.output
    assert "--interval" in result.output


def test_unknown_account_is_bad_usage(database_url: str, setup: Any) -> None:
    _, _, _, config = setup
    result = runner.invoke(
        app, ["--db", database_url, "--config", str(config), "mail", "poll", "--once", "--account", "nope"]
    )
    assert result.exit_code == 2
    assert "no mail account named 'nope'" in result.output


def test_failed_lists_what_could_not_be_converted(database_url: str, setup: Any, uow_factory: Any) -> None:
    from hotline.core.services.mail.failed import record_failed

    _, _, _, config = setup
    with uow_factory() as uow:
        record_failed(
            uow,
            account="support",
            uidvalidity=7,
            uid=42,
            message_id="<bad@c>",
            reason="boom\x1b[31m",
            raw=b"x",
        )
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "failed", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert {key: row[key] for key in ("account", "uid", "message_id")} == {
        "account": "support",
        "uid": 42,
        "message_id": "<bad@c>",
    }
    assert row["received_at"].startswith("2026-11-23T07:00:00")
    table = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "failed"])
    assert "\x1b[31m" not in table.stdout
    assert "<bad@c>" in table.stdout


def test_failed_outgoing_lists_the_mail_the_smtp_server_refused(
    database_url: str, setup: Any, uow_factory: Any
) -> None:
    """A mail refused for good (5xx) was shown only on its ticket and in the audit trail: an
    acknowledgement or a mailed report, on no ticket, nowhere a supervisor looks. One put off (4xx)
    waits for its retry and is not listed; one refused by one recipient of two is."""
    from hotline.core.services.outbox import enqueue_mail
    from hotline.core.services.tickets import create_ticket

    _, _, smtp, config = setup
    smtp.refuse["gone@example.com"] = "550 5.1.1 no such mailbox\x1b[31m"
    smtp.refuse["busy@example.com"] = "451 4.7.1 greylisted"
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support", requester="gone@example.com")
        enqueue_mail(uow, to=["gone@example.com"], subject="Re: x", body="x", ticket_id=ticket.id)
        enqueue_mail(uow, to=["busy@example.com"], subject="later", body="x")
        enqueue_mail(
            uow, to=["ok@example.com", "gone@example.com"], subject="Weekly", body="x", kind="report"
        )
    base = ["--db", database_url, "--config", str(config), "mail"]
    assert runner.invoke(app, [*base, "send", "--once"]).exit_code == 0
    result = runner.invoke(app, [*base, "failed", "--outgoing", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["to"], row["ticket"], row["kind"]) for row in rows] == [
        (["gone@example.com"], ticket.number, "reply"),
        (["ok@example.com", "gone@example.com"], None, "report"),
    ]
    assert all("550" in row["reason"] for row in rows)
    assert all(row["failed_at"] for row in rows)
    table = runner.invoke(app, [*base, "failed", "--outgoing"])
    assert table.exit_code == 0
    assert "550" in table.stdout and "\x1b[31m" not in table.stdout


def test_failed_reads_the_size_of_each_message_not_its_bytes(
    database_url: str, engine: Any, setup: Any, uow_factory: Any
) -> None:
    """The list read every failed message whole (up to the size limit each) to show its size: a few
    hundred failed 25 MB messages and ``mail failed`` needed gigabytes."""
    import re

    from sqlalchemy import event

    from hotline.core.services.mail.failed import list_failed, record_failed

    _, _, _, config = setup
    with uow_factory() as uow:
        record_failed(
            uow, account="support", uidvalidity=7, uid=1, message_id=None, reason="x", raw=b"y" * 5000
        )
        record_failed(uow, account="support", uidvalidity=7, uid=2, message_id=None, reason="x", raw=None)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with uow_factory(readonly=True) as uow:
            sizes = [item.size for item in list_failed(uow)]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sizes == [5000, 0]
    assert not [sql for sql in statements if re.search(r"failed_message\.raw(?!\))", sql)]
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "failed", "--json"])
    assert [row["size"] for row in json.loads(result.stdout)] == [5000, 0]


def test_failed_of_an_account_nobody_knows_is_bad_usage_not_an_empty_list(
    database_url: str, setup: Any, uow_factory: Any
) -> None:
    """A misspelt --account listed nothing, exit 0 (all well, it seemed), and a blank one listed every
    account's. An account since removed from the configuration still lists what it left."""
    from hotline.core.services.mail.failed import record_failed

    _, _, _, config = setup
    with uow_factory() as uow:
        for account, uid in (("support", 1), ("retired", 2)):
            record_failed(
                uow, account=account, uidvalidity=7, uid=uid, message_id=None, reason="boom", raw=b"x"
            )

    def failed(account: str) -> Any:
        arguments = ["--db", database_url, "--config", str(config), "mail", "failed", "--json"]
        return runner.invoke(app, [*arguments, "--account", account])

    for known, uid in (("support", 1), ("retired", 2)):
        result = failed(known)
        assert result.exit_code == 0, result.output
        assert [row["uid"] for row in json.loads(result.stdout)] == [uid]
    for unknown in ("suport", "", " ", "\x1b[31m"):
        result = failed(unknown)
        assert result.exit_code == 2, (unknown, result.output)
        assert result.stdout == ""
        assert "no mail account named" in result.stderr
        assert "\x1b[31m" not in result.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_service_polls_with_idle_and_stops_on_sigterm(database_url: str, engine: Any, setup: Any) -> None:
    server, user, _, config = setup
    environment = {**os.environ, "HOTLINE_DATABASE_URL": database_url, "HOTLINE_CONFIG": str(config)}
    process = subprocess.Popen(
        [HOTLINE, "mail", "poll"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        server.append(user, plain(message_id="<svc1@c>", subject="one"))
        deadline = time.monotonic() + 30
        while tickets(engine) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        server.append(user, plain(message_id="<svc2@c>", subject="two"))
        while tickets(engine) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tickets(engine) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert b"mail poller stopped" in stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_account_without_password_env_is_named_as_such(database_url: str, tmp_path: Path) -> None:
    """Not "set the variable None": the file names no variable at all."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[[mail.accounts]]\nname = "support"\nimap_host = "imap.example.com"\nusername = "u"\n'
        'from_address = "support@example.com"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--db", database_url, "--config", str(config), "mail", "poll", "--once"])
    assert result.exit_code == 2, result.output
    assert "mail account 'support' has no password_env" in result.output
    assert "None" not in result.output


@pytest.mark.parametrize(
    "smtp_lines",
    [
        "",
        '[[mail.accounts]]\nname = "support"\nimap_host = "127.0.0.1"\nusername = "u"\n'
        'from_address = "support@example.com"\n',
    ],
)
def test_send_without_an_smtp_account_is_bad_configuration(
    database_url: str, tmp_path: Path, uow_factory: Any, smtp_lines: str
) -> None:
    """It exited 1 (an outage, retry later) while ``mail poll`` without an account exits 2: a file that
    names no SMTP server is bad configuration, whatever the outbox holds; the mail stays queued."""
    from hotline.core.services.outbox import enqueue_mail

    with uow_factory() as uow:
        enqueue_mail(uow, to=["a@example.com"], subject="x", body="y")
    config = tmp_path / "config.toml"
    config.write_text(smtp_lines, encoding="utf-8")
    for extra in ([], ["--json"]):
        result = runner.invoke(
            app, ["--db", database_url, "--config", str(config), "mail", "send", "--once", *extra]
        )
        assert result.exit_code == 2, result.output
        assert "smtp_host" in result.output
    with uow_factory(readonly=True) as uow:
        [row] = uow.session.exec(select(OutboxMessage)).all()
    assert (row.status, row.attempts) == ("pending", 0)
