"""``hotline clients``: show one client (import and export live in ``clients_io``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from hotline.cli.client_lists import groups_app, list_clients
from hotline.cli.clients_io import export_clients, import_clients
from hotline.cli.options import MAX_ID, JsonFlag
from hotline.cli.output import print_json, safe, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(help="Show, import and export clients.", no_args_is_help=True)
app.command("import")(import_clients)
app.command("export")(export_clients)
app.command("list")(list_clients)
app.add_typer(groups_app, name="groups")


@app.command()
def show(
    client_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The client's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a client's card: contacts, group, open tickets, last interaction."""
    from hotline.core.services.clients import client_card

    with cli_state().uow(readonly=True) as uow:
        card = client_card(uow, client_id=client_id).as_json()
    if as_json:
        print_json(card)
        return
    console = stdout()
    heading = Text.assemble(("#", "dim"), str(card["id"]), "  ")
    heading.append_text(safe(card["name"]))
    heading.stylize("bold", 0, len(heading))
    heading.append(f"  {card['kind']}", style="dim")
    console.print(heading)
    facts = [
        ("organisation", card["organisation"]["name"] if card["organisation"] else None),
        ("group", card["group"]["name"] if card["group"] else None),
        ("phones", ", ".join(p["raw"] for p in card["phones"]) or None),
        ("emails", ", ".join(card["emails"]) or None),
        ("birthday", card["birthday"]),
        ("tags", ", ".join(card["tags"]) or None),
        ("open tickets", ", ".join(f"#{n}" for n in card["open_tickets"]) or None),
        ("last interaction", card["last_interaction_at"]),
        ("source", card["source"]),
        ("campaign", card["campaign"]),
    ]
    console.print(table(None, ["field", "value"], facts))
    if card["contacts"]:
        shown, count = len(card["contacts"]), card["contact_count"]
        rows = [(c["id"], c["name"]) for c in card["contacts"]]
        console.print(table("Contact persons", ["id", "name"], rows))
        if count > shown:  # a card reads the first ones by name: listed as if they were all, a silent cap
            console.print(f"the first {shown} of {count} contact persons, by name")
