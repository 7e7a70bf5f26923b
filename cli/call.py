"""``hotline call``: what the phone system runs on an incoming call."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state
from hotline.core.text import printable

SCREEN_POP_PATIENCE_SECONDS = 600.0
"""How long a pop waits for a busy database (each try waits the busy timeout) before exit 1."""

app = typer.Typer(help="Tell a running console about a call.", no_args_is_help=True)

WAIT_POLL_SECONDS = 0.05


@app.command()
def incoming(
    number: Annotated[str, typer.Argument(help="The caller's number, as the PBX gives it.")],
    operator: Annotated[
        str | None, typer.Option("--operator", help="Whose console pops (default: the global --operator).")
    ] = None,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            min=0,
            max=3600,
            help="Wait up to SECONDS for a console to show the call; exit 1 if none did (else print which).",
        ),
    ] = None,
) -> None:
    """Pop the caller's card (or a new-client form) in that operator's running consoles; a busy database
    (a long import) is waited out, never a reason to lose the call."""
    from hotline.core.db import retry_while_busy
    from hotline.core.services.screen_pop import request_screen_pop

    state = cli_state()
    login = operator or state.login

    def pop() -> int:
        with state.uow(as_system=True) as uow:
            return int(request_screen_pop(uow, operator_login=login, number=number).id or 0)

    pop_id = retry_while_busy(pop, patience_seconds=SCREEN_POP_PATIENCE_SECONDS)
    if wait is None:
        info(f"screen pop sent to {login}")
        return
    taker = _wait_for_taker(pop_id, seconds=wait)
    if taker is None:
        info(f"no console of {login} took the call within {wait:g} s")
        raise typer.Exit(1)
    typer.echo(f"taken by {login}'s console on {printable(taker)}")


def _wait_for_taker(pop_id: int, *, seconds: float) -> str | None:
    """The console that showed the pop live, looked up every 50 ms until ``seconds`` have passed."""
    from hotline.core.services.screen_pop import screen_pop_taker

    state = cli_state()
    deadline = time.monotonic() + seconds
    while True:
        with state.uow(readonly=True, as_system=True) as uow:
            taker = screen_pop_taker(uow, pop_id=pop_id)
        if taker is not None or time.monotonic() >= deadline:
            return taker
        time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
