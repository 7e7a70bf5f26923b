"""Issue 14 items 4 and 5 on the command line: ``tickets reply --attach`` and the outgoing limit,
``tickets attachment NUMBER [NAME] --save DIR`` (safe names, exit 2 for unknown names, no writing over
without ``--force``), and a reply refused with exit 2 when no mail account can send it."""

from __future__ import annotations

import json
import os
import re
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


def test_two_long_names_alike_are_saved_as_two_files(cli, tmp_path: Path) -> None:
    """Two attachments of one name at the length limit were listed as two (``…a.pdf``, ``…a-2.pdf``), but
    the second's name, cut again when saved, was the first's: one file was written over the other and
    'saved' was said twice for one path, exit 0."""
    number = _ticket(cli)
    name = "a" * 246 + ".pdf"
    paths = []
    for folder, content in (("one", b"first"), ("two", b"second")):
        path = tmp_path / folder / name
        path.parent.mkdir()
        path.write_bytes(content)
        paths += ["--attach", str(path)]
    assert cli("tickets", "reply", str(number), "--body", "Both.", *paths).exit_code == 0
    listed = [item["name"] for item in json.loads(cli("tickets", "attachment", str(number), "--json").stdout)]
    assert len(set(listed)) == 2
    assert all(len(listed_name.encode("utf-8")) <= 200 for listed_name in listed)
    target = tmp_path / "saved"
    target.mkdir()
    saved = cli("tickets", "attachment", str(number), "--save", str(target), "--json")
    assert saved.exit_code == 0, saved.output
    assert sorted(Path(path).name for path in json.loads(saved.stdout)) == sorted(listed)
    assert sorted(path.read_bytes() for path in target.iterdir()) == [b"first", b"second"]
    second = cli("tickets", "attachment", str(number), listed[1], "--save", str(tmp_path / "one"), "--json")
    assert second.exit_code == 0, second.output
    assert [Path(path).name for path in json.loads(second.stdout)] == [listed[1]]


def test_files_over_the_outgoing_limit_are_refused_before_they_are_read(
    cli, engine, tmp_path: Path, monkeypatch
) -> None:
    """A film attached by mistake (or the same one ten times) was read into memory whole, up to 200 MB a
    file and without a bound in all, before the size of the mail was checked: gigabytes for a refusal."""
    number = _ticket(cli)
    small = tmp_path / "note.txt"
    small.write_bytes(b"x" * 2000)
    film = tmp_path / "film.mkv"
    with film.open("wb") as out:  # sparse: 150 MB on paper, nothing on disk
        out.truncate(150 * 1024 * 1024)

    read_bytes = Path.read_bytes

    def no_reading(self: Path) -> bytes:
        if self in (small, film):
            raise AssertionError(f"{self} was read")
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    for files in ([film], [small, small]):  # 2 × 2,000 bytes are 5,332 in base64: over the 4,096 configured
        attach = [word for path in files for word in ("--attach", str(path))]
        refused = cli("tickets", "reply", str(number), "--body", "x", *attach)
        assert refused.exit_code == 2, refused.output
        assert "over the 4,096-byte limit" in refused.output
        assert files[-1].name in refused.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(OutboxMessage)).first() is None


def test_show_json_names_each_attachment_as_the_attachment_command_takes_it(
    cli, engine, tmp_path: Path
) -> None:
    """``tickets show --json`` gave both of two files called ``a.txt`` as ``a.txt`` (and a mail's
    ``../../.bashrc`` as that): a script that fetched what it read there got the first file twice and
    never the second, and the other not at all. Each now also carries its ``name``, the one ``tickets
    attachment`` lists and takes."""
    number = _ticket(cli)
    paths = []
    for folder, content in (("one", b"first"), ("two", b"second"), ("three", b"third")):
        path = tmp_path / folder / "a.txt"
        path.parent.mkdir()
        path.write_bytes(content)
        paths += ["--attach", str(path)]
    assert cli("tickets", "reply", str(number), "--body", "Files.", *paths).exit_code == 0
    with UnitOfWork(engine) as uow:
        last = uow.session.execute(select(Attachment).order_by(Attachment.id.desc())).scalars().first()
        last.filename = "../../.bashrc"
    (reply,) = [
        e
        for e in json.loads(cli("tickets", "show", str(number), "--json").stdout)["events"]
        if e["attachments"]
    ]
    assert [item["filename"] for item in reply["attachments"]] == ["a.txt", "a.txt", "../../.bashrc"]
    names = [item["name"] for item in reply["attachments"]]
    assert names == ["a.txt", "a-2.txt", "bashrc"]
    for name, content in zip(names, (b"first", b"second", b"third"), strict=True):
        target = tmp_path / f"saved-{content.decode()}"
        target.mkdir()
        assert cli("tickets", "attachment", str(number), name, "--save", str(target)).exit_code == 0
        assert (target / name).read_bytes() == content


def test_saving_one_attachment_reads_only_its_bytes(cli, tmp_path: Path) -> None:
    """``tickets attachment N NAME --save DIR`` (and the console's save or open of one file) read the bytes
    of every attachment of the ticket to keep one: for a ticket of ten 20 MB scans, 200 MB for each file
    saved. The names are read first; then the chosen file's bytes alone."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    number = _ticket(cli)
    paths = []
    for name in ("first.txt", "second.txt", "third.txt"):
        path = tmp_path / name
        path.write_bytes(name.encode() * 10)
        paths += ["--attach", str(path)]
    assert cli("tickets", "reply", str(number), "--body", "Files.", *paths).exit_code == 0
    statements: list[str] = []

    def seen(connection, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        target = tmp_path / "out"
        target.mkdir()
        saved = cli("tickets", "attachment", str(number), "second.txt", "--save", str(target))
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert saved.exit_code == 0, saved.output
    assert [path.name for path in target.iterdir()] == ["second.txt"]
    assert (target / "second.txt").read_bytes() == b"second.txt" * 10
    reading_bytes = [  # the statements whose columns are the bytes (not only whether they were kept)
        s
        for s in statements
        if re.search(r"attachment\.content(?!_type)(?! IS NOT NULL)", s.split(" FROM ", 1)[0])
    ]
    assert reading_bytes, statements
    where = [s.split(" WHERE ", 1)[-1].split(" ORDER BY ")[0] for s in reading_bytes]
    assert all("attachment.id" in clause for clause in where), reading_bytes


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("café.txt", "cafe\u0301.txt"), ("cafe\u0301.txt", "café.txt")],
    ids=["typed-nfd", "typed-nfc"],
)
def test_a_name_typed_in_another_unicode_form_picks_its_attachment(
    cli, engine, tmp_path: Path, stored: str, typed: str
) -> None:
    """A macOS terminal types 'é' as e + a combining accent (NFD); the name kept is NFC: ``tickets
    attachment N café.txt`` was "has no attachment named 'café.txt' (it has: café.txt)", exit 2."""
    number = _ticket(cli)
    upload = tmp_path / "upload.txt"
    upload.write_bytes(b"menu")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    with UnitOfWork(engine) as uow:
        uow.session.execute(select(Attachment)).scalar_one().filename = stored
    listed = cli("tickets", "attachment", str(number), typed, "--json")
    assert listed.exit_code == 0, listed.output
    assert [item["name"] for item in json.loads(listed.stdout)] == ["café.txt"]
    target = tmp_path / "out"
    target.mkdir()
    saved = cli("tickets", "attachment", str(number), typed, "--save", str(target))
    assert saved.exit_code == 0, saved.output
    assert [path.name for path in target.iterdir()] == ["café.txt"]
    assert (target / "café.txt").read_bytes() == b"menu"


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_attach_is_bad_usage_and_queues_nothing(cli, engine, blank: str) -> None:
    """``--attach ""`` (an unset shell variable) was read as ``.``: ". : not a file", naming a folder
    nobody typed. Now a blank name is refused as such, naming --attach; nothing queued."""
    number = _ticket(cli)
    refused = cli("tickets", "reply", str(number), "--body", "x", "--attach", blank)
    assert refused.exit_code == 2, refused.output
    assert "--attach" in refused.output and "blank" in refused.output
    assert ". : not a file" not in refused.output and ".: not a file" not in refused.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(OutboxMessage)).first() is None
        assert (
            uow.session.execute(select(TicketEvent).where(TicketEvent.kind == "message_out")).first() is None
        )


def test_a_dangling_link_at_the_target_is_not_written_over_without_force(cli, tmp_path: Path) -> None:
    """A link to nothing where a file was to be saved read as no file there: it was replaced without
    ``--force`` (never followed, but still something that was there). Now it is refused as an existing
    file is, and kept; ``--force`` writes the file in its place."""
    number = _ticket(cli)
    upload = tmp_path / "a.txt"
    upload.write_bytes(b"payload")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").symlink_to(tmp_path / "nowhere")
    refused = cli("tickets", "attachment", str(number), "--save", str(target))
    assert refused.exit_code == 2, refused.output
    assert "already exists" in refused.output and "--force" in refused.output
    assert (target / "a.txt").is_symlink() and not (tmp_path / "nowhere").exists()
    assert [path.name for path in target.iterdir()] == ["a.txt"]
    forced = cli("tickets", "attachment", str(number), "a.txt", "--save", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert not (target / "a.txt").is_symlink() and (target / "a.txt").read_bytes() == b"payload"
    assert not (tmp_path / "nowhere").exists()


def test_saved_names_a_folder_of_undecodable_bytes_whole(cli, tmp_path: Path) -> None:
    """A folder whose name is not UTF-8 (``out\\xff``, made in a koi8-r terminal) was said as "saved
    …/out/a.txt": the byte was dropped by the printable filter, naming a folder that is not there. It is
    now written as an escape (``out\\xff``), as is a control character (never raw on the terminal)."""
    number = _ticket(cli)
    upload = tmp_path / "a.txt"
    upload.write_bytes(b"payload")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    folder = os.fsencode(tmp_path) + b"/out\xff\x1b[2J"
    os.mkdir(folder)
    saved = cli("tickets", "attachment", str(number), "--save", os.fsdecode(folder))
    assert saved.exit_code == 0, saved.output
    assert os.listdir(folder) == [b"a.txt"]
    assert f"saved {tmp_path}/out\\xff\\x1b[2J/a.txt\n" in saved.stderr


def test_save_refusals_name_a_folder_of_undecodable_bytes_whole(cli, tmp_path: Path) -> None:
    """The refusals of ``--save`` dropped a byte of a folder's koi8-r name as "saved" did: "…/out/a.txt:
    already exists" and "…/nope: not a directory" named paths that are not there."""
    number = _ticket(cli)
    upload = tmp_path / "a.txt"
    upload.write_bytes(b"payload")
    assert cli("tickets", "reply", str(number), "--body", "x", "--attach", str(upload)).exit_code == 0
    folder = os.fsencode(tmp_path) + b"/out\xff"
    os.mkdir(folder)
    (Path(os.fsdecode(folder)) / "a.txt").write_bytes(b"mine")
    exists = cli("tickets", "attachment", str(number), "--save", os.fsdecode(folder))
    assert exists.exit_code == 2, exists.output
    assert f"{tmp_path}/out\\xff/a.txt: already exists" in exists.output
    missing = cli(
        "tickets", "attachment", str(number), "--save", os.fsdecode(os.fsencode(tmp_path) + b"/no\xff")
    )
    assert missing.exit_code == 2, missing.output
    assert f"{tmp_path}/no\\xff: not a directory" in missing.output
