"""``hotline rules list|check|explain|test``: bad rules are exit 2 naming the file, the rule and the reason;
explain tells what the rules did to a ticket; test dry-runs a message and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models import RuleTrace, Ticket
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator, set_operator_active
from hotline.core.services.queues import ensure_queue

runner = CliRunner()

RULES = """
[[rules]]
name = "routers to network"
on = ["ticket.created", "mail.received"]
when = { words = ["роутер"] }
actions = [{ queue = "Network" }, { priority = "high" }, { note = "Routed: {ticket.subject}" }]

[[rules]]
name = "quiet"
on = "ticket.created"
enabled = false
actions = [{ tags = ["never"] }]
"""

EML = (
    b"From: Ivan <ivan@client.example>\r\nTo: support@example.com\r\nSubject: =?utf-8?b?"
    + "Не работает роутера".encode().hex().encode()[:0]
    + b"?=\r\nMessage-ID: <m1@client.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    + "Мой роутер мигает.\r\n".encode()
)


@pytest.fixture
def world(engine, clock, tmp_path):
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="admin", role=Role.ADMIN)
        ensure_queue(uow, name="Support")
        ensure_queue(uow, name="Network")
    return tmp_path


def hotline(database_url: str, config: Path, *args: str):
    return runner.invoke(
        app,
        ["--db", database_url, "--config", str(config), "--operator", "admin", *args],
        catch_exceptions=False,
    )


def config_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list_and_check(database_url, world) -> None:
    config = config_with(world, RULES)
    listed = hotline(database_url, config, "rules", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rules = json.loads(listed.stdout)
    assert [(r["name"], r["enabled"]) for r in rules] == [("routers to network", True), ("quiet", False)]
    checked = hotline(database_url, config, "rules", "check")
    assert checked.exit_code == 0, checked.output
    assert "2 rules OK (1 enabled)" in checked.stderr


def test_list_is_refused_to_an_unknown_or_deactivated_operator(database_url, world, engine, clock) -> None:
    """Every command proves who acts first: ``rules list`` read the file for anyone (exit 0)."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="gone", role=Role.OPERATOR)
    with UnitOfWork(engine, clock=clock) as uow:
        set_operator_active(uow, login="gone", active=False)
    config = config_with(world, RULES)
    for login, said in (("ghost", "unknown operator 'ghost'"), ("gone", "operator 'gone' is deactivated")):
        listed = runner.invoke(
            app, ["--db", database_url, "--config", str(config), "--operator", login, "rules", "list"]
        )
        assert listed.exit_code == 2, listed.output
        assert listed.output == f"hotline: error: {said}\n"


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ('on = "ticket.created"\ncolour = "red"\nactions = [{ priority = "high" }]', "Extra inputs"),
        ('on = "client.created"\nactions = [{ assign = "round-robin" }]', "cannot apply on client.created"),
        (
            'on = "ticket.created"\nwhen = { status = "closed" }\nactions = [{ priority = "high" }]',
            "never be true",
        ),
        (
            'on = "mail.received"\nwhen = { channel = "phone" }\nactions = [{ priority = "high" }]',
            "never be true",
        ),
        ('on = "ticket.created"\nwhen = { words = [] }\nactions = [{ priority = "high" }]', "never be true"),
        ('on = "ticket.created"\nactions = [{ note = "From {mail.from}" }]', "{mail.from}"),
        ('on = "ticket.created"\nactions = [{ queue = "Nowhere" }]', "unknown queue 'Nowhere'"),
        ('on = "ticket.created"\nactions = [{ assign = "ghost" }]', "unknown operator 'ghost'"),
        (
            'on = "ticket.created"\nwhen = { client_group = ["Glod"] }\nactions = [{ priority = "high" }]',
            "unknown client group 'Glod'",
        ),
        ('on = "ticket.created"\nactions = [{ notify = "round-robin" }]', "unknown operator 'round-robin'"),
        ('on = "ticket.created"\nactions = [{ assign = "assignee" }]', "unknown operator 'assignee'"),
        (
            'on = "ticket.created"\nactions = [{ reminder = { text = "x", who = "least-loaded" } }]',
            "unknown operator 'least-loaded'",
        ),
        ('on = "ticket.dreamt"\nactions = [{ priority = "high" }]', "rules.0.on.0"),
        # blank: "OK" to the check, then failed on every ticket
        ('on = "ticket.created"\nactions = [{ note = "  " }]', "note is blank"),
        ('on = "ticket.created"\nactions = [{ queue = "" }]', "queue is blank"),
        ('on = "ticket.created"\nactions = [{ notify = "" }]', "notify is blank"),
        ('on = "ticket.created"\nactions = [{ assign = " " }]', "assign is blank"),
        ('on = "ticket.created"\nactions = [{ reminder = { text = " " } }]', "text is blank"),
        # "OK" to the check, then failed on every ticket (or added nothing)
        (
            'on = "ticket.created"\nactions = [{ mail = { to = "the boss", subject = "s", body = "b" } }]',
            "mail.to (rule 'bad one'): to is requester, client, assignee or one address",
        ),
        ('on = "ticket.created"\nactions = [{ tags = [] }]', "tags names no tag"),
        (
            'on = "ticket.created"\nactions = [{ note = "' + "x" * 100_001 + '{ticket.subject}" }]',
            "the note is 100,001 characters without its fields; one holds at most 100,000",
        ),
        (
            'on = "ticket.created"\nactions = [{ reminder = { text = "'
            + "r" * 1001
            + '", who = "admin" } }]',
            "the reminder's text is 1,001 characters without its fields",
        ),
        (
            'on = ["ticket.created", "mail.received", "ticket.created"]\nactions = [{ note = "x" }]',
            "on lists ticket.created twice",
        ),
        ('on = "ticket.created"\nactions = [{ tags = ["vip", " "] }]', "a tag is blank"),
        ('on = "ticket.created"\nactions = [{ tags = ["a\\u001bb"] }]', "holds U+001B"),
    ],
    ids=lambda value: value[:60],  # a note of 100,001 characters is no test id
)
def test_bad_rules_name_the_file_the_rule_and_the_reason(database_url, world, rule, reason) -> None:
    config = config_with(world, f'[[rules]]\nname = "bad one"\n{rule}\n')
    result = hotline(database_url, config, "rules", "check")
    assert result.exit_code == 2, result.output
    assert str(config) in result.stderr and "bad one" in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output


def test_explain_tells_what_the_rules_did(database_url, world) -> None:
    config = config_with(world, RULES)
    created = hotline(
        database_url,
        config,
        "tickets",
        "create",
        "--subject",
        "Сломался роутер",
        "--queue",
        "Support",
        "--json",
    )
    assert created.exit_code == 0, created.output
    number = json.loads(created.stdout)["number"]
    explained = hotline(database_url, config, "rules", "explain", str(number))
    assert explained.exit_code == 0, explained.output
    assert "✓ routers to network: queue set to Network; priority set to high; note added" in explained.stdout
    assert "· quiet: not matched: disabled" in explained.stdout
    as_json = json.loads(hotline(database_url, config, "rules", "explain", str(number), "--json").stdout)
    assert as_json[0]["event"] == "ticket.created" and as_json[0]["rules"][0]["matched"] is True


def test_a_message_is_dry_run_and_nothing_is_written(database_url, world, engine) -> None:
    config = config_with(world, RULES)
    message = world / "router.eml"
    message.write_bytes(EML.replace(b"=?utf-8?b??=", "Роутер".encode()))
    result = hotline(
        database_url, config, "rules", "test", "--event", "mail.received", str(message), "--json"
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [e["event"] for e in events] == ["ticket.created", "mail.received"]
    assert events[1]["rules"][0]["did"][0].startswith("would queue")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0
        assert connection.execute(select(func.count()).select_from(RuleTrace)).scalar_one() == 0
    missing = hotline(database_url, config, "rules", "test", str(world / "missing.eml"))
    assert missing.exit_code == 2 and "missing.eml" in missing.stderr


def test_a_message_no_rule_listens_to_is_said_not_silence(database_url, world) -> None:
    """Without rules ``rules test`` printed nothing at all, exit 0: as if it had not run."""
    config = config_with(world, 'timezone = "Europe/Moscow"\n')
    message = world / "router.eml"
    message.write_bytes(EML.replace(b"=?utf-8?b??=", "Роутер".encode()))
    result = hotline(database_url, config, "rules", "test", str(message))
    assert result.exit_code == 0, result.output
    assert "no rule listens to mail.received" in result.stderr


def test_explain_and_test_send_no_escape_sequence_to_the_terminal(database_url, world) -> None:
    """A rule named with an escape sequence reached the terminal raw through ``rules explain`` and
    ``rules test`` (``list`` and the console filtered it)."""
    config = config_with(
        world,
        '[[rules]]\nname = "red \\u001b[31m\\u001b]0;title\\u0007 rule"\n'
        'on = ["ticket.created"]\nactions = [{ priority = "high" }]\n',
    )
    created = hotline(database_url, config, "tickets", "create", "--subject", "x", "--json")
    assert created.exit_code == 0, created.output
    number = json.loads(created.stdout)["number"]
    message = world / "router.eml"
    message.write_bytes(EML.replace(b"=?utf-8?b??=", "Роутер".encode()))
    for args in (("explain", str(number)), ("test", str(message))):
        result = hotline(database_url, config, "rules", *args)
        assert result.exit_code == 0, result.output
        assert "red [31m]0;title rule" not in result.stdout
        assert "red rule" in result.stdout and "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_a_message_is_read_only_as_far_as_a_message_goes(database_url, world) -> None:
    """``rules test /dev/zero`` (or a huge file) read on until memory ran out: a MemoryError traceback;
    an empty file was tested as a message."""
    config = config_with(world, "[mail]\nmax_message_bytes = 1000\n" + RULES)
    huge = world / "huge.eml"
    huge.write_bytes(EML + b"x" * 5000)
    empty = world / "empty.eml"
    empty.write_bytes(b"")
    for path, says in (
        ("/dev/zero", "more than 4,000 bytes"),
        (huge, "more than 4,000 bytes"),
        (empty, "empty"),
    ):
        result = hotline(database_url, config, "rules", "test", str(path))
        assert result.exit_code == 2, result.output
        assert f"{path}: " in result.stderr and says in result.stderr and "Traceback" not in result.output


def test_a_sender_domain_matches_as_written_in_any_script(database_url, world) -> None:
    """``sender_domain = ["почта.рф"]`` never matched: the sender's address is stored in IDNA
    (``xn--80a1acny.xn--p1ai``); a blank domain, never true, passed the check."""
    config = config_with(
        world,
        '[[rules]]\nname = "rf"\non = "mail.received"\nwhen = { sender_domain = ["Почта.РФ"] }\n'
        'actions = [{ priority = "high" }]\n',
    )
    message = world / "rf.eml"
    message.write_bytes(EML.replace(b"ivan@client.example", "ivan@почта.рф".encode()))
    result = hotline(database_url, config, "rules", "test", str(message), "--json")
    assert result.exit_code == 0, result.output
    [verdict] = json.loads(result.stdout)[-1]["rules"]
    assert verdict["matched"], verdict
    blank = config_with(world, config.read_text(encoding="utf-8").replace("Почта.РФ", " "))
    refused = hotline(database_url, blank, "rules", "check")
    assert refused.exit_code == 2 and "a blank sender domain can never match" in refused.stderr


def test_check_without_a_configuration_file_says_there_is_none(database_url, world) -> None:
    """It said "0 rules OK (0 enabled) in ~/.config/hotline/config.toml", a file that is not there: a
    typo in XDG_CONFIG_HOME, or a cron job's other home, looked like a checked, empty rule book."""
    from tests.cli.invoke import NO_CONFIG_HOME
    from tests.cli.invoke import hotline as bare

    missing = f"{NO_CONFIG_HOME}/hotline/config.toml"
    checked = bare("--db", database_url, "--operator", "admin", "rules", "check")
    assert checked.exit_code == 0, checked.output
    assert checked.stderr.strip() == f"no rules to check: there is no configuration file at {missing}"
    config = bare("--db", database_url, "--operator", "admin", "config", "check")
    assert config.exit_code == 0, config.output
    assert config.stderr.startswith(f"no configuration file at {missing}; the defaults: 0 calendars")


def test_list_without_a_configuration_file_says_there_is_none(database_url, world) -> None:
    """An empty table, nothing said: no rules, or no file read (cron's other home, a typo)?"""
    from tests.cli.invoke import NO_CONFIG_HOME
    from tests.cli.invoke import hotline as bare

    listed = bare("--db", database_url, "--operator", "admin", "rules", "list")
    assert listed.exit_code == 0, listed.output
    assert (
        f"no rules: there is no configuration file at {NO_CONFIG_HOME}/hotline/config.toml" in listed.stderr
    )
    as_json = bare("--db", database_url, "--operator", "admin", "rules", "list", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []


def test_a_condition_on_the_default_queue_before_its_first_ticket_is_no_typo(database_url, tmp_path) -> None:
    """``when = { queue = ["Support"] }`` on a new installation: rules check was exit 2, "unknown queue
    'Support'", until the first ticket or mail made the queue (hotline makes it on first use)."""
    from tests.cli.invoke import hotline as bare

    config = tmp_path / "config.toml"
    rule = '[[rules]]\nname = "support"\non = "ticket.created"\nwhen = { queue = ["Support"] }\n'
    config.write_text(rule + 'actions = [{ priority = "high" }]\n', encoding="utf-8")
    checked = bare("--db", database_url, "--config", str(config), "rules", "check")
    assert checked.exit_code == 0, checked.output
    config.write_text(rule + 'actions = [{ queue = "Support" }]\n', encoding="utf-8")  # moved into: needed
    assert bare("--db", database_url, "--config", str(config), "rules", "check").exit_code == 2
    config.write_text(
        rule.replace('"Support"', '"Suport"') + 'actions = [{ priority = "high" }]\n', encoding="utf-8"
    )
    typo = bare("--db", database_url, "--config", str(config), "rules", "check")
    assert typo.exit_code == 2 and "unknown queue 'Suport'" in typo.output
