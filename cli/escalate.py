"""``hotline escalate``: apply the escalation rules once (for cron); each step exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.options import JsonFlag


def escalate(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be done; write nothing.")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Run as of this ISO-8601 instant (default: the clock).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Apply every escalation rule whose condition holds; a second run applies nothing new.

    Crontab: ``*/5 * * * * hotline escalate --json >> /var/log/hotline-escalate.log``
    """
    from hotline.cli.output import info, print_json, stdout, table
    from hotline.cli.state import cli_state
    from hotline.core.clock import clock_for
    from hotline.core.escalation.run import run_escalation
    from hotline.core.escalation.validate import validate_against_db
    from hotline.core.identity import refuse_foreign_clock
    from hotline.core.services.system_runs import start_system_run

    state = cli_state()
    with state.uow(readonly=True, as_system=True) as uow:
        start_system_run(uow, run="escalate")  # refused (audited) before --now or the rules are read
        setup = state.sla
        clock = clock_for(now) if now is not None else state.clock
        refuse_foreign_clock(uow, state.identity, clock)
        validate_against_db(uow, setup=setup)
    if not Path(state.config_source).exists():  # cron under another home: "0 steps applied" forever
        info(f"no escalation rules: there is no configuration file at {state.config_source}")
    steps = run_escalation(
        state.engine(), setup=setup, clock=clock, dry_run=dry_run, via=state.via.replace("cli: ", "cron: ", 1)
    )
    if as_json:
        print_json([step.as_json() for step in steps])
        return
    verb = "would apply" if dry_run else "applied"
    if steps:
        rows = [(f"#{s.ticket}", s.rule, s.level, ", ".join(s.actions), "; ".join(s.changes)) for s in steps]
        stdout().print(table(None, ["ticket", "rule", "level", "actions", "changes"], rows))
    info(f"{len(steps)} step{'s' if len(steps) != 1 else ''} {verb}")
