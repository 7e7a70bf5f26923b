"""The ``hotline`` command: global options, then one sub-app per noun.

Heavy imports (Textual, SQLAlchemy models, mail libraries) happen inside the commands, so ``--help``
is instant; and only the module of the command being run is imported (``LazyGroup``): the phone system
starts ``hotline call incoming`` on every ring, and its start-up is most of the ring-to-card time.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.cli.errors import HotlineGroup
from hotline.cli.state import CliState, adopt_resident, set_cli_state

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
    ("hotline.cli.live", "app", "live"),
    ("hotline.cli.audit", "app", "audit"),
    ("hotline.cli.rules", "app", "rules"),
    ("hotline.cli.shifts", "app", "shifts"),
    ("hotline.cli.contracts", "app", "contracts"),
]


def load_command(name: str) -> Any:
    """The click command of ``COMMANDS`` entry ``name``, built as ``add_typer``/``command`` on the root
    would (same markup mode and exception settings)."""
    module_name, attribute = next((m, a) for m, a, n in COMMANDS if n == name)
    target = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer(pretty_exceptions_show_locals=False, rich_markup_mode=None)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name, context_settings=getattr(target, "context_settings", None))(target)
    holder.callback()(lambda: None)  # a group even with one command, so ``commands`` holds it by name
    return typer.main.get_group(holder).commands[name]


def _is_group(name: str) -> bool:
    """``COMMANDS`` names a sub-app (Typer) as its ``app`` attribute, a single command by its function."""
    return next(a for _, a, n in COMMANDS if n == name) == "app"


class LazyGroup(HotlineGroup):
    """The root group: a command's module is imported when that command is asked for (to run it, or
    to list it in ``--help``), not when the program starts."""

    def list_commands(self, ctx: Any) -> list[str]:
        # Single commands before groups, as Typer lists those registered on the root; then any command
        # registered on the root directly.
        names = sorted((name for _, _, name in COMMANDS), key=lambda name: _is_group(name))
        return names + [name for name in self.commands if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and any(name == cmd_name for _, _, name in COMMANDS):
            command = load_command(cmd_name)
            self.add_command(command, cmd_name)
        return command


app = typer.Typer(
    name="hotline",
    cls=LazyGroup,
    help="hotline: a keyboard-driven call-centre console. With no command it opens the console.",
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
        typer.Option(
            "--now",
            envvar="HOTLINE_NOW",
            help="The clock, ISO-8601 (tests and replays; the system account only).",
        ),
    ] = None,
) -> None:
    """Global options apply to every command."""
    # (by name: Typer may carry a click of its own, whose enum is not click's)
    from_variable = getattr(ctx.get_parameter_source("operator"), "name", None) == "ENVIRONMENT"
    fresh = CliState(
        db=db,
        config=config,
        operator=operator,
        now=now,
        operator_from="HOTLINE_OPERATOR" if from_variable else "--operator",
        command=ctx.meta.get("hotline.command", "hotline"),
    )
    set_cli_state(adopt_resident(fresh))
    if ctx.invoked_subcommand is None:
        from hotline.cli.console import console

        ctx.invoke(console)


def run() -> None:
    """Console-script entry point."""
    app()
