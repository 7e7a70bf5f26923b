"""``hotline escalate`` as cron runs it: JSON steps, dry run, bad configuration, two processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from core.escalation.world import CONFIG_TOML, counts, new_ticket, populate
from sqlalchemy import delete, select
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork
from hotline.core.models import EscalationStep
from hotline.core.models.sla import TicketSla
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()
HOTLINE = str(Path(sys.executable).with_name("hotline"))
LATE = "2026-11-24T12:00:00+03:00"  # Tuesday noon: first response and resolution overdue


def write_config(tmp_path: Path, text: str = CONFIG_TOML) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def world(engine, clock, tmp_path):
    populate(engine, clock)
    from core.escalation.world import setup_from_toml

    return setup_from_toml(), write_config(tmp_path)


def escalate(database_url: str, config: Path, *args: str):
    return runner.invoke(app, ["--db", database_url, "--config", str(config), "escalate", *args])


def test_json_steps_then_nothing_new(database_url, engine, clock, world) -> None:
    setup, config = world
    numbers = [new_ticket(engine, clock, setup, subject=f"t{i}") for i in range(3)]
    first = escalate(database_url, config, "--now", LATE, "--json")
    assert first.exit_code == 0, first.output
    steps = json.loads(first.stdout)
    assert {(s["ticket"], s["rule"]) for s in steps} == {
        (n, r) for n in numbers for r in ("first response overdue", "resolution 80", "resolution 100", "idle")
    }
    assert all(s["level"].endswith("#1") for s in steps)
    second = escalate(database_url, config, "--now", LATE, "--json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == []


def test_dry_run_prints_the_plan_and_writes_nothing(database_url, engine, clock, world) -> None:
    setup, config = world
    new_ticket(engine, clock, setup)
    before = counts(engine)
    planned = escalate(database_url, config, "--now", LATE, "--dry-run", "--json")
    assert planned.exit_code == 0, planned.output
    assert len(json.loads(planned.stdout)) == 4
    # Nothing was applied, at any time (the plan said applied_at: <the run's time>).
    assert {step["applied_at"] for step in json.loads(planned.stdout)} == {None}
    assert counts(engine) == before
    human = escalate(database_url, config, "--now", LATE, "--dry-run")
    assert human.exit_code == 0
    assert "4 steps would apply" in human.output
    assert counts(engine) == before
    applied = json.loads(escalate(database_url, config, "--now", LATE, "--json").stdout)
    assert len(applied) == 4 and None not in {step["applied_at"] for step in applied}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[escalation]]\nname = "typo"\nqueue = "Suport"\nwhen = "idle >= 1h"\nactions = ["event"]\n',
            "escalation[6] (rule 'typo'): unknown queue 'Suport'",
        ),
        (
            '[[escalation]]\nname = "who"\nwhen = "idle >= 1h"\nactions = ["notify:nobody"]\n',
            "escalation[6] (rule 'who'): action notify:nobody: unknown or inactive operator 'nobody'",
        ),
        (
            '[[escalation]]\nname = "odd"\nwhen = "moon >= 1h"\nactions = ["event"]\n',
            "escalation.6.when: rule 'odd': unknown condition",
        ),
        (
            '[calendars.night]\ntimezone = "Europe/Moscow"\nbreaks = ["01:00-02:00"]\n',
            "calendars.night: the calendar has no working hours",
        ),
        (
            '[calendars.far]\ntimezone = "Europe/Atlantis"\nhours = { mon = "09:00-18:00" }\n',
            "unknown time zone 'Europe/Atlantis'",
        ),
    ],
)
def test_bad_configuration_is_exit_2_before_anything_happens(
    database_url, engine, clock, world, tmp_path, extra, message
) -> None:
    setup, _ = world
    new_ticket(engine, clock, setup)
    config = write_config(
        tmp_path,
        CONFIG_TOML.replace("[[sla]]", extra + "\n[[sla]]", 1)
        if extra.startswith("[calendars")
        else CONFIG_TOML + extra,
    )
    before = counts(engine)
    result = escalate(database_url, config, "--now", LATE)
    assert result.exit_code == 2, result.output
    assert str(config) in result.output
    assert message in " ".join(result.output.split())
    assert counts(engine) == before


def test_two_processes_at_once_apply_each_step_exactly_once(database_url, engine, clock, world) -> None:
    setup, config = world
    numbers = [new_ticket(engine, clock, setup, subject=f"race {i}") for i in range(60)]
    with UnitOfWork(engine, clock=clock) as uow:  # half of them as a bulk import leaves them: no SLA state
        uow.session.execute(delete(TicketSla).where(TicketSla.ticket_id % 2 == 0))
    env = {**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME}
    command = [HOTLINE, "--db", database_url, "--config", str(config), "escalate", "--now", LATE, "--json"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)
    ]
    outputs = []
    for process in runs:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        outputs.append(json.loads(out))
    applied = [(s["ticket"], s["rule"]) for output in outputs for s in output]
    expected = {
        (n, r) for n in numbers for r in ("first response overdue", "resolution 80", "resolution 100", "idle")
    }
    assert len(applied) == len(expected)  # nothing twice
    assert set(applied) == expected
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(uow.session.execute(select(EscalationStep)).all()) == len(expected)


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_now_is_bad_usage_not_the_real_clock(database_url, engine, clock, world, blank) -> None:
    """``escalate --now "$AT"`` with AT unset ran on the real clock, exit 0: a replay that did not happen."""
    setup, config = world
    new_ticket(engine, clock, setup)
    before = counts(engine)
    result = escalate(database_url, config, "--now", blank, "--json")
    assert result.exit_code == 2, result.output
    assert "--now: a blank date and time" in result.stderr and result.stdout == ""
    assert counts(engine) == before


def test_without_a_configuration_file_it_says_there_are_no_rules(database_url, engine, clock, world) -> None:
    """Run by cron under another home, ``escalate`` found no configuration file and said "0 steps
    applied" every five minutes, as if the rules had been checked and nothing was due."""
    setup, _config = world
    new_ticket(engine, clock, setup)
    result = runner.invoke(
        app,
        ["--db", database_url, "escalate", "--now", LATE, "--json"],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    missing = f"{NO_CONFIG_HOME}/hotline/config.toml"
    assert f"no escalation rules: there is no configuration file at {missing}" in result.stderr


def test_the_default_queue_before_its_first_ticket_is_no_typo(database_url, tmp_path) -> None:
    """A new installation configured as the README shows (``queue = "Support"``): ``escalate`` from cron
    and ``config check`` were exit 2, "unknown queue 'Support'", until the first ticket made the queue
    (tickets and mail make it on first use, as ``config check`` already granted mail accounts)."""
    config = write_config(
        tmp_path,
        '[calendars.office]\ntimezone = "Europe/Moscow"\nhours = { mon = "09:00-18:00" }\n\n'
        '[[sla]]\nqueue = "Support"\npriority = "*"\ncalendar = "office"\nfirst_response = "1h"\n'
        'resolution = "8h"\n\n[[escalation]]\nname = "late"\nqueue = "Support"\n'
        'when = "first_response_overdue"\nactions = ["event"]\n',
    )
    ran = escalate(database_url, config, "--now", LATE, "--json")
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == []
    checked = runner.invoke(app, ["--db", database_url, "--config", str(config), "config", "check"])
    assert checked.exit_code == 0, checked.output
    typo = write_config(
        tmp_path, config.read_text(encoding="utf-8").replace('queue = "Support"', 'queue = "Suport"')
    )
    refused = escalate(database_url, typo, "--now", LATE)
    assert refused.exit_code == 2 and "unknown queue 'Suport'" in refused.output
