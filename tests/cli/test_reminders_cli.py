"""``hotline reminders due | list | add | done | snooze`` on both backends, on a fixed clock."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()
MONDAY_10_MSK = "2026-11-23T10:00:00+03:00"


def hotline(database_url: str, *args: str, now: str = MONDAY_10_MSK, operator: str = "anna"):
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", operator, "--now", now, *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "COLUMNS": "160"},
    )


@pytest.fixture
def client_id(uow_factory) -> int:
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
        add_operator(uow, login="boris", role=Role.OPERATOR)
        client = create_client(
            uow,
            draft=ClientDraft(name="Анна Иванова", birthday=date(1990, 11, 23), owner_login="boris"),
            default_region="RU",
        )
        return client.id or 0


def due_json(database_url: str, now: str, *extra: str, operator: str = "anna") -> list[dict]:
    result = hotline(database_url, "reminders", "due", "--json", *extra, now=now, operator=operator)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_due_snooze_done(database_url: str, client_id: int) -> None:
    added = hotline(
        database_url,
        "reminders",
        "add",
        "Call back about the invoice",
        "--at",
        "30m",
        "--client",
        str(client_id),
    )
    assert added.exit_code == 0, added.output
    assert "at 2026-11-23 10:30" in added.stderr

    assert due_json(database_url, "2026-11-23T10:29:00+03:00", "--no-birthdays") == []
    due = due_json(database_url, "2026-11-23T10:30:00+03:00", "--no-birthdays")
    assert [(r["text"], r["operator"], r["client"]) for r in due] == [
        ("Call back about the invoice", "anna", {"id": client_id, "name": "Анна Иванова"})
    ]
    reminder_id = str(due[0]["id"])

    snoozed = hotline(database_url, "reminders", "snooze", reminder_id, "1h", now="2026-11-23T10:30:00+03:00")
    assert snoozed.exit_code == 0, snoozed.output
    assert "snoozed to 2026-11-23 11:30" in snoozed.stderr
    assert due_json(database_url, "2026-11-23T11:00:00+03:00", "--no-birthdays") == []

    tomorrow = hotline(database_url, "reminders", "snooze", reminder_id, "tomorrow")
    assert "snoozed to 2026-11-24 09:00" in tomorrow.stderr

    finished = hotline(database_url, "reminders", "done", reminder_id)
    assert finished.exit_code == 0, finished.output
    assert f"reminder {reminder_id} done" in finished.stderr
    assert due_json(database_url, "2026-11-30T10:00:00+03:00", "--no-birthdays") == []
    again = hotline(database_url, "reminders", "done", reminder_id)
    assert (again.exit_code, again.stderr.strip()) == (0, f"reminder {reminder_id} was already done")


def test_due_makes_birthday_reminders_for_the_owner(database_url: str, client_id: int) -> None:
    due = due_json(database_url, MONDAY_10_MSK, operator="boris")
    assert [(r["kind"], r["operator"], r["text"]) for r in due] == [
        ("birthday", "boris", "Birthday: Анна Иванова (36)")
    ]
    assert due_json(database_url, MONDAY_10_MSK, operator="boris") == due  # no duplicate on the next run
    mine = hotline(database_url, "reminders", "due", "--mine", "--json", operator="anna")
    assert json.loads(mine.stdout) == []


def test_an_operator_sees_only_her_own_due_reminders(database_url: str, client_id: int, uow_factory) -> None:
    """Boris's reminders are his: Anna's ``due`` (without ``--mine``) showed them all the same."""
    with uow_factory() as uow:
        add_operator(uow, login="sveta", role=Role.SUPERVISOR)
        add_operator(uow, login="adam", role=Role.ADMIN)
    for login in ("anna", "boris"):
        added = hotline(database_url, "reminders", "add", f"private to {login}", "--at", "2026-11-23T09:00",
                        operator=login)  # fmt: skip
        assert added.exit_code == 0, added.output

    def texts(operator: str) -> list[str]:
        return [r["text"] for r in due_json(database_url, MONDAY_10_MSK, "--no-birthdays", operator=operator)]

    assert texts("anna") == ["private to anna"]
    assert texts("boris") == ["private to boris"]
    assert texts("sveta") == texts("adam") == ["private to anna", "private to boris"]


def test_table_and_list(database_url: str, client_id: int) -> None:
    hotline(
        database_url, "reminders", "add", "[bold]Not markup[/]", "--at", "2026-11-23T09:00", "--for", "anna"
    )
    table = hotline(database_url, "reminders", "due", "--no-birthdays")
    assert table.exit_code == 0, table.output
    assert "[bold]Not markup[/]" in table.stdout
    listed = json.loads(hotline(database_url, "reminders", "list", "--json").stdout)
    assert [r["due_at"] for r in listed["reminders"]] == ["2026-11-23T06:00:00+00:00"]
    assert (listed["more"], listed["next_offset"]) == (False, None)


def test_the_list_pages_and_says_when_there_is_more(database_url: str, client_id: int) -> None:
    for hour in range(3):
        hotline(
            database_url,
            "reminders",
            "add",
            f"call {hour}",
            "--at",
            f"2026-11-24T1{hour}:00",
            "--for",
            "anna",
        )
    first = json.loads(hotline(database_url, "reminders", "list", "--limit", "2", "--json").stdout)
    assert ([r["text"] for r in first["reminders"]], first["more"], first["next_offset"]) == (
        ["call 0", "call 1"], True, 2,
    )  # fmt: skip
    rest = json.loads(
        hotline(database_url, "reminders", "list", "--limit", "2", "--offset", "2", "--json").stdout
    )
    assert ([r["text"] for r in rest["reminders"]], rest["more"]) == (["call 2"], False)
    text = hotline(database_url, "reminders", "list", "--limit", "2")
    assert "there are more: --offset 2" in text.output


def test_add_reads_dates_as_people_write_them(database_url: str, client_id: int) -> None:
    for at, expected in (("01.12.2026", "2026-12-01 09:00"), ("1/12/2026 18:45", "2026-12-01 18:45")):
        added = hotline(database_url, "reminders", "add", "Send the contract", "--at", at)
        assert added.exit_code == 0, added.output
        assert f"at {expected}" in added.stderr
    refused = hotline(database_url, "reminders", "add", "x", "--at", "31.02.2027")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "hotline: error: --at: '31.02.2027': February 2027 has 28 days"
    args = ["--db", database_url, "--operator", "anna", "--now", MONDAY_10_MSK, "reminders", "add", "x"]
    month_first = runner.invoke(
        app,
        [*args, "--at", "12/01/2026 10:00"],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_DATE_ORDER": "mdy"},
    )
    assert month_first.exit_code == 0, month_first.output
    assert "at 2026-12-01 10:00" in month_first.stderr


def test_add_reads_what_the_console_reads(database_url: str, client_id: int) -> None:
    """One grammar for "when": ``14:30`` (its next coming) and ``01.12.2026t10:00`` were the console's
    only ("not a time" here)."""
    for at, expected in (("14:30", "2026-11-23 14:30"), ("01.12.2026t10:00", "2026-12-01 10:00")):
        added = hotline(database_url, "reminders", "add", "Send the contract", "--at", at)
        assert added.exit_code == 0, added.output
        assert f"at {expected}" in added.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("reminders", "add", "x", "--at", "someday"),
        ("reminders", "add", "x", "--at", "01.12.2026 25:00"),
        ("reminders", "add", "x", "--at", "1h", "--for", "nobody"),
        ("reminders", "add", "x", "--at", "1h", "--ticket", "424242"),
        ("reminders", "snooze", "1", "1w"),
        ("reminders", "add", "x", "--at", "2999-12-31T23:59+00:00"),  # 3000-01-01 02:59 in Moscow
        ("reminders", "add", "x", "--at", "1970-01-01T02:00"),  # 1969 in UTC
        ("reminders", "done", "424242"),
    ],
)
def test_bad_input_is_exit_2(database_url: str, client_id: int, args: tuple[str, ...]) -> None:
    result = hotline(database_url, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("hotline: error: ")


def test_no_reminder_for_a_deactivated_operator(database_url: str, client_id: int, uow_factory) -> None:
    """It was created for her, and nobody would ever see it: her console refuses her."""
    from hotline.core.services.operators import set_operator_active

    with uow_factory() as uow:
        set_operator_active(uow, login="boris", active=False)
    for logins in (["boris"], ["anna", "boris"]):
        result = hotline(database_url, "reminders", "add", "call back", "--at", "2h", *(
            arg for login in logins for arg in ("--for", login)))  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "operator 'boris' is deactivated" in result.output
        assert len(result.output.strip().splitlines()) == 1
    listed = hotline(database_url, "reminders", "list", "--json")
    assert json.loads(listed.stdout)["reminders"] == []


@pytest.mark.parametrize("by", ["tomorrow", "1h", "10m"])
def test_no_snooze_past_the_last_year(database_url: str, client_id: int, by: str) -> None:
    """Snoozed on 31 December 2999 it was saved as due in 3000, outside the years a date may have."""
    added = hotline(database_url, "reminders", "add", "last call", "--at", "2999-12-31T10:00")
    assert added.exit_code == 0, added.output
    (reminder,) = json.loads(hotline(database_url, "reminders", "list", "--json").stdout)["reminders"]
    late = "2999-12-31T23:55:00+00:00"
    result = hotline(database_url, "reminders", "snooze", str(reminder["id"]), by, now=late)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("hotline: error: snooze: ") and "1970–2999" in result.stderr
    (after,) = json.loads(hotline(database_url, "reminders", "list", "--json").stdout)["reminders"]
    assert after["due_at"] == reminder["due_at"]


def test_a_reminder_about_another_clients_ticket_is_refused(
    database_url: str, client_id: int, uow_factory
) -> None:
    """``--client 7 --ticket 1`` was saved though ticket 1 is another client's: the card showed it."""
    from hotline.core.services.tickets import create_ticket

    with uow_factory() as uow:
        other = create_client(uow, draft=ClientDraft(name="Other"), default_region="RU").id
        theirs = create_ticket(uow, subject="theirs", queue="support", client_id=other).number
        nobodys = create_ticket(uow, subject="no client", queue="support").number
    refused = hotline(database_url, "reminders", "add", "x", "--at", "1h", "--client", str(client_id),
                      "--ticket", str(theirs))  # fmt: skip
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.strip() == (
        f"hotline: error: client: ticket #{theirs} is about client {other}, not client {client_id}"
    )
    assert json.loads(hotline(database_url, "reminders", "list", "--json").stdout)["reminders"] == []
    for ticket, client in ((theirs, other), (nobodys, client_id)):
        added = hotline(database_url, "reminders", "add", "x", "--at", "1h", "--client", str(client),
                        "--ticket", str(ticket))  # fmt: skip
        assert added.exit_code == 0, added.output
    listed = json.loads(hotline(database_url, "reminders", "list", "--json").stdout)["reminders"]
    assert [(r["client"]["id"], r["ticket"]) for r in listed] == [(other, theirs), (client_id, nobodys)]
