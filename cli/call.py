"""``hotline call``: what the phone system runs on an incoming call."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state

app = typer.Typer(help="Tell a running console about a call.", no_args_is_help=True)


@app.command()
def incoming(
    number: Annotated[str, typer.Argument(help="The caller's number, as the PBX gives it.")],
    operator: Annotated[
        str | None, typer.Option("--operator", help="Whose console pops (default: the global --operator).")
    ] = None,
    dialled: Annotated[
        str | None,
        typer.Option("--dialled", metavar="NUMBER", help="The number the caller dialled (names a campaign)."),
    ] = None,
) -> None:
    """Pop the caller's card (or a new-client form) in that operator's running console; the number
    dialled picks the campaign whose printed number it is (``[[campaigns]] dialled`` in the config)."""
    from hotline.core.services.screen_pop import request_screen_pop

    state = cli_state()
    login = operator or state.login
    campaign = state.settings.attributions.for_dialled(dialled).campaign
    with state.uow(as_system=True) as uow:
        request_screen_pop(uow, operator_login=login, number=number, campaign=campaign)
    info(f"screen pop sent to {login}" + (f" (campaign {campaign})" if campaign else ""))
