"""``hotline contracts``: clients' service contracts — level, dates, queues covered."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.options import MAX_ID, JsonFlag, required_day
from hotline.cli.output import info, print_json, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(
    help="Clients' contracts: the level that chooses the SLA, and until when.", no_args_is_help=True
)


@app.command()
def add(
    client_id: Annotated[int, typer.Argument(help="Client (or organisation) id.")],
    level: Annotated[str, typer.Option("--level", help="Contract level, as [[sla]] contract names it.")],
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Last day covered (YYYY-MM-DD).")],
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="A queue covered (repeat; none: every queue).")
    ] = None,
    reference: Annotated[str, typer.Option("--reference", help="Contract number.")] = "",
) -> None:
    """Add a contract to a client."""
    from hotline.core.services.contracts import add_contract
    from hotline.core.services.groups import configured_contract_levels, refuse_a_level_in_another_case

    cli_state().authorize("contract.manage", entity="client", entity_id=client_id)
    first, last = required_day(start, where="--start"), required_day(end, where="--end")
    refuse_a_level_in_another_case(level, configured_contract_levels(cli_state().settings), where="--level")
    with cli_state().uow() as uow:
        contract = add_contract(
            uow,
            client_id=client_id,
            level=level,
            starts_on=first,
            ends_on=last,
            queues=queue,
            reference=reference,
        )
    info(f"contract {contract.id}: {contract.level} for client {client_id}, {first} to {last}")


@app.command()
def end(
    contract_id: Annotated[int, typer.Argument(help="Contract number.")],
    on: Annotated[str, typer.Option("--on", help="The new last day (YYYY-MM-DD).")],
) -> None:
    """Move a contract's last day (end it early, or extend it)."""
    from hotline.core.services.contracts import end_contract

    state = cli_state()
    state.authorize("contract.manage", entity="contract", entity_id=contract_id)
    ends_on = required_day(on, where="--on")
    with state.uow() as uow:
        contract, moved = end_contract(uow, contract_id=contract_id, ends_on=ends_on)
    info(f"contract {contract_id} {'now ends' if moved else 'already ends'} {contract.ends_on.isoformat()}")


@app.command("list")
def list_(
    client_id: Annotated[
        int | None, typer.Option("--client", min=1, max=MAX_ID, help="Only this client's.")
    ] = None,
    ending: Annotated[
        int | None, typer.Option("--ending", min=0, max=3650, help="Only those ending within N days.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Contracts, soonest ending first, with their state (active, ending, ended, future)."""
    from hotline.core.services.contracts import list_contracts

    state = cli_state()
    today = state.clock.now().astimezone(state.settings.zone).date()
    with state.uow(readonly=True) as uow:
        views = list_contracts(
            uow, day=today, client_id=client_id, warn_days=ending if ending is not None else 30
        )
    if ending is not None:
        views = [view for view in views if view.state == "ending"]
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    rows = [
        (v.id, v.client, v.level, v.starts_on, v.ends_on, ", ".join(v.queues) or "all", v.state, v.reference)
        for v in views
    ]
    stdout().print(table("Contracts", ["#", "client", "level", "from", "to", "queues", "state", "ref"], rows))
