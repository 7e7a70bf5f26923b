"""``hotline report NAME``: figures for supervisors as a table, CSV, XLSX or JSON, with ``--explain``;
``hotline report send NAME`` mails one (for cron)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from hotline.cli.options import JsonFlag, given_day, stdout_for_dash
from hotline.cli.output import info, print_json, stdout, table, text_out
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
ForceFlag = Annotated[bool, typer.Option("--force", help="Write over an existing --output file.")]
ExplainFlag = Annotated[bool, typer.Option("--explain", help="Say how the numbers are computed, and stop.")]
WithinOption = Annotated[
    int | None,
    typer.Option(
        "--within", metavar="DAYS", min=0, max=3660,
        help="renewals: contracts ending today or in the DAYS days after (instead of --from/--to).",
    ),
]  # fmt: skip
HiddenWithin = Annotated[int | None, typer.Option("--within", hidden=True)]


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
        force: ForceFlag = False,
        explain: ExplainFlag = False,
        as_json: JsonFlag = False,
        within: HiddenWithin = None,
    ) -> None:
        from hotline.core.reports import Filters, explain_report

        cli_state().authorize("report", entity="report", entity_id=name)
        if explain:
            stdout().print(Text(explain_report(name)))
            return
        output = stdout_for_dash(output)
        if as_json and fmt not in (ReportFormat.table, ReportFormat.json):  # it wrote JSON into a .xlsx
            from hotline.core.errors import InvalidInput

            raise InvalidInput(f"give --json or --format {fmt.value}, not both", where="--json")
        chosen = ReportFormat.json if as_json else fmt
        if output is not None:
            _check_output(output, chosen, force=force)
        if within is not None:
            first, last = _within(name, within, first, last)
        filters = Filters(queue=queue, operator=operator, group=group, source=source)
        request = build_request(first, last, filters)
        _print(make_report(name, request), chosen, output)

    command.__doc__ = REPORTS[name][1]
    if name == "renewals":  # the one report over days to come: shown in its help only
        command.__annotations__["within"] = WithinOption
    return command


def _check_output(output: Path, fmt: ReportFormat, *, force: bool) -> None:
    """Before the report runs: a file format, and a file that is neither the database nor one that exists
    (without --force). A table went to the screen with --output ignored; a file, the database's own
    included, was written over."""
    from hotline.core.db import database_files
    from hotline.core.errors import InvalidInput
    from hotline.core.output_files import check_output

    if fmt is ReportFormat.table:
        raise InvalidInput("a table is for the screen: give --format csv, json or xlsx", where="--output")
    protected = database_files(cli_state().database_url)
    check_output(output, force=force, protected=protected, option="--output")


def _within(name: str, days: int, first: str | None, last: str | None) -> tuple[str, str]:
    """``--within DAYS``: today (local) to today + DAYS, for the renewals report only."""
    from datetime import timedelta

    from hotline.core.errors import InvalidInput

    if name != "renewals":
        raise InvalidInput(f"--within applies to the renewals report, not {name}", where="--within")
    if first is not None or last is not None:
        raise InvalidInput("give --within or --from/--to, not both", where="--within")
    state = cli_state()
    today = state.clock.now().astimezone(state.settings.zone).date()
    return today.isoformat(), (today + timedelta(days=days)).isoformat()


for _name in REPORTS:
    app.command(_name)(_command(_name))


def build_request(first: str | None, last: str | None, filters: object = None) -> ReportRequest:
    from hotline.core.reports import Filters, Period, ReportRequest

    settings = cli_state().settings
    period = Period(given_day(first, where="--from"), given_day(last, where="--to"), settings.zone)
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
        text_out().write(data.decode("utf-8-sig"))  # on a terminal without escape sequences
        return
    from hotline.core.output_files import write_atomically

    with write_atomically(output, binary=True) as stream:
        stream.write(data)
    info(f"{report.title}: {len(report.rows)} rows written to {output}")


@app.command()
def send(
    name: Annotated[
        str, typer.Argument(help="A schedule of [reports.schedules] in the config, or a report's name.")
    ],
    to: Annotated[
        list[str] | None,
        typer.Option("--to", metavar="ADDRESS", help="Recipient (repeat); default the schedule's."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="xlsx, csv or json (default xlsx).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="yesterday, last-week, last-month, this-month or last-N-days (default: the schedule's, "
            "else last-week; renewals: the next 30 days).",
        ),
    ] = None,
    queue: QueueFilter = None,
    operator: OperatorFilter = None,
    group: GroupFilter = None,
    source: SourceFilter = None,
) -> None:
    """Queue a report in the outbox, attached to a mail (``mail send`` delivers it): for cron."""
    from hotline.core.emails import normalize_email
    from hotline.core.errors import InvalidInput
    from hotline.core.report_schedule import ReportSchedule, send_days
    from hotline.core.reports import Filters
    from hotline.core.services.report_mail import send_report

    state = cli_state()
    state.authorize("report.send", entity="report", entity_id=name)
    for option, value in (("--period", period), ("--format", fmt)):
        if value is not None and not value.strip():  # a blank is a mistake, not the schedule's value
            raise InvalidInput(f"a blank {option}: name one, or leave the option out", where=option)
    settings = state.settings
    schedule = settings.reports.schedules.get(name)
    if schedule is None:
        if name not in REPORTS:
            known = ", ".join([*settings.reports.schedules, *REPORTS])
            raise InvalidInput(f"no schedule or report named {name!r} (one of: {known})", where="NAME")
        schedule = ReportSchedule(report=name)
    recipients = [normalize_email(address, where="--to") for address in to] if to else list(schedule.to)
    if not recipients:
        raise InvalidInput("no recipient: give --to ADDRESS or set the schedule's `to`", where="--to")
    first, last = send_days(
        period or schedule.period, report=schedule.report,
        today=state.clock.now().astimezone(settings.zone).date(),
        where="--period" if period else f"reports.schedules.{name}.period",
    )  # fmt: skip
    request = build_request(first.isoformat() if first else None, last.isoformat() if last else None,
                            Filters(queue=queue, operator=operator, group=group, source=source))  # fmt: skip
    with state.uow() as uow:
        queued = send_report(
            uow, name=schedule.report, request=request, to=recipients, fmt=fmt or schedule.format,
            subject=schedule.subject, account=settings.reports.account,
        )  # fmt: skip
    info(
        f"{queued.filename} ({queued.rows} rows) queued to {', '.join(recipients)}"
        f" as outbox #{queued.outbox_id}"
    )
