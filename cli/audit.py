"""``hotline audit list``: who did what, where and when (supervisors and admins)."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.options import MAX_ID, JsonFlag, LimitOption, given_day
from hotline.cli.output import info, print_json, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(help="Read the audit trail (supervisors and admins).", no_args_is_help=True)


@app.command("list")
def list_(
    actor: Annotated[str | None, typer.Option("--actor", help="Only this login's entries.")] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", metavar="KIND[:ID]", help="ticket:42, client:7, operator, ...")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="From this day (YYYY-MM-DD, local time).")
    ] = None,
    limit: LimitOption = 50,
    offset: Annotated[
        int, typer.Option("--offset", min=0, max=MAX_ID, help="Skip this many newer entries.")
    ] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Audit entries, newest first; JSON: {"entries": [...], "more": bool}."""
    from datetime import datetime, time

    from hotline.core.errors import InvalidInput
    from hotline.core.services.audit import audit_json, list_audit, parse_entity

    state = cli_state()
    state.authorize("audit.read", entity="audit_entry")
    for option, value in (("--actor", actor), ("--entity", entity)):
        if value is not None and not value.strip():  # an unset variable in a script: not "no filter"
            raise InvalidInput(f"a blank {option}: name one, or leave the option out", where=option)
    kind, key = parse_entity(entity) if entity is not None else (None, None)
    day = given_day(since, where="--since")
    start = datetime.combine(day, time(), tzinfo=state.settings.zone) if day else None
    with state.uow(readonly=True) as uow:
        page = list_audit(
            uow, actor=actor, entity=kind, entity_id=key, since=start, limit=limit, offset=offset
        )
        if actor is not None and not page.entries and (meant := actor.strip().lower()) != actor:
            written = list_audit(uow, actor=meant, entity=kind, entity_id=key, since=start, limit=1)
            if written.entries:  # said, not an empty trail: entries name an operator by her login
                info(f"no entries by {actor!r} (logins are lower-case: {meant!r}?)")
    rows = [audit_json(entry) for entry in page.entries]
    if as_json:
        print_json({"entries": rows, "more": page.more})
        return
    columns = ["at", "actor", "action", "entity", "entity_id", "via"]
    zone = state.settings.zone  # the zone --since counts days in (JSON keeps the instant with its offset)
    local = [{**row, "at": entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")}
             for row, entry in zip(rows, page.entries, strict=True)]  # fmt: skip
    stdout().print(table(f"Audit ({zone.key})", columns, [[row[c] for c in columns] for row in local]))
    if page.more:
        info(f"more entries: --offset {offset + limit}")
