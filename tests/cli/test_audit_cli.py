"""``hotline audit list``: filters, paging and JSON, for supervisors (both backends)."""

from __future__ import annotations

import json
from datetime import datetime

from core.escalation.world import populate

from hotline.core.db import UnitOfWork
from hotline.core.services.queues import ensure_queue
from tests.cli.invoke import hotline


def test_audit_list_filters_pages_and_says_where(engine, clock, database_url: str) -> None:
    populate(engine, clock)

    def run(*args: str, operator: str = "boss"):
        return hotline("--db", database_url, "--operator", operator, *args)

    for login, subject in (("ivan", "one"), ("boss", "two"), ("ivan", "three")):
        assert (
            run("tickets", "create", "--subject", subject, "--queue", "Support", operator=login).exit_code
            == 0
        )
    mine = json.loads(run("audit", "list", "--actor", "ivan", "--json").stdout)
    assert [e["action"] for e in mine["entries"]] == ["ticket.create", "ticket.create"]
    assert [e["after"]["subject"] for e in mine["entries"]] == ["three", "one"]  # newest first
    assert {e["via"] for e in mine["entries"]} == {"cli: hotline tickets create"}
    assert mine["more"] is False
    ticket = json.loads(run("audit", "list", "--entity", "ticket:2", "--json").stdout)["entries"]
    assert [(e["actor"], e["entity_id"]) for e in ticket] == [("boss", "2")]
    for typed in ("ticket:#2", "ticket:002", "TICKET: 2"):  # as `tickets create` prints it, or padded
        same = json.loads(run("audit", "list", "--entity", typed, "--json").stdout)["entries"]
        assert same == ticket, typed
    page = json.loads(run("audit", "list", "--entity", "ticket", "--limit", "2", "--json").stdout)
    assert len(page["entries"]) == 2 and page["more"] is True
    later = json.loads(run("audit", "list", "--since", "2030-01-01", "--json").stdout)
    assert later == {"entries": [], "more": False}
    table = run("audit", "list", "--actor", "ivan")
    assert table.exit_code == 0 and "ticket.create" in table.stdout
    for bad in (("--entity", "ticket 1"), ("--since", "yesterday")):
        result = run("audit", "list", *bad)
        assert result.exit_code == 2
        assert bad[0] in result.output


def test_a_blank_since_is_bad_usage_not_no_filter(engine, clock, database_url: str) -> None:
    """``--since ""`` (an unset variable in a script) listed the whole trail as if left out."""
    populate(engine, clock)
    for blank in ("", "  "):
        result = hotline("--db", database_url, "--operator", "boss", "audit", "list", "--since", blank)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1
        assert "--since" in result.output and "blank" in result.output
    report = hotline("--db", database_url, "--operator", "boss", "report", "queues", "--from", "")
    assert report.exit_code == 2 and "--from" in report.output, report.output


def test_an_offset_past_what_a_column_holds_is_bad_usage(engine, clock, database_url: str) -> None:
    """PostgreSQL said "database error: bigint out of range" (exit 1), SQLite exit 2: both are usage."""
    populate(engine, clock)
    for command in (["audit", "list"], ["clients", "list"]):
        result = hotline("--db", database_url, "--operator", "boss", *command, "--offset", str(2**63))
        assert result.exit_code == 2, (command, result.output)
        assert "--offset" in result.output


def test_a_blank_actor_or_entity_is_bad_usage_not_no_filter(engine, clock, database_url: str) -> None:
    """``--entity ""`` listed the whole trail as if left out; ``--actor ""`` an empty one, exit 0."""
    populate(engine, clock)
    for option in ("--entity", "--actor"):
        for blank in ("", "  "):
            result = hotline("--db", database_url, "--operator", "boss", "audit", "list", option, blank)
            assert result.exit_code == 2, result.output
            assert len(result.output.strip().splitlines()) == 1
            assert option in result.output and "blank" in result.output


def test_an_entity_id_past_what_a_column_holds_is_bad_usage(engine, clock, database_url: str) -> None:
    """``--entity client:99999999999`` listed an empty trail, exit 0, where ``clients show`` says exit 2."""
    populate(engine, clock)
    for typed in ("client:99999999999", "ticket:#2147483648"):
        result = hotline("--db", database_url, "--operator", "boss", "audit", "list", "--entity", typed)
        assert result.exit_code == 2, result.output
        assert "--entity: no id is past 2147483647" in result.output
    largest = hotline(
        "--db", database_url, "--operator", "boss", "audit", "list", "--entity", "client:2147483647"
    )
    assert largest.exit_code == 0, largest.output


def test_an_operator_entity_is_found_by_login_or_by_id(engine, clock, database_url: str) -> None:
    """An operator's entries name her by id (added, role, deactivated) or by login (shifts, refusals):
    ``--entity operator:ivan`` listed her shifts and not that she was made a supervisor."""
    populate(engine, clock)

    def run(*args: str, operator: str = "admin"):
        return hotline("--db", database_url, "--operator", operator, *args)

    assert run("operators", "role", "ivan", "supervisor").exit_code == 0
    assert run("shifts", "set", "ivan", "--hours", "09:00-18:00", "--timezone", "UTC").exit_code == 0
    ivan_id = next(
        e["entity_id"]
        for e in json.loads(run("audit", "list", "--entity", "operator", "--json").stdout)["entries"]
        if e["action"] == "operator.role"
    )
    for typed in ("operator:ivan", f"operator:{ivan_id}"):
        listed = json.loads(run("audit", "list", "--entity", typed, "--json").stdout)["entries"]
        actions = [e["action"] for e in listed if e["action"] != "identity.narrow"]
        assert actions == ["shift.set", "operator.role", "operator.add"], typed
    boss = json.loads(run("audit", "list", "--entity", "operator:boss", "--json").stdout)["entries"]
    assert [e["action"] for e in boss if e["action"] != "identity.narrow"] == ["operator.add"]


def test_an_actor_typed_in_capitals_is_told_the_login(engine, clock, database_url: str) -> None:
    """``--actor IVAN`` listed nothing and said nothing, though ivan's entries are there: logins are
    stored lower-case."""
    populate(engine, clock)

    def run(*args: str, operator: str = "boss"):
        return hotline("--db", database_url, "--operator", operator, *args)

    assert run("tickets", "create", "--subject", "one", "--queue", "Support", operator="ivan").exit_code == 0
    for args in (("--actor", "IVAN"), ("--actor", " Ivan", "--json")):
        result = run("audit", "list", *args)
        assert result.exit_code == 0, result.output
        assert "no entries by" in result.stderr and "(logins are lower-case: 'ivan'?)" in result.stderr
    quiet = run("audit", "list", "--actor", "nobody-at-all")
    assert quiet.exit_code == 0 and "lower-case" not in quiet.stderr


def test_the_table_dates_entries_on_the_local_days_since_counts(engine, clock, database_url: str) -> None:
    """``--since`` is a local day, and the table dated each entry in UTC: in Moscow, ``--since 2026-11-23``
    listed an entry of 00:30 that day as "2026-11-22T21:30", as if the filter were wrong."""
    from hotline.core.clock import FixedClock

    populate(engine, clock)
    early = FixedClock(datetime.fromisoformat("2026-11-23T00:30:00+03:00"))
    with UnitOfWork(engine, clock=early) as uow:
        ensure_queue(uow, name="Night")
    result = hotline("--db", database_url, "--operator", "boss", "audit", "list", "--since", "2026-11-23",
                     "--entity", "queue", env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2026-11-23 00:30:00" in result.stdout and "2026-11-22" not in result.stdout
    as_json = hotline(
        "--db", database_url, "--operator", "boss", "audit", "list", "--entity", "queue", "--json"
    )
    assert "2026-11-22T21:30:00+00:00" in [e["at"] for e in json.loads(as_json.stdout)["entries"]]
