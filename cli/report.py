"""``hotline report NAME``: figures for supervisors as a table, CSV, XLSX or JSON, with ``--explain``;
``hotline report send NAME`` mails one (for cron)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from hotline.cli.options import JsonFlag
from hotline.cli.output import info, print_json, stdout, table
from hotline.cli.state import cli_state
from hotline.core.reports import REPORTS

if TYPE_CHECKING:
    from collections.abc import Callable

    from hotline.core.reports import Report, ReportRequest

app = typer.Typer(
    help="Reports: operators, clients and campaigns, inquiries, queues, SLA, time spent; mailed by cron.",
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


FromOption = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD, local time), included.")
]
ToOption = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="Last day (YYYY-MM-DD), included.")
]
FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="table, csv, json or xlsx.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (needed for xlsx).")
]
QueueFilter = Annotated[str | None, typer.Option("--queue", help="Only this queue.")]
OperatorFilter = Annotated[
    str | None, typer.Option("--operator", metavar="LOGIN", help="Only this operator.")
]
GroupFilter = Annotated[str | None, typer.Option("--group", help="Only clients of this group.")]
SourceFilter = Annotated[str | None, typer.Option("--source", help="Only this source.")]
ExplainFlag = Annotated[bool, typer.Option("--explain", help="Say how the numbers are computed, and stop.")]


def _command(name: str) -> Callable[..., None]:
    def command(
        first: FromOption = None,
        last: ToOption = None,
        fmt: FormatOption = ReportFormat.table,
        output: OutputOption = None,
        queue: QueueFilter = None,
        operator: OperatorFilter = None,
        group: GroupFilter = None,
        source: SourceFilter = None,
        explain: ExplainFlag = False,
        as_json: JsonFlag = False,
    ) -> None:
        from hotline.core.reports import Filters, explain_report

        if explain:
            stdout().print(Text(explain_report(name)))
            return
        filters = Filters(queue=queue, operator=operator, group=group, source=source)
        request = build_request(first, last, filters)
        _print(make_report(name, request), ReportFormat.json if as_json else fmt, output)

    command.__doc__ = REPORTS[name][1]
    return command


for _name in REPORTS:
    app.command(_name)(_command(_name))


def build_request(first: str | None, last: str | None, filters: object = None) -> ReportRequest:
    from hotline.core.reports import Filters, Period, ReportRequest, parse_day

    settings = cli_state().settings
    period = Period(parse_day(first, where="--from"), parse_day(last, where="--to"), settings.zone)
    chosen = filters if isinstance(filters, Filters) else Filters()
    return ReportRequest(period=period, filters=chosen, attributions=settings.attributions)


def make_report(name: str, request: ReportRequest) -> Report:
    from hotline.core.reports import run_report

    with cli_state().uow(readonly=True) as uow:
        return run_report(uow, name=name, request=request)


def _print(report: Report, fmt: ReportFormat, output: Path | None) -> None:
    from hotline.core.reports.render import report_bytes

    if fmt is ReportFormat.table:
        console = stdout()
        period = report.period
        span = f"{period.first or '…'} – {period.last or '…'} ({period.zone.key})" if period else ""
        console.print(table(f"{report.title}, {span}", report.columns, report.rows))
        if not report.rows:
            console.print(Text("nothing in this period", style="dim"))
        return
    if fmt is ReportFormat.json and output is None:
        print_json(report.as_json())
        return
    if fmt is ReportFormat.xlsx and output is None:
        from hotline.core.errors import InvalidInput

        raise InvalidInput("an XLSX report is a file: give --output FILE", where="--output")
    data = report_bytes(report, fmt.value)
    if output is None:
        sys.stdout.write(data.decode("utf-8-sig"))
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        from hotline.core.errors import InvalidInput

        raise InvalidInput(f"cannot write: {error.strerror}", where=str(output)) from None
    info(f"{report.title}: {len(report.rows)} rows written to {output}")
