"""Issue 14 items 4 and 5 on the command line: ``tickets reply --attach`` and the outgoing limit,
``tickets attachment NUMBER [NAME] --save DIR`` (safe names, exit 2 for unknown names, no writing over
without ``--force``), and a reply refused with exit 2 when no mail account can send it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core.escalation.world import CONFIG_TOML, populate
from sqlalchemy import select

from cli.test_tickets_cli import MAIL_TOML, NOW, runner
from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models import Attachment, OutboxMessage, TicketEvent


def _cli(database_url: str, config: Path):
    def invoke(*args: str):
        return runner.invoke(
            app, ["--db", database_url, "--config", str(config), "--operator", "ivan", "--now", NOW, *args]
        )

    return invoke


@pytest.fixture
def cli(database_url: str, engine, clock, tmp_path: Path):
    populate(engine, clock)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_TOML + MAIL_TOML, encoding="utf-8")
    return _cli(database_url, config)


def _ticket(cli) -> int:
    created = cli("tickets", "create", "--subject", "Files", "--requester", "anna@example.org", "--json")
    assert created.exit_code == 0, created.output
    return json.loads(created.stdout)["number"]


def test_reply_with_attachments_then_list_and_save_them(cli, engine, tmp_path: Path) -> None:
    number = _ticket(cli)
    first = tmp_path / "счёт № 7.pdf"
    first.write_bytes(b"%PDF-1.4 one")
    second = tmp_path / "other" / "счёт № 7.pdf"
    second.parent.mkdir()
    second.write_bytes(b"%PDF-1.4 two")
    replied = cli(
        "tickets",
        "reply",
        str(number),
        "--body",
        "See attached.",
        "--attach",
        str(first),
        "--attach",
        str(second),
    )
    assert replied.exit_code == 0, replied.output
    assert "queued" in replied.output and "sent" not in replied.output.replace("not sent yet", "")
    with UnitOfWork(engine, readonly=True) as uow:
        mail = uow.session.execute(select(OutboxMessage)).scalar_one()
        files = (
            uow.session.execute(select(Attachment).where(Attachment.event_id == mail.event_id))
            .scalars()
            .all()
        )
    assert [(f.filename, f.content_type, f.content) for f in files] == [
        ("счёт № 7.pdf", "application/pdf", b"%PDF-1.4 one"),
        ("счёт № 7.pdf", "application/pdf", b"%PDF-1.4 two"),
    ]
    listed = json.loads(cli("tickets", "attachment", str(number), "--json").stdout)
    assert [item["name"] for item in listed] == ["счёт № 7.pdf", "счёт № 7-2.pdf"]
    target = tmp_path / "saved"
    target.mkdir()
    saved = cli("tickets", "attachment", str(number), "--save", str(target))
    assert saved.exit_code == 0, saved.output
    assert (target / "счёт № 7.pdf").read_bytes() == b"%PDF-1.4 one"
    assert (target / "счёт № 7-2.pdf").read_bytes() == b"%PDF-1.4 two"
    again = cli("tickets", "attachment", str(number), "счёт № 7-2.pdf", "--save", str(target))
    assert again.exit_code == 2 and "already exists" in again.output
    (target / "счёт № 7-2.pdf").write_bytes(b"changed")
    forced = cli("tickets", "attachment", str(number), "счёт № 7-2.pdf", "--save", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert (target / "счёт № 7-2.pdf").read_bytes() == b"%PDF-1.4 two"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch.pdf", "--save", "{dir}"), "has no attachment named 'nosuch.pdf'"),
        (("../../etc/passwd", "--save", "{dir}"), "has no attachment named"),
        (("--save", "{dir}/missing"), "not a directory"),
    ],
)
def test_hostile_or_wrong_attachment_requests_are_exit_2_and_write_nothing(
    cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    number = _ticket(cli)
    upload = tmp_path / "a.txt"
    upload.write_text("x")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    target = tmp_path / "out"
    target.mkdir()
    result = cli("tickets", "attachment", str(number), *(a.replace("{dir}", str(target)) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(target.iterdir()) == []


def test_a_stored_name_that_tries_to_escape_is_saved_under_its_safe_name(cli, engine, tmp_path: Path) -> None:
    number = _ticket(cli)
    upload = tmp_path / "a.txt"
    upload.write_text("payload")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    with UnitOfWork(engine) as uow:
        stored = uow.session.execute(select(Attachment)).scalar_one()
        stored.filename = "../../.bashrc\x1b[2J"
    target = tmp_path / "out"
    target.mkdir()
    saved = cli("tickets", "attachment", str(number), "--save", str(target))
    assert saved.exit_code == 0, saved.output
    assert [path.name for path in target.iterdir()] == ["bashrc[2J"]
    assert not (tmp_path / ".bashrc").exists()


def test_attachments_over_the_outgoing_limit_are_refused_and_nothing_is_queued(
    cli, engine, tmp_path: Path
) -> None:
    number = _ticket(cli)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 4000)  # 4,000 bytes are 5,333 in base64: over the 4,096 configured
    refused = cli("tickets", "reply", str(number), "--body", "x", "--attach", str(big))
    assert refused.exit_code == 2, refused.output
    assert "over the 4,096-byte limit" in refused.output
    missing = cli("tickets", "reply", str(number), "--body", "x", "--attach", str(tmp_path / "nope.pdf"))
    assert missing.exit_code == 2 and "nope.pdf: no such file" in missing.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(OutboxMessage)).first() is None
        assert (
            uow.session.execute(select(TicketEvent).where(TicketEvent.kind == "message_out")).first() is None
        )


@pytest.mark.parametrize(
    "mail_toml",
    [
        "",
        '[[mail.accounts]]\nname = "in-only"\nimap_host = "127.0.0.1"\nusername = "u"\nfrom_address = "s@example.com"\n',
    ],
    ids=["no-account", "no-smtp"],  # a from_address that is no address is refused with the configuration
)
def test_with_no_account_to_send_from_a_reply_is_refused_and_nothing_written(
    database_url: str, engine, clock, tmp_path: Path, mail_toml: str
) -> None:
    populate(engine, clock)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_TOML + mail_toml, encoding="utf-8")
    cli = _cli(database_url, config)
    number = _ticket(cli)
    refused = cli("tickets", "reply", str(number), "--body", "Done.")
    assert refused.exit_code == 2, refused.output
    assert "draft is kept" in refused.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(OutboxMessage)).first() is None
        assert (
            uow.session.execute(select(TicketEvent).where(TicketEvent.kind == "message_out")).first() is None
        )


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_save_directory_is_refused_not_the_current_folder(
    cli, tmp_path: Path, monkeypatch, blank: str
) -> None:
    """``--save ""`` (an unset shell variable) was read as ``.``: the files went into whatever folder the
    command ran in, exit 0. Now exit 2, naming --save, and nothing written."""
    number = _ticket(cli)
    file = tmp_path / "a.txt"
    file.write_bytes(b"one")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(file)).exit_code == 0
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    saved = cli("tickets", "attachment", str(number), "--save", blank)
    assert saved.exit_code == 2, saved.output
    assert "--save" in saved.output and "blank" in saved.output
    assert list(here.iterdir()) == []


def test_saving_a_ticket_without_attachments_says_so(cli, tmp_path: Path) -> None:
    """``--save DIR`` on a ticket with no attachments printed nothing, as if it had saved them."""
    number = _ticket(cli)
    saved = cli("tickets", "attachment", str(number), "--save", str(tmp_path))
    assert saved.exit_code == 0, saved.output
    assert f"#{number} has no attachments: nothing saved" in saved.stderr


def test_a_number_past_what_the_column_holds_is_bad_usage(cli) -> None:
    """PostgreSQL said "database error: integer out of range" (exit 1): ticket numbers are 32-bit."""
    for words in (("show", "3000000000"), ("attachment", "3000000000")):
        result = cli("tickets", *words)
        assert result.exit_code == 2, (words, result.output)
        assert "2147483647" in result.output
