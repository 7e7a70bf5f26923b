"""``hotline clients list`` and ``hotline clients groups`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from tests.cli.invoke import hotline


def _as_boss(db: str, config: Path) -> tuple[str, ...]:
    """The global options of these tests: the database, the configuration, boss, a fixed now."""
    return ("--db", db, "--config", str(config), "--operator", "boss", "--now", "2026-11-23T10:00:00+03:00")


def test_list_export_and_groups(empty_db: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"  # the file's source must be a configured one
    config.write_text('sources = ["TV"]\n', encoding="utf-8")
    base = _as_boss(empty_db, config)
    assert hotline(*base, "db", "init").exit_code == 0
    assert (
        hotline(
            *base, "clients", "groups", "add", "VIP", "--colour", "#ff0000", "--contract-level", "gold"
        ).exit_code
        == 0
    )
    bad = hotline(*base, "clients", "groups", "add", "Other", "--colour", "[red]x")
    assert bad.exit_code == 2 and "--colour: not a colour" in bad.stderr
    path = tmp_path / "clients.csv"
    path.write_text("name,group,tags,source\nАнна,VIP,vip,TV\nБорис,,,\nВера,VIP,,\n", encoding="utf-8")
    assert hotline(*base, "clients", "import", str(path)).exit_code == 0
    listed = json.loads(hotline(*base, "clients", "list", "--group", "VIP", "--limit", "1", "--json").stdout)
    assert [client["name"] for client in listed["clients"]] == ["Анна"]
    assert (listed["has_more"], listed["next_offset"], listed["clients"][0]["group_colour"]) == (
        True,
        1,
        "#ff0000",
    )
    assert listed["clients"][0]["source"] == "TV"
    table = hotline(*base, "clients", "list", "--sort", "-name")
    assert table.exit_code == 0 and table.stdout.index("Вера") < table.stdout.index("Анна")
    out = tmp_path / "vip.xlsx"
    exported = hotline(*base, "clients", "list", "--group", "VIP", "--export", "xlsx", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert [row[1] for row in load_workbook(out).active.iter_rows(values_only=True)] == [
        "name",
        "Анна",
        "Вера",
    ]
    as_csv = hotline(*base, "clients", "list", "--tag", "vip", "--export", "csv")
    assert as_csv.stdout.splitlines()[1].split(",")[1] == "Анна"
    assert hotline(*base, "clients", "groups", "set", "VIP", "--name", "Key").exit_code == 0
    groups = json.loads(hotline(*base, "clients", "groups", "list", "--json").stdout)
    assert groups == [{"name": "Key", "colour": "#ff0000", "contract_level": "gold", "clients": 2}]
    assert hotline(*base, "clients", "groups", "remove", "Key").exit_code == 0
    assert hotline(*base, "clients", "list", "--group", "Key").exit_code == 2


def test_a_blank_filter_is_bad_usage(empty_db: str) -> None:
    """``--tag ""`` (an unset shell variable) matched no client: an empty list with exit 0."""
    base = ("--db", empty_db, "--operator", "boss")
    assert hotline(*base, "db", "init").exit_code == 0
    for option in ("--group", "--tag", "--owner", "--source", "--campaign"):
        result = hotline(*base, "clients", "list", option, " ")
        assert result.exit_code == 2, (option, result.output)
        assert f"a blank {option}" in result.stderr


def test_the_export_file_is_never_written_over_nor_the_database(empty_db: str, tmp_path: Path) -> None:
    base = ("--db", empty_db, "--operator", "boss")
    assert hotline(*base, "db", "init").exit_code == 0
    path = tmp_path / "clients.csv"
    path.write_text("name\nАнна\n", encoding="utf-8")
    assert hotline(*base, "clients", "import", str(path)).exit_code == 0
    over = hotline(*base, "clients", "list", "--export", "csv", "-o", str(path))
    assert over.exit_code == 2 and "exists already (--force writes over it)" in over.stderr
    assert path.read_text(encoding="utf-8") == "name\nАнна\n"
    assert hotline(*base, "clients", "list", "--export", "csv", "-o", str(path), "--force").exit_code == 0
    assert path.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[1] == "Анна"
    database = tmp_path / "cli.db"
    onto = hotline(*base, "clients", "list", "--export", "csv", "-o", str(database), "--force")
    assert onto.exit_code == 2 and "is the database" in onto.stderr
    assert database.read_bytes().startswith(b"SQLite format 3\x00")  # it became the CSV
    listed = tmp_path / "listed.csv"
    no_export = hotline(*base, "clients", "list", "-o", str(listed))  # listed on the screen, exit 0
    assert no_export.exit_code == 2 and "--export" in no_export.stderr
    assert not listed.exists()


def test_the_last_contact_is_the_local_day(empty_db: str, tmp_path: Path) -> None:
    """A call at 01:30 in Moscow (22:30 UTC the day before) showed as the day before in the table."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from hotline.core.db import UnitOfWork, make_engine
    from hotline.core.models import Client
    from hotline.core.services.clients import ClientDraft, create_client

    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/Moscow"\n', encoding="utf-8")
    base = _as_boss(empty_db, config)
    assert hotline(*base, "db", "init").exit_code == 0
    engine = make_engine(empty_db)
    with UnitOfWork(engine, actor_login="boss") as uow:
        client = create_client(uow, draft=ClientDraft(name="Night caller"), default_region="RU")
        contact = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
        uow.session.execute(update(Client).where(Client.id == client.id).values(last_interaction_at=contact))
    engine.dispose()
    table = hotline(*base, "clients", "list")
    assert table.exit_code == 0, table.output
    assert "2026-11-23" in table.stdout and "2026-11-22" not in table.stdout


def test_a_bad_new_name_names_the_name_option(empty_db: str) -> None:
    """``groups set VIP --name ""`` said "NAME: a group needs a name", pointing at the group it changes."""
    base = ("--db", empty_db, "--operator", "boss", "--now", "2026-11-23T10:00:00+03:00")
    assert hotline(*base, "db", "init").exit_code == 0
    assert hotline(*base, "clients", "groups", "add", "VIP").exit_code == 0
    for bad, said in (("", "a group needs a name"), ("x" * 101, "a group name is at most 100")):
        result = hotline(*base, "clients", "groups", "set", "VIP", "--name", bad)
        assert result.exit_code == 2, result.output
        assert f"--name: {said}" in result.stderr


def test_groups_set_says_when_nothing_changes(empty_db: str) -> None:
    """``groups set VIP`` with no option said "group 'VIP' changed", exit 0, and so did one that gave the
    group what it had."""
    base = ("--db", empty_db, "--operator", "boss", "--now", "2026-11-23T10:00:00+03:00")
    assert hotline(*base, "db", "init").exit_code == 0
    assert hotline(*base, "clients", "groups", "add", "VIP", "--colour", "#ff0000").exit_code == 0
    bare = hotline(*base, "clients", "groups", "set", "VIP")
    assert bare.exit_code == 2, bare.output
    assert "nothing to change: give --name, --colour or --contract-level" in bare.stderr
    same = hotline(*base, "clients", "groups", "set", "VIP", "--colour", "#FF0000")
    assert same.exit_code == 0, same.output
    assert "group 'VIP' unchanged" in same.stderr
    renamed = hotline(*base, "clients", "groups", "set", "VIP", "--name", "Key")
    assert "group 'VIP' changed" in renamed.stderr


def test_json_and_export_together_is_bad_usage(empty_db: str) -> None:
    """``clients list --json --export csv`` wrote CSV, --json ignored without a word."""
    base = ("--db", empty_db, "--operator", "boss", "--now", "2026-11-23T10:00:00+03:00")
    assert hotline(*base, "db", "init").exit_code == 0
    result = hotline(*base, "clients", "list", "--json", "--export", "csv")
    assert result.exit_code == 2, result.output
    assert "--json: --json lists the clients, --export writes them as a file: give one" in result.stderr
    assert result.stdout == ""


def test_force_without_an_export_file_is_bad_usage(empty_db: str) -> None:
    """``clients list --force`` without ``--export … --output FILE`` listed the clients, --force ignored."""
    base = ("--db", empty_db, "--operator", "boss", "--now", "2026-11-23T10:00:00+03:00")
    assert hotline(*base, "db", "init").exit_code == 0
    for extra in ((), ("--export", "csv"), ("--export", "csv", "--output", "-")):
        result = hotline(*base, "clients", "list", "--force", *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert "--force: --force writes over an existing --output FILE of an --export" in result.stderr
        assert result.stdout == ""


def test_group_names_one_letter_written_two_ways_are_one_group(database_url: str, engine, clock) -> None:
    """«é» typed as one character (NFC) or as e and a combining accent (NFD, as macOS writes file names)
    looks the same on every screen: it was two groups, and `--group` found only the one typed alike."""
    import json

    from hotline.core.db import UnitOfWork
    from hotline.core.models.enums import Role
    from hotline.core.services.operators import add_operator

    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boss", role=Role.SUPERVISOR)

    def groups(*args: str):
        return hotline("--db", database_url, "--operator", "boss", "clients", "groups", *args)

    composed, decomposed = "Caf\u00e9", "Cafe\u0301"
    assert groups("add", composed).exit_code == 0
    again = groups("add", decomposed)
    assert again.exit_code == 1 and "a group named 'Café' exists already" in again.stderr, again.output
    assert groups("set", decomposed, "--colour", "#112233").exit_code == 0
    listed = json.loads(groups("list", "--json").stdout)
    assert [(g["name"], g["colour"]) for g in listed] == [(composed, "#112233")]
    assert groups("add", "De\u0301cor").exit_code == 0  # stored as the import stores it: composed
    assert [g["name"] for g in json.loads(groups("list", "--json").stdout)] == [composed, "D\u00e9cor"]
