"""The ``hotline`` command: global options, then one sub-app per noun.

Heavy imports (Textual, SQLAlchemy models, mail libraries) happen inside the commands, so ``--help``
is instant.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.errors import HotlineGroup
from hotline.cli.state import CliState, set_cli_state

app = typer.Typer(
    name="hotline",
    cls=HotlineGroup,
    help="hotline: a keyboard-driven call-centre console. With no command it opens the console.",
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# (module, attribute, name): sub-apps (Typer) are added as groups, functions as single commands.
COMMANDS: list[tuple[str, str, str]] = [
    ("hotline.cli.console", "console", "console"),
    ("hotline.cli.db", "app", "db"),
    ("hotline.cli.config", "app", "config"),
    ("hotline.cli.demo", "demo", "demo"),
    ("hotline.cli.operators", "app", "operators"),
    ("hotline.cli.lookup", "lookup", "lookup"),
    ("hotline.cli.clients", "app", "clients"),
    ("hotline.cli.tickets", "app", "tickets"),
    ("hotline.cli.escalate", "escalate", "escalate"),
    ("hotline.cli.mail", "app", "mail"),
    ("hotline.cli.kb", "app", "kb"),
    ("hotline.cli.reminders", "app", "reminders"),
    ("hotline.cli.report", "app", "report"),
    ("hotline.cli.call", "app", "call"),
    ("hotline.cli.audit", "app", "audit"),
]


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="HOTLINE_DATABASE_URL", help="Database URL (sqlite:///FILE or postgresql://...)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="HOTLINE_CONFIG", help="Configuration file (TOML).", dir_okay=False),
    ] = None,
    operator: Annotated[
        str | None,
        typer.Option(
            "--operator",
            envvar="HOTLINE_OPERATOR",
            help="Act as this login (an admin OS user on SQLite, the system account on PostgreSQL).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", envvar="HOTLINE_NOW", help="The clock, ISO-8601 (tests and replays)."),
    ] = None,
) -> None:
    """Global options apply to every command."""
    set_cli_state(
        CliState(
            db=db,
            config=config,
            operator=operator,
            now=now,
            command=ctx.meta.get("hotline.command", "hotline"),
        )
    )
    if ctx.invoked_subcommand is None:
        from hotline.cli.console import console

        ctx.invoke(console)


def _register() -> None:
    for module_name, attribute, name in COMMANDS:
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name, context_settings=getattr(target, "context_settings", None))(target)


_register()


def run() -> None:
    """Console-script entry point."""
    app()
