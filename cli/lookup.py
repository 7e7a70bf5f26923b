"""``hotline lookup QUERY``: the console's search box on the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.options import JsonFlag
from hotline.cli.output import print_json, stdout, table
from hotline.cli.state import cli_state
from hotline.core.limits import MAX_LOOKUP_RESULTS


def lookup(
    query: Annotated[
        str, typer.Argument(metavar="QUERY", help="A phone fragment, name, email, company or #ticket.")
    ],
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, max=MAX_LOOKUP_RESULTS, help="How many results at most."),
    ] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Find clients and tickets by phone (any format, last digits), name, email, company or ticket number."""
    from hotline.core.errors import InvalidInput
    from hotline.core.search import lookup as find

    if not query.strip():  # an unset shell variable: "[]", exit 0, said "no such client" to a script
        raise InvalidInput("nothing to look up: give a phone, name, email or #ticket", where="QUERY")
    state = cli_state()
    with state.uow(readonly=True) as uow:
        # One more than asked says whether the list is all there is ("20 found" of more was a silent cut).
        asked = min(limit + 1, MAX_LOOKUP_RESULTS)
        hits = find(uow.session, query, limit=asked, default_region=state.settings.default_region)
    more = len(hits) > limit
    hits = hits[:limit]
    if as_json:
        print_json([hit.as_json() for hit in hits])
        return
    rows = [
        (hit.kind, f"#{hit.id}" if hit.kind == "ticket" else hit.id, hit.title, hit.subtitle, hit.matched)
        for hit in hits
    ]
    title = f"the best {len(hits)} of more: --limit N for more" if more else f"{len(hits)} found"
    if len(hits) == MAX_LOOKUP_RESULTS:
        title = f"{len(hits)} found, the most a lookup lists: there may be more"
    stdout().print(table(title, ["kind", "id", "name", "details", "matched"], rows))
