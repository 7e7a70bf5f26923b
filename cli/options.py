"""Option types shared by several commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hotline.core.limits import MAX_ID as MAX_ID

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many results at most.")]
SourceOption = Annotated[
    str | None, typer.Option("--source", help="Where it came from: one of the configured sources.")
]
CampaignOption = Annotated[str | None, typer.Option("--campaign", help="The code of a configured campaign.")]


def stdout_for_dash(output: Path | None) -> Path | None:
    """``--output -`` is standard output, as ``-`` is standard input to the imports (it wrote a file named
    ``-`` in the current folder)."""
    return None if output is not None and str(output) == "-" else output


def given_day(text: str | None, *, where: str) -> date | None:
    """A ``YYYY-MM-DD`` value of an optional option: left out is ``None``; given blank (``--since ""``, an
    unset variable in a script) is bad usage naming it, not silently "no filter"."""
    from hotline.core.errors import InvalidInput
    from hotline.core.reports import parse_day

    if text is not None and not text.strip():
        raise InvalidInput("a blank date: give YYYY-MM-DD or leave the option out", where=where)
    return parse_day(text, where=where)


def required_day(text: str, *, where: str) -> date:
    """A ``YYYY-MM-DD`` value of a required option; blank or anything else is bad usage naming it."""
    from hotline.core.errors import InvalidInput
    from hotline.core.reports import parse_day

    day = parse_day(text, where=where)
    if day is None:
        raise InvalidInput("a date is needed (YYYY-MM-DD)", where=where)
    return day
