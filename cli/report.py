"""``hotline report operators|aging|sla|calls``: figures for supervisors, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from hotline.cli.options import JsonFlag
from hotline.cli.output import print_json, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(
    help="Reports: calls per operator, ticket aging, SLA breaches, call volume.", no_args_is_help=True
)


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FromOption = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD, local time), included.")
]
ToOption = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="Last day (YYYY-MM-DD), included.")
]
FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="table, csv or json.")]


@app.command()
def operators(
    first: FromOption = None,
    last: ToOption = None,
    fmt: FormatOption = ReportFormat.table,
    as_json: JsonFlag = False,
) -> None:
    """Calls handled and average handle time per operator."""
    _run("operators", first, last, ReportFormat.json if as_json else fmt)


@app.command()
def aging(
    first: FromOption = None,
    last: ToOption = None,
    fmt: FormatOption = ReportFormat.table,
    as_json: JsonFlag = False,
) -> None:
    """Open tickets by age bucket per queue (--from/--to limit by creation day)."""
    _run("aging", first, last, ReportFormat.json if as_json else fmt)


@app.command()
def sla(
    first: FromOption = None,
    last: ToOption = None,
    fmt: FormatOption = ReportFormat.table,
    as_json: JsonFlag = False,
) -> None:
    """SLA breaches (first response, resolution) by queue and priority."""
    _run("sla", first, last, ReportFormat.json if as_json else fmt)


@app.command()
def calls(
    first: FromOption = None,
    last: ToOption = None,
    fmt: FormatOption = ReportFormat.table,
    as_json: JsonFlag = False,
) -> None:
    """Calls per day and hour (in the configured time zone)."""
    _run("calls", first, last, ReportFormat.json if as_json else fmt)


def _run(name: str, first: str | None, last: str | None, fmt: ReportFormat) -> None:
    from hotline.core.reports import Period, parse_day, run_report

    state = cli_state()
    period = Period(parse_day(first, where="--from"), parse_day(last, where="--to"), state.settings.zone)
    with state.uow(readonly=True) as uow:
        report = run_report(uow, name=name, period=period)
    if fmt is ReportFormat.json:
        print_json(report.as_json())
    elif fmt is ReportFormat.csv:
        from hotline.core.exporting import neutralise

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(report.columns)
        for row in report.rows:
            writer.writerow([neutralise("" if value is None else str(value)) for value in row])
    else:
        console = stdout()
        span = f"{period.first or '…'} – {period.last or '…'} ({period.zone.key})"
        console.print(table(f"{report.title}, {span}", report.columns, report.rows))
        if not report.rows:
            console.print(Text("nothing in this period", style="dim"))
