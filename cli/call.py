"""``hotline call``: what the phone system runs on an incoming call."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state

SCREEN_POP_PATIENCE_SECONDS = 600.0
"""How long a pop waits for a busy database (each try waits the busy timeout) before exit 1."""

app = typer.Typer(help="Tell a running console about a call.", no_args_is_help=True)


@app.command()
def incoming(
    number: Annotated[str, typer.Argument(help="The caller's number, as the PBX gives it.")],
    operator: Annotated[
        str | None, typer.Option("--operator", help="Whose console pops (default: the global --operator).")
    ] = None,
) -> None:
    """Pop the caller's card (or a new-client form) in that operator's running console; a busy database
    (a long import) is waited out, never a reason to lose the call."""
    from hotline.core.db import retry_while_busy
    from hotline.core.services.screen_pop import request_screen_pop

    state = cli_state()
    login = operator or state.login

    def pop() -> None:
        with state.uow(as_system=True) as uow:
            request_screen_pop(uow, operator_login=login, number=number)

    retry_while_busy(pop, patience_seconds=SCREEN_POP_PATIENCE_SECONDS)
    info(f"screen pop sent to {login}")
