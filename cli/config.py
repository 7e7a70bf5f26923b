"""``hotline config``: write a starter configuration file and check one before cron meets it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state
from hotline.core.errors import InvalidInput

app = typer.Typer(help="Write and check the configuration file.", no_args_is_help=True)

STARTER = Path(__file__).with_name("starter_config.toml")


def _target() -> Path:
    from hotline.core.settings import check_config_name

    state = cli_state()
    check_config_name(state.config)
    return Path(state.config_source)


@app.command()
def path() -> None:
    """Print where the configuration file is read from."""
    from hotline.core.text import printable

    typer.echo(printable(str(_target())))  # an OSC sequence in it set the terminal's title


@app.command()
def init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter file (office calendar with public holidays, SLA targets, escalation rules)."""
    from hotline.core.db import database_files, default_database_url
    from hotline.core.output_files import check_output, write_atomically

    target = _target()
    if target.exists() and not target.is_file():  # a FIFO hung for ever; /dev/null was "wrote /dev/null"
        raise InvalidInput(
            "not a regular file: the configuration is a file read at every start", where=str(target)
        )
    if target.exists() and not force:
        raise InvalidInput("the configuration file exists already (--force to overwrite)", where=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Never the database (``--config`` naming it and ``--force`` wrote text over it), and whole or absent:
    # a full disk left an empty file, which the next run read as the configuration. The database is the
    # one named without reading the file: --force replaces a file that does not load.
    database = cli_state().db or default_database_url()
    check_output(target, force=True, protected=database_files(database), option="--config")
    with write_atomically(target) as stream:
        stream.write(STARTER.read_text(encoding="utf-8"))
    info(f"wrote {target}")


@app.command()
def check() -> None:
    """Load the file and check what it names (queues, operators) against the database: exit 2 if wrong."""
    from hotline.core.dates import date_pattern
    from hotline.core.escalation.validate import validate_against_db
    from hotline.core.rules.validate import check_rules

    state = cli_state()
    settings = state.settings
    from hotline.core.services.call_records import check_extensions
    from hotline.core.services.queues import check_mail_queues

    with state.uow(readonly=True, as_system=True) as uow:
        validate_against_db(uow, setup=state.sla)
        check_rules(uow, settings.rules, source=state.config_source)
        check_extensions(uow, extensions=settings.pbx.extensions, source=state.config_source)
        check_mail_queues(
            uow,
            accounts=[(account.name, account.queue) for account in settings.mail.accounts],
            source=state.config_source,
        )
    target = _target()
    where = f"{target}" if target.exists() else f"no configuration file at {target}; the defaults"
    info(
        f"{where}: {len(settings.calendars)} calendars, {len(settings.sla)} SLA policies, "
        f"{len(settings.escalation)} escalation rules, {len(settings.rules)} event rules, "
        f"{len(settings.mail.accounts)} mail accounts, {len(settings.pbx.extensions)} PBX extensions, "
        f"dates typed as {date_pattern(settings.date_order)}: ok"
    )
    for account in settings.mail.accounts:
        if account.acknowledge and not account.smtp_host:
            info(
                f"mail account {account.name!r} has no smtp_host: new tickets from it are not"
                " acknowledged (set smtp_host to send them, or acknowledge = false to say so)"
            )
