"""``hotline clients list`` (filtered, sorted, paged; ``--export`` writes exactly what is listed) and
``hotline clients groups`` (name, colour, contract level)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from hotline.cli.options import MAX_ID, JsonFlag, stdout_for_dash
from hotline.cli.output import info, print_json, safe, stdout, table, text_out
from hotline.cli.state import cli_state

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from hotline.core.services.client_lists import ClientPage

groups_app = typer.Typer(help="Client groups: name, colour, contract level.", no_args_is_help=True)


class ListExport(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def list_clients(
    group: Annotated[str | None, typer.Option("--group", help="Only this group.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only clients with this tag.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", metavar="LOGIN", help="Only this operator's clients.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only clients from this source.")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only clients of this campaign.")] = None,
    birthday_this_week: Annotated[
        bool, typer.Option("--birthday-this-week", help="Birthday this week.")
    ] = False,
    no_contact_days: Annotated[
        int | None, typer.Option("--no-contact-days", metavar="N", help="No contact for N days (or never).")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="name, created, last-contact or id; a leading - reverses.")
    ] = "name",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Clients per page.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_ID, help="Skip this many.")] = 0,
    export: Annotated[
        ListExport | None, typer.Option("--export", help="Write the listed clients as csv or xlsx (audited).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="The export's file.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write over an existing --output file.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List clients by group, tag, owner, source, campaign, birthday or silence; sorted and paged."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.client_lists import ClientListFilter, export_client_page
    from hotline.core.services.client_lists import list_clients as list_page

    state = cli_state()
    if export is not None:
        state.authorize("client.list_export", entity="client")
    for option, value in (("--group", group), ("--tag", tag), ("--owner", owner), ("--source", source),
                          ("--campaign", campaign)):  # fmt: skip
        if value is not None and not value.strip():  # matched no client: an empty list, exit 0
            raise InvalidInput(f"a blank {option}: name one, or leave the option out", where=option)
    if as_json and export is not None:  # the export was written, --json ignored without a word
        raise InvalidInput(
            "--json lists the clients, --export writes them as a file: give one", where="--json"
        )
    attributions = state.settings.attributions
    filters = ClientListFilter(
        group=group, tag=tag, owner=owner, source=source, campaign=campaign,
        birthday_this_week=birthday_this_week, no_contact_days=no_contact_days,
        known_sources=attributions.sources,
        known_campaigns=attributions.campaign_codes,
    )  # fmt: skip
    today = state.clock.now().astimezone(state.settings.zone).date()
    output = stdout_for_dash(output)
    if export is ListExport.xlsx and output is None:
        raise InvalidInput("an XLSX export is a file: give --output FILE", where="--output")
    if force and (export is None or output is None):  # nothing to write over: --force ignored
        raise InvalidInput("--force writes over an existing --output FILE of an --export", where="--force")
    if output is not None and export is not None:
        # Checked before the export is made (and audited): it wrote over any file, the database included.
        from hotline.core.db import database_files
        from hotline.core.output_files import check_output

        check_output(output, force=force, protected=database_files(state.database_url), option="--output")
    with state.uow(readonly=export is None) as uow:
        page = list_page(uow, filters=filters, today=today, sort=sort, limit=limit, offset=offset)
        if output is not None and export is None:  # the list went to the screen, --output ignored
            raise InvalidInput("--output is the export's file: give --export csv or xlsx", where="--output")
        data = export_client_page(uow, page=page, fmt=export.value) if export is not None else None
    if data is not None:
        if output is None:
            text_out().write(data.decode("utf-8-sig"))  # on a terminal without escape sequences
        else:
            from hotline.core.output_files import write_atomically

            with write_atomically(output, binary=True) as stream:
                stream.write(data)
            info(f"{len(page.lines)} clients written to {output}")
        return
    if as_json:
        print_json(page.as_json())
        return
    _print_page(page, zone=state.settings.zone)


def _print_page(page: ClientPage, *, zone: ZoneInfo) -> None:
    result = table(
        None, ["id", "name", "group", "owner", "source", "campaign", "birthday", "last contact"], []
    )
    for line in page.lines:
        group = safe(line.group)
        if line.group and line.group_colour:
            group.stylize(line.group_colour)
        contact = line.last_contact.astimezone(zone).date() if line.last_contact else None  # the local day
        result.add_row(
            safe(line.id), safe(line.name), group, safe(line.owner), safe(line.source), safe(line.campaign),
            safe(line.birthday), safe(contact),
        )  # fmt: skip
    console = stdout()
    console.print(result)
    shown = f"{page.offset + 1}–{page.offset + len(page.lines)}" if page.lines else "none"
    more = f"; more: --offset {page.offset + len(page.lines)}" if page.has_more else ""
    console.print(Text(f"clients {shown}{more}", style="dim"))


@groups_app.command("list")
def groups_list(as_json: JsonFlag = False) -> None:
    """The groups with their colour, contract level and number of clients."""
    from hotline.core.services.groups import list_groups

    with cli_state().uow(readonly=True) as uow:
        groups = list_groups(uow)
    if as_json:
        print_json([group.as_json() for group in groups])
        return
    result = table(None, ["group", "colour", "contract level", "clients"], [])
    for group in groups:
        name = safe(group.name)
        name.stylize(group.colour)
        result.add_row(
            name, Text(group.colour, style=group.colour), safe(group.contract_level), safe(group.clients)
        )
    stdout().print(result)


ColourOption = Annotated[str | None, typer.Option("--colour", "--color", help="#rrggbb or #rgb.")]
LevelOption = Annotated[
    str | None,
    typer.Option("--contract-level", help="The contract level SLA policies select on ('' removes it)."),
]


@groups_app.command("add")
def groups_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    colour: ColourOption = None,
    level: LevelOption = None,
) -> None:
    """Create a group."""
    from hotline.core.services.groups import (
        configured_contract_levels,
        create_group,
        refuse_a_level_in_another_case,
    )

    state = cli_state()
    state.authorize("group.manage", entity="client_group", entity_id=name)  # refused before bad input
    levels = configured_contract_levels(state.settings)
    refuse_a_level_in_another_case(level, levels, where="--contract-level")
    with state.uow() as uow:
        create_group(uow, name=name, colour=colour, contract_level=level)
    info(f"group {name.strip()!r} created")


@groups_app.command("set")
def groups_set(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    new_name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    colour: ColourOption = None,
    level: LevelOption = None,
) -> None:
    """Change a group's name, colour or contract level."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.groups import (
        configured_contract_levels,
        get_group,
        refuse_a_level_in_another_case,
        update_group,
    )

    state = cli_state()
    state.authorize("group.manage", entity="client_group", entity_id=name)  # refused before bad input
    if new_name is None and colour is None and level is None:
        raise InvalidInput("nothing to change: give --name, --colour or --contract-level", where="NAME")
    refuse_a_level_in_another_case(
        level, configured_contract_levels(state.settings), where="--contract-level"
    )
    with state.uow() as uow:
        group = get_group(uow, name=name)
        before = (group.name, group.colour, group.contract_level)
        if level is None:
            group = update_group(uow, name=name, new_name=new_name, colour=colour)
        else:
            group = update_group(uow, name=name, new_name=new_name, colour=colour, contract_level=level)
        changed = (group.name, group.colour, group.contract_level) != before
    info(f"group {name.strip()!r} {'changed' if changed else 'unchanged'}")


@groups_app.command("remove")
def groups_remove(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Remove a group; its clients stay, in no group."""
    from hotline.core.services.groups import delete_group

    with cli_state().uow() as uow:
        members = delete_group(uow, name=name)
    info(f"group {name.strip()!r} removed ({members} clients are now in no group)")
