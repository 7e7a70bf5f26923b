"""``hotline tickets list|show|create|reply`` through the real command line, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core.escalation.world import CONFIG_TOML, populate
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models import OutboxMessage

runner = CliRunner()
NOW = "2026-11-23T10:00:00+03:00"
MAIL_TOML = """
[mail]
max_outgoing_bytes = 4096

[[mail.accounts]]
name = "support"
imap_host = "127.0.0.1"
username = "support"
queue = "Support"
smtp_host = "127.0.0.1"
from_address = "support@example.com"
"""


@pytest.fixture
def cli(database_url: str, engine, clock, tmp_path: Path):
    populate(engine, clock)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_TOML + MAIL_TOML, encoding="utf-8")

    def invoke(*args: str, operator: str = "ivan"):
        return runner.invoke(
            app,
            ["--db", database_url, "--config", str(config), "--operator", operator, "--now", NOW, *args],
        )

    return invoke


def test_create_show_list_reply(cli, engine) -> None:
    created = cli(
        "tickets", "create", "--subject", "Нет связи", "--client", "1", "--body", "с утра", "--json"
    )
    assert created.exit_code == 0, created.output
    number = json.loads(created.stdout)["number"]
    shown = cli("tickets", "show", str(number), "--json")
    assert shown.exit_code == 0, shown.output
    ticket = json.loads(shown.stdout)
    for key in (
        "number",
        "subject",
        "status",
        "priority",
        "queue",
        "client",
        "requester",
        "assignee",
        "created_at",
        "due_at",
        "first_response_due_at",
        "resolution_due_at",
        "events",
    ):
        assert key in ticket
    assert ticket["subject"] == "Нет связи"
    assert ticket["client"] == {"id": 1, "name": "Acme"}
    assert ticket["queue"] == "Support"
    # gold contract: 30 minutes to the first response, 4 business hours to resolution
    assert ticket["first_response_due_at"] == "2026-11-23T07:30:00+00:00"
    assert ticket["resolution_due_at"] == "2026-11-23T12:00:00+00:00"
    assert ticket["events"][0] == {
        "kind": "note",
        "author": "ivan",
        "body": "с утра",
        "created_at": "2026-11-23T07:00:00+00:00",
        "attachments": [],
        "delivery": None,
        "charset_guessed": [],
    }
    listed = cli("tickets", "list", "--queue", "Support", "--status", "new", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["tickets"]
    assert [row["number"] for row in rows] == [number]
    assert "events" not in rows[0]
    no_address = cli("tickets", "reply", str(number), "--body", "Чиним")
    assert no_address.exit_code == 2
    assert "no requester address" in no_address.output


def test_reply_goes_through_the_outbox(cli, engine) -> None:
    created = cli("tickets", "create", "--subject", "Help", "--requester", "anna@example.org", "--json")
    number = json.loads(created.stdout)["number"]
    replied = cli("tickets", "reply", str(number), "--body", "Done.", "--json")
    assert replied.exit_code == 0, replied.output
    after = json.loads(replied.stdout)
    assert after["status"] == "open"
    assert after["first_response_at"] == "2026-11-23T07:00:00+00:00"
    with UnitOfWork(engine, readonly=True) as uow:
        mail = uow.session.execute(select(OutboxMessage)).scalar_one()
    assert mail.to_addrs == ["anna@example.org"]
    assert f"[#{number}]" in mail.subject


def test_human_times_are_the_call_centres_like_the_mail_note_beside_them(cli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no wrapped cells
    created = cli("tickets", "create", "--subject", "Help", "--requester", "anna@example.org", "--json")
    number = json.loads(created.stdout)["number"]
    assert cli("tickets", "reply", str(number), "--body", "Done.").exit_code == 0
    shown = cli("tickets", "show", str(number))
    assert shown.exit_code == 0, shown.output
    # 07:00 UTC is 10:00 in Moscow: the "when" column said 07:00 beside "queued 23.11.2026 10:00"
    lines = shown.stdout.splitlines()
    at = next(index for index, line in enumerate(lines) if "message_out" in line)
    assert "2026-11-23 10:00" in lines[at]
    assert "queued 23.11.2026 10:00" in lines[at + 1]  # the mail's note, on the line under the reply's text
    (due,) = [ticket["due_at"] for ticket in json.loads(cli("tickets", "list", "--json").stdout)["tickets"]]
    assert due == "2026-11-24T07:00:00+00:00"
    listed = cli("tickets", "list")
    assert "2026-11-24 10:00" in listed.stdout
    assert "07:00" not in listed.stdout


def test_human_output_does_not_interpret_markup(cli, engine) -> None:
    """Typed, the escape is refused; a mail's subject (cut, not refused) is shown without it."""
    from hotline.core.services.tickets import create_ticket

    assert cli("tickets", "create", "--subject", "[bold red]boom[/] \x1b[31m").exit_code == 2
    with UnitOfWork(engine) as uow:
        number = create_ticket(uow, subject="[bold red]boom[/] \x1b[31m", queue="Support", typed=False).number
    shown = cli("tickets", "show", str(number))
    assert shown.exit_code == 0, shown.output
    assert "[bold red]boom[/]" in shown.stdout
    assert "\x1b[31m" not in shown.stdout
    listed = cli("tickets", "list")
    assert "boom[/]" in listed.stdout  # literal brackets (the narrow table may wrap the cell)
    assert "\x1b[31m" not in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tickets", "show", "9999"), "no ticket #9999"),
        (("tickets", "list", "--status", "sleeping"), "unknown status 'sleeping'"),
        (("tickets", "create", "--subject", "x", "--priority", "extreme"), "unknown priority 'extreme'"),
        (("tickets", "create", "--subject", "x", "--client", "999"), "999"),
        (("tickets", "list", "--queue", "Nowhere"), "no queue named 'Nowhere'"),
    ],
)
def test_bad_input_is_exit_2(cli, args, message) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_reply_with_a_stale_version_is_a_conflict_and_sends_nothing(cli, engine) -> None:
    created = cli("tickets", "create", "--subject", "Help", "--requester", "anna@example.org", "--json")
    ticket = json.loads(created.stdout)
    stale = cli(
        "tickets", "reply", str(ticket["number"]), "--body", "Done.", "--expect-version", "99", "--json"
    )
    assert stale.exit_code == 1, stale.output
    assert "changed by someone else" in stale.output
    assert stale.stdout == ""
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(OutboxMessage)).first() is None
    shown = json.loads(cli("tickets", "show", str(ticket["number"]), "--json").stdout)
    assert shown["version"] == ticket["version"] and shown["status"] == "new"
    current = cli(
        "tickets",
        "reply",
        str(ticket["number"]),
        "--body",
        "Done.",
        "--expect-version",
        str(ticket["version"]),
        "--json",
    )
    assert current.exit_code == 0, current.output
    assert json.loads(current.stdout)["version"] == ticket["version"] + 1


def test_list_json_carries_exactly_the_contract_fields(cli) -> None:
    cli("tickets", "create", "--subject", "Fields", "--client", "1", "--body", "x", "--json")
    (listed,) = json.loads(cli("tickets", "list", "--json").stdout)["tickets"]
    assert set(listed) == {
        "number",
        "subject",
        "status",
        "priority",
        "queue",
        "client",
        "requester",
        "assignee",
        "created_at",
        "updated_at",
        "due_at",
        "first_response_due_at",
        "resolution_due_at",
        "first_response_at",
        "resolved_at",
        "version",
    }
    assert listed["due_at"] == listed["first_response_due_at"]
    shown = json.loads(cli("tickets", "show", str(listed["number"]), "--json").stdout)
    assert set(shown) == {*listed, "events"}
    assert set(shown["events"][0]) == {
        "kind",
        "author",
        "body",
        "created_at",
        "attachments",
        "delivery",
        "charset_guessed",
    }


def test_an_unknown_queue_is_exit_2_with_the_close_matches_and_nothing_made(cli) -> None:
    assert (
        cli("tickets", "create", "--subject", "first", "--json").exit_code == 0
    )  # Support, made on first use
    for queue, said in [
        ("Suport", "no queue named 'Suport'; did you mean 'Support'?"),
        (
            "Nonexistent Queue Typo",
            "no queue named 'Nonexistent Queue Typo' (the queues are: Escalated, Support)",
        ),
        ("Evil\x1b]0;owned\x07\x1b[2J", "no queue named 'Evil'"),
    ]:
        result = cli("tickets", "create", "--subject", "x", "--queue", queue)
        assert result.exit_code == 2, result.output
        assert said in result.output
        assert "\x1b" not in result.output
    listed = json.loads(cli("tickets", "list", "--json").stdout)
    assert [ticket["queue"] for ticket in listed["tickets"]] == ["Support"]
    made = cli("tickets", "create", "--subject", "x", "--queue", "Billing", "--new-queue", "--json")
    assert made.exit_code == 2  # made on purpose only, and only by supervisors and admins
    assert "only a supervisor or an admin makes one" in made.output


def test_listings_page_and_say_when_there_is_more(cli) -> None:
    for index in range(5):
        assert cli("tickets", "create", "--subject", f"t{index}").exit_code == 0
    first = cli("tickets", "list", "--limit", "2", "--json")
    page = json.loads(first.stdout)
    assert (len(page["tickets"]), page["more"], page["next_offset"]) == (2, True, 2)
    last = json.loads(cli("tickets", "list", "--limit", "2", "--offset", "4", "--json").stdout)
    assert (len(last["tickets"]), last["more"], last["next_offset"]) == (1, False, None)
    seen = {
        t["number"]
        for offset in (0, 2, 4)
        for t in json.loads(cli("tickets", "list", "--limit", "2", "--offset", str(offset), "--json").stdout)[
            "tickets"
        ]
    }
    assert len(seen) == 5
    text = cli("tickets", "list", "--limit", "2")
    assert "showing 1–2; there are more: --offset 2" in text.output


def test_a_subject_over_500_characters_is_refused_not_cut(cli) -> None:
    """It was cut to 500 characters without a word, exit 0 (a mail's subject is still cut: mail cannot be
    refused); 500 after folding whitespace still passes."""
    long = cli("tickets", "create", "--subject", "s" * 501, "--json")
    assert long.exit_code == 2, long.output
    assert "a ticket's subject is at most 500 printable characters" in long.output
    assert json.loads(cli("tickets", "list", "--json").stdout)["tickets"] == []
    folded = cli("tickets", "create", "--subject", "  " + "s" * 500 + "\n", "--json")
    assert folded.exit_code == 0, folded.output


def test_a_control_character_in_a_subject_or_note_is_exit_2_on_one_line(cli) -> None:
    """A NUL reached the database from the CLI: a database error on PostgreSQL, stored as-is on SQLite."""
    for args in (["--subject", "Printer\x00"], ["--subject", "Printer", "--body", "jams\x00"]):
        refused = cli("tickets", "create", *args, "--json")
        assert refused.exit_code == 2, refused.output
        assert len(refused.stderr.strip().splitlines()) == 1 and "printable characters" in refused.stderr
    assert json.loads(cli("tickets", "list", "--json").stdout)["tickets"] == []


@pytest.mark.parametrize(
    ("requester", "message"),
    [
        ("not an address", "not an email address: 'not an address'"),
        ("anna@example.org\r\nBcc: all@example.org", "not an email address: it holds U+000D"),
        ("Anna <anna@example.org>, <boris@example.org>", "one email address, not 2"),
        ("anna@localhost", "not an email domain"),
    ],
)
def test_a_requester_that_is_not_one_address_is_refused(cli, requester: str, message: str) -> None:
    """Each was stored as the requester (exit 0), and every reply then went to it: a line break a header
    of its own in the mail."""
    refused = cli("tickets", "create", "--subject", "Help", "--requester", requester, "--json")
    assert refused.exit_code == 2, refused.output
    assert f"requester: {message}" in refused.stderr
    assert json.loads(cli("tickets", "list", "--json").stdout)["tickets"] == []


def test_a_requester_typed_with_a_name_is_its_address(cli) -> None:
    created = cli(
        "tickets", "create", "--subject", "Help", "--requester", "Анна <Anna@Example.org>", "--json"
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["requester"] == "anna@example.org"


def test_a_queue_typed_with_spaces_around_it_is_that_queue(cli) -> None:
    """' Support ' was "no queue named 'Support'; did you mean 'Support'?" (queue names are stored
    without the spaces around them)."""
    assert (
        cli("tickets", "create", "--subject", "first", "--json").exit_code == 0
    )  # Support, made on first use
    created = cli("tickets", "create", "--subject", "x", "--queue", " Support ", "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["queue"] == "Support"
    assert cli("tickets", "list", "--queue", "Support  ").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tickets", "list", "--queue", "\udcff"), "no queue named '\\udcff'"),
        (("tickets", "list", "--assignee", "\udcff"), "unknown operator '\\udcff'"),
        (("tickets", "create", "--subject", "x", "--queue", "\udcff"), "no queue named '\\udcff'"),
    ],
)
def test_a_name_that_is_not_utf8_is_exit_2_not_a_traceback(cli, engine, args, message) -> None:
    """A byte that is not UTF-8 in an argument (a name typed in a koi8-r terminal) reaches Python as a
    lone surrogate; sent to the database it was a UnicodeEncodeError with its traceback, exit 1."""
    from hotline.core.models import Ticket

    with UnitOfWork(engine, readonly=True) as uow:
        before = len(uow.session.execute(select(Ticket)).all())
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(uow.session.execute(select(Ticket)).all()) == before


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_status_filter_is_refused_not_every_ticket(cli, blank: str) -> None:
    """``--status "$S"`` with S unset listed every ticket, closed ones too, exit 0: the filter was dropped."""
    assert cli("tickets", "create", "--subject", "Help").exit_code == 0
    result = cli("tickets", "list", "--status", blank)
    assert result.exit_code == 2, result.output
    assert "unknown status" in result.output
    assert "Help" not in result.stdout


@pytest.mark.parametrize("new_queue", [[], ["--new-queue"]])
def test_a_blank_queue_is_refused_not_support(cli, engine, new_queue: list[str]) -> None:
    """``--queue "$Q"`` with Q unset opened the ticket in Support, exit 0 (with spaces it was refused)."""
    from hotline.core.models import Ticket

    result = cli("tickets", "create", "--subject", "Help", "--queue", "", *new_queue)
    assert result.exit_code == 2, result.output
    assert "queue" in result.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(Ticket)).all() == []


def test_a_long_address_in_a_narrow_terminal_is_wrapped_not_cut(cli, monkeypatch) -> None:
    """At 80 columns (a pipe, a small window) ``tickets show`` cut a requester's address that did not fit
    its cell to 'averyveryverylongaddress.of.someone@subdomain.example-…': no space to wrap at, the rest
    was dropped for an ellipsis; a long word in a subject or a chronology line (a link) the same."""
    monkeypatch.setenv("COLUMNS", "80")
    address = "averyveryverylongaddress.of.someone@subdomain.example-company.org"
    link = "https://example.org/" + "x" * 90 + "/end"
    created = cli("tickets", "create", "--subject", "Help", "--requester", address, "--body", link, "--json")
    number = json.loads(created.stdout)["number"]
    shown = cli("tickets", "show", str(number))
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.stdout
    rows = [line.split("│") for line in shown.stdout.splitlines() if line.startswith("│")]
    values = "".join(cells[2].strip() for cells in rows if len(cells) == 4)  # field │ value
    texts = "".join(cells[4].strip() for cells in rows if len(cells) == 7)  # when │ kind │ author │ text │ …
    assert address in values
    assert link in texts


def test_show_keeps_the_lines_of_a_chronology_text(cli, monkeypatch) -> None:
    """``tickets show`` ran a reply's lines into one ('Hello, line two > quoted [mail: queued …]'): its
    paragraphs, a quoted mail and the note on its delivery read as one sentence (the console keeps them)."""
    monkeypatch.setenv("COLUMNS", "200")
    created = cli("tickets", "create", "--subject", "Help", "--requester", "anna@example.org", "--json")
    number = json.loads(created.stdout)["number"]
    body = "Hello,\n\nline two\n> quoted\tred"
    assert cli("tickets", "reply", str(number), "--body", body).exit_code == 0
    shown = cli("tickets", "show", str(number))
    assert shown.exit_code == 0, shown.output
    texts = [line.split("│")[4].strip() for line in shown.stdout.splitlines() if line.count("│") == 6]
    start = texts.index("Hello,")
    assert texts[start : start + 5] == [
        "Hello,",
        "",
        "line two",
        "> quoted    red",
        "[mail: queued 23.11.2026 10:00]",
    ]


def test_a_blank_first_note_is_no_note(cli) -> None:
    """``--body '  '`` (or a line break alone) wrote an empty note as the ticket's first line, where a
    note of only spaces is refused anywhere else ('a note needs text'); now it is as if no body was given."""
    created = cli("tickets", "create", "--subject", "Help", "--body", "  \n \t", "--json")
    assert created.exit_code == 0, created.output
    shown = json.loads(cli("tickets", "show", str(json.loads(created.stdout)["number"]), "--json").stdout)
    assert shown["events"] == []
    kept = cli("tickets", "create", "--subject", "Help", "--body", "\n  indented\n", "--json")
    shown = json.loads(cli("tickets", "show", str(json.loads(kept.stdout)["number"]), "--json").stdout)
    assert [event["body"] for event in shown["events"]] == ["indented"]


def test_an_operators_first_ticket_where_there_is_no_support_queue_says_why(cli, engine) -> None:
    """On a new database an operator's ``tickets create --subject x`` (no --queue asked for) was refused
    with 'operator 'ivan' is an operator; queue.manage needs supervisor or admin': she had asked to
    manage nothing. It says which queue is missing and who makes it; nothing is written."""
    from sqlalchemy import delete

    from hotline.core.models import Queue, Ticket

    with UnitOfWork(engine) as uow:
        uow.session.execute(delete(Queue).where(Queue.name == "Support"))
    refused = cli("tickets", "create", "--subject", "Printer")
    assert refused.exit_code == 2, refused.output
    assert "no queue named 'Support' yet" in refused.output
    assert "supervisor" in refused.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(Ticket)).all() == []
        assert uow.session.execute(select(Queue).where(Queue.name == "Support")).all() == []
    made = cli("tickets", "create", "--subject", "Printer", operator="boss")
    assert made.exit_code == 0, made.output
    assert cli("tickets", "create", "--subject", "Printer").exit_code == 0


@pytest.mark.parametrize("status", ["new", "open"])
def test_a_reply_to_a_version_before_the_clients_new_message_is_a_conflict(cli, engine, status: str) -> None:
    """A client's message on a new or open ticket left its version as it was (only a pending or done
    ticket's, which it reopens, moved): ``tickets reply --expect-version V`` with V read before the client
    wrote again went out, answering a ticket its author had not seen whole. Now it is exit 1, nothing
    queued; an automatic answer (out of office) changes nothing, as it changes no status."""
    from hotline.core.models.enums import EventKind
    from hotline.core.services.tickets import EventDraft, add_events, get_ticket

    created = cli("tickets", "create", "--subject", "Help", "--requester", "anna@example.org", "--json")
    number = json.loads(created.stdout)["number"]
    if status == "open":
        assert cli("tickets", "reply", str(number), "--body", "On it.").exit_code == 0
    seen = json.loads(cli("tickets", "show", str(number), "--json").stdout)
    assert seen["status"] == status
    with UnitOfWork(engine) as uow:
        ticket = get_ticket(uow, number=number)
        auto = EventDraft(ticket=ticket, kind=EventKind.MESSAGE_IN, body="Out of office", by_machine=True)
        add_events(uow, [auto])
    with UnitOfWork(engine, readonly=True) as uow:
        assert get_ticket(uow, number=number).version == seen["version"]
    with UnitOfWork(engine) as uow:
        ticket = get_ticket(uow, number=number)
        add_events(
            uow, [EventDraft(ticket=ticket, kind=EventKind.MESSAGE_IN, body="Also the fax.", author="anna")]
        )
    with UnitOfWork(engine, readonly=True) as uow:
        queued = len(uow.session.execute(select(OutboxMessage)).all())
    blind = cli("tickets", "reply", str(number), "--body", "Done.", "--expect-version", str(seen["version"]))
    assert blind.exit_code == 1, blind.output
    assert "changed by someone else" in blind.output
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(uow.session.execute(select(OutboxMessage)).all()) == queued
    now = json.loads(cli("tickets", "show", str(number), "--json").stdout)
    assert now["version"] == seen["version"] + 1
    assert (
        cli(
            "tickets", "reply", str(number), "--body", "Done.", "--expect-version", str(now["version"])
        ).exit_code
        == 0
    )
