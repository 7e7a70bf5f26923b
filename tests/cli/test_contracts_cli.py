"""``hotline contracts add|end|list`` and ``reminders due`` warning of contracts ending soon."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


@pytest.fixture
def acme(engine, clock) -> int:
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR)
        return create_client(uow, draft=ClientDraft(name="Acme"), default_region="RU").id


def hotline(database_url: str, *args: str):
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", "sue", "--now", "2026-11-23T10:00:00+03:00", *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
        catch_exceptions=False,
    )


def test_add_list_end_and_warn(database_url, acme) -> None:
    added = hotline(
        database_url,
        "contracts",
        "add",
        str(acme),
        "--level",
        "gold",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-01",
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(hotline(database_url, "contracts", "list", "--json").stdout)
    assert [(c["client"]["name"], c["level"], c["state"]) for c in listed] == [("Acme", "gold", "ending")]
    due = hotline(database_url, "reminders", "due", "--json", "--contracts-within", "30")
    assert due.exit_code == 0, due.output
    texts = [r["text"] for r in json.loads(due.stdout)]
    assert texts == ["Contract gold of Acme ends 2026-12-01 (in 8 days)"]
    extended = hotline(database_url, "contracts", "end", "1", "--on", "2027-12-31")
    assert extended.exit_code == 0, extended.output
    assert json.loads(hotline(database_url, "contracts", "list", "--ending", "30", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("--level", "gold", "--start", "soon", "--end", "2026-12-01"), "--start"),
        (("--level", "gold", "--start", "2026-12-02", "--end", "2026-12-01"), "--end"),
        (("--level", " ", "--start", "2026-12-01", "--end", "2026-12-01"), "--level"),
    ],
)
def test_bad_contracts_are_exit_2(database_url, acme, args, where) -> None:
    result = hotline(database_url, "contracts", "add", str(acme), *args)
    assert result.exit_code == 2 and where in result.stderr, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            (
                "contracts",
                "add",
                "2147483648",
                "--level",
                "gold",
                "--start",
                "2026-01-01",
                "--end",
                "2026-02-01",
            ),
            "no client 2147483648",
        ),
        (("contracts", "end", "99999999999", "--on", "2026-06-30"), "no contract 99999999999"),
        (("contracts", "list", "--client", "2147483648"), "--client"),
        (("shifts", "unexcept", "2147483648"), "no shift exception 2147483648"),
        (("rules", "explain", "2147483648"), "NUMBER"),
    ],
)
def test_ids_past_32_bits_are_exit_2_on_both_backends(database_url, acme, args, says) -> None:
    """On PostgreSQL they were "database error: integer out of range", exit 1; on SQLite exit 2."""
    result = hotline(database_url, *args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "database error" not in result.output


def test_the_queues_covered_exist(database_url, acme, engine, clock) -> None:
    """``--queue Suport`` made a contract covering a queue nobody has (so never applying), and
    ``--queue ''`` one covering every queue; ``end --on`` too early named ``--end``."""
    from hotline.core.services.queues import ensure_queue

    with UnitOfWork(engine, clock=clock) as uow:
        ensure_queue(uow, name="Support")
    dates = ("--level", "gold", "--start", "2026-01-01", "--end", "2026-12-01")
    typo = hotline(database_url, "contracts", "add", str(acme), *dates, "--queue", "Suport")
    assert typo.exit_code == 2 and "--queue: no queue named 'Suport'; did you mean 'Support'?" in typo.stderr
    blank = hotline(database_url, "contracts", "add", str(acme), *dates, "--queue", " ")
    assert blank.exit_code == 2 and "--queue: a blank queue" in blank.stderr
    assert json.loads(hotline(database_url, "contracts", "list", "--json").stdout) == []
    added = hotline(database_url, "contracts", "add", str(acme), *dates, "--queue", " Support ")
    assert added.exit_code == 0, added.output
    [contract] = json.loads(hotline(database_url, "contracts", "list", "--json").stdout)
    assert contract["queues"] == ["Support"]
    early = hotline(database_url, "contracts", "end", str(contract["id"]), "--on", "2025-12-31")
    assert early.exit_code == 2 and "--on: the contract would end before it starts" in early.stderr


def test_listing_the_contracts_of_a_client_nobody_has_is_exit_2(database_url, acme) -> None:
    """``contracts list --client 999`` printed an empty table, exit 0, as for a client without any."""
    result = hotline(database_url, "contracts", "list", "--client", str(acme + 999))
    assert result.exit_code == 2 and f"--client: no client {acme + 999}" in result.stderr, result.output
    assert hotline(database_url, "contracts", "list", "--client", str(acme)).exit_code == 0


def test_the_same_contract_added_twice_is_refused(database_url, acme) -> None:
    contract = ("contracts", "add", str(acme), "--level", "gold", "--start", "2026-01-01", "--end", "2026-12-01")  # fmt: skip
    assert hotline(database_url, *contract).exit_code == 0
    again = hotline(database_url, *contract)
    assert again.exit_code == 1, again.output
    assert f"client {acme} has this contract already (contract 1)" in again.stderr
    listed = json.loads(hotline(database_url, "contracts", "list", "--json").stdout)
    assert [c["id"] for c in listed] == [1]
    due = json.loads(hotline(database_url, "reminders", "due", "--json", "--contracts-within", "30").stdout)
    assert [r["text"] for r in due] == ["Contract gold of Acme ends 2026-12-01 (in 8 days)"]
    renewal = hotline(database_url, *contract[:-1], "2027-12-01", "--reference", "R-2")
    assert renewal.exit_code == 0, renewal.output


def test_a_level_the_configuration_names_in_another_case_is_refused(database_url, acme, tmp_path) -> None:
    """``--level Gold`` where ``[[sla]]`` says ``gold`` matched no policy: the client's tickets went on
    the everyday targets without a word."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[calendars.office]\ntimezone = "Europe/Moscow"\nhours = { mon = "09:00-18:00" }\n\n'
        '[[sla]]\nqueue = "Support"\npriority = "*"\ncalendar = "office"\ncontract = "gold"\n'
        'first_response = "1h"\nresolution = "8h"\n',
        encoding="utf-8",
    )

    def run(*args: str):
        return hotline(database_url, "--config", str(config), *args)

    for args, where in (
        (("contracts", "add", str(acme), "--level", "Gold", "--start", "2026-01-01", "--end", "2026-12-31"),
         "--level"),
        (("clients", "groups", "add", "VIP", "--contract-level", "GOLD"), "--contract-level"),
    ):  # fmt: skip
        refused = run(*args)
        assert refused.exit_code == 2, refused.output
        assert f"{where}: the configuration names the level 'gold', not" in refused.stderr
    assert json.loads(run("contracts", "list", "--json").stdout) == []
    assert run("clients", "groups", "add", "VIP", "--contract-level", "gold").exit_code == 0
    assert run("clients", "groups", "set", "VIP", "--contract-level", "Gold").exit_code == 2
    assert run("clients", "groups", "set", "VIP", "--contract-level", "silver").exit_code == 0
    added = run(
        "contracts", "add", str(acme), "--level", "gold", "--start", "2026-01-01", "--end", "2026-12-31"
    )
    assert added.exit_code == 0, added.output


def test_ending_a_contract_on_the_day_it_ends_says_so_and_audits_nothing(database_url, acme) -> None:
    contract = ("contracts", "add", str(acme), "--level", "gold", "--start", "2026-01-01", "--end", "2026-12-01")  # fmt: skip
    assert hotline(database_url, *contract).exit_code == 0

    def updates() -> int:
        listed = hotline(database_url, "audit", "list", "--entity", "contract:1", "--json")
        return sum(entry["action"] == "contract.update" for entry in json.loads(listed.stdout)["entries"])

    same = hotline(database_url, "contracts", "end", "1", "--on", "2026-12-01")
    assert same.exit_code == 0, same.output
    assert same.stderr.strip() == "contract 1 already ends 2026-12-01"
    assert updates() == 0
    moved = hotline(database_url, "contracts", "end", "1", "--on", "2026-11-30")
    assert moved.stderr.strip() == "contract 1 now ends 2026-11-30" and updates() == 1
