"""``hotline report send``: the report is queued in the outbox with its file attached, and the real
sender delivers it through aiosmtpd on loopback with the attachment intact."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from mail_servers import SmtpCapture
from openpyxl import load_workbook
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.errors import ConfigError
from hotline.core.models.enums import Direction, Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from hotline.core.settings import load_settings
from hotline.mailbox.sender import Sender

CONFIG = """
timezone = "Europe/Moscow"

[[mail.accounts]]
name = "support"
imap_host = "127.0.0.1"
username = "support"
smtp_host = "{host}"
smtp_port = {port}
smtp_security = "none"
from_address = "support@example.com"

[reports]
account = "support"

[reports.schedules.weekly-team]
report = "operators"
to = ["boss@example.com", "Deputy@Example.com"]
subject = "Weekly: {{title}} {{from}} – {{to}}"
period = "last-week"
"""


def test_report_send_queues_the_file_and_aiosmtpd_receives_it(
    engine: Any, uow_factory: Any, clock: Any, database_url: str, smtp_server: SmtpCapture, tmp_path: Path
) -> None:
    with uow_factory() as uow:
        add_operator(uow, login="boss", role=Role.SUPERVISOR)
        add_operator(uow, login="anna", role=Role.OPERATOR, display_name="Anna")
        client_id = create_client(uow, draft=ClientDraft(name="Клиент"), default_region="RU").id
    with uow_factory(actor_login="anna") as uow:  # the clock is Monday 23 November: last week is 16–22
        for day, seconds in [(16, 60), (22, 120), (23, 999)]:
            log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=seconds, outcome="ok",
                     started_at=datetime(2026, 11, day, 8, 0, tzinfo=UTC))  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(host=smtp_server.host, port=smtp_server.port), encoding="utf-8")
    env = {
        "HOTLINE_OPERATOR": "boss",
        "HOTLINE_NOW": clock.now().isoformat(),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    base = ["--db", database_url, "--config", str(config), "report", "send"]
    queued = CliRunner().invoke(app, [*base, "weekly-team"], env=env)
    assert queued.exit_code == 0, queued.output
    assert "operators_2026-11-16_2026-11-22.xlsx (1 rows) queued" in queued.stderr
    as_operator = CliRunner().invoke(app, [*base, "weekly-team"], env=env | {"HOTLINE_OPERATOR": "anna"})
    assert as_operator.exit_code == 2  # reports are for supervisors
    no_one = CliRunner().invoke(app, [*base, "calls"], env=env)
    assert no_one.exit_code == 2 and "--to" in no_one.stderr

    settings = load_settings(config)
    assert asyncio.run(Sender(engine=engine, settings=settings, clock=clock, timeout=10).send_due()).sent == 1
    [message] = smtp_server.messages
    assert (
        str(make_header(decode_header(message["Subject"])))
        == "Weekly: Calls per operator 2026-11-16 – 2026-11-22"
    )
    assert sorted(message["To"].split(", ")) == ["boss@example.com", "deputy@example.com"]
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == "operators_2026-11-16_2026-11-22.xlsx"
    rows = list(
        load_workbook(io.BytesIO(attachment.get_payload(decode=True))).active.iter_rows(values_only=True)
    )
    assert rows[1][:5] == ("anna", "Anna", 2, 2, 0)
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode(text.get_content_charset() or "utf-8")
    assert "1 rows; the whole report is attached" in body


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ('report = "weather"', "unknown report 'weather'"),
        ('report = "sla"\nto = ["not an address"]', "not an email address"),
        # queued as two recipients of one mail: the boss got the report twice
        ('report = "sla"\nto = ["boss@example.com", "Boss@Example.com"]', "boss@example.com is listed twice"),
        ('report = "sla"\nperiod = "fortnight"', "unknown period 'fortnight'"),
        ('report = "sla"\nsubject = "{when}"', "only {title}, {from} and {to}"),
        # queued with the ESC in it; a line break became a space without a word
        ('report = "sla"\nsubject = "Weekly \\u001b[2J{title}"', "subject: a subject is printable text"),
        ('report = "sla"\nsubject = "Weekly\\nBcc: x@example.com"', "subject: a subject is printable text"),
        ('report = "sla"\nsubject = " "', "subject: a subject is blank"),
        ('report = "sla"\nformat = "pdf"', "xlsx"),
    ],
)
def test_schedules_are_checked_when_the_file_is_loaded(tmp_path: Path, schedule: str, reason: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[reports.schedules.weekly]\n{schedule}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert reason in str(error.value) and "reports" in str(error.value)
