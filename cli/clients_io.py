"""``hotline clients import FILE`` and ``hotline clients export``: batch work for admins.

Registered on the ``clients`` sub-app by ``cli/clients.py``. Data (the summary table, JSON, the export)
goes to stdout; the progress bar and the error list go to stderr.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hotline.cli.options import JsonFlag, stdout_for_dash
from hotline.cli.output import info, print_json, safe, stderr, stdout, table, text_out
from hotline.cli.state import cli_state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hotline.core.importing.outcome import ImportOutcome
    from hotline.core.importing.service import Progress


MATCHES_LISTED = 50


class OnDuplicate(StrEnum):
    skip = "skip"
    update = "update"
    fail = "fail"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def import_clients(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="CSV (, ; or tab), XLSX, vCard (.vcf) or JSON; - reads standard input."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")
    ] = False,
    on_duplicate: Annotated[
        OnDuplicate, typer.Option("--on-duplicate", help="A row whose phone or email exists already.")
    ] = OnDuplicate.skip,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows even if some are invalid.")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Write the rejected rows, with a reason column, here (CSV)."),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="XLSX: the sheet to read (default: the first one not hidden)."),
    ] = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="FIELD=Header", help="Read FIELD from the column named Header (repeatable)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write the --errors file over an existing one.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import clients from a spreadsheet or address book; atomic unless --skip-invalid. Admins only."""
    from dataclasses import replace

    from hotline.core.errors import InvalidInput
    from hotline.core.importing.headers import parse_overrides
    from hotline.core.importing.outcome import ImportRejected
    from hotline.core.importing.service import MAX_IMPORT_BYTES, ImportOptions
    from hotline.core.importing.service import import_clients as run_import
    from hotline.core.importing.spool import spooled
    from hotline.core.statistics import refresh_statistics

    state = cli_state()
    state.authorize("client.import", entity="client", entity_id=file.name)
    options = ImportOptions(
        on_duplicate=on_duplicate.value,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        sheet=sheet,
        column_map=parse_overrides(column_map or []),
        default_region=state.settings.default_region,
        date_order=state.settings.date_order,
        attributions=state.settings.attributions,
        errors_path=errors,
        force=force,
    )
    copy: Path | None = None  # standard input or a pipe, read from a private copy of it
    try:
        with (
            spooled(file, stdin=sys.stdin.buffer, limit=MAX_IMPORT_BYTES) as readable,
            _progress(enabled=not as_json) as progress,
            state.uow(readonly=dry_run) as uow,
        ):
            if readable != file:
                copy, options = readable, replace(options, name=str(file))
            outcome = run_import(uow, path=readable, options=options, progress=progress)
        outcome.committed = not dry_run
    except ImportRejected as rejected:
        _report(rejected.outcome, as_json=as_json)
        raise
    except InvalidInput as error:
        # The readers name the file they read: the copy, in a folder the user never saw.
        if copy is not None and error.where and error.where.startswith(str(copy)):
            error.where = str(file) + error.where[len(str(copy)) :]
        raise
    if not dry_run:
        # A bulk import leaves the planner's statistics stale: refresh them (not for a few rows).
        added = outcome.counts["created"] + outcome.organisations_created
        refresh_statistics(state.engine(), added=added)
    _report(outcome, as_json=as_json)


def _report(outcome: ImportOutcome, *, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_json())
        return
    console = stderr()
    for error in outcome.errors:
        console.print(safe(error.describe(outcome.path)))  # headers and cells are untrusted
    matched = [d for d in outcome.decisions if d.action in ("updated", "unchanged", "skipped")]
    for decision in matched[:MATCHES_LISTED]:
        console.print(safe(f"{outcome.path}:{decision.line}: {decision.action}: {decision.detail}"))
    if len(matched) > MATCHES_LISTED:
        console.print(
            safe(f"… and {len(matched) - MATCHES_LISTED:,} more duplicates (--json lists them all)")
        )
    counts = outcome.counts
    title = "Import (dry run: nothing written)" if outcome.dry_run else "Import"
    rows = [(action, counts[action]) for action in ("created", "updated", "unchanged", "skipped", "rejected")]
    rows.append(("organisations created", outcome.organisations_created))
    if outcome.groups_created:
        rows.append(("new groups", ", ".join(outcome.groups_created)))
    if outcome.ignored_columns:
        rows.append(("ignored columns", ", ".join(outcome.ignored_columns)))
    stdout().print(table(title, ["", "rows"], rows))
    if outcome.index_pending:
        console.print(
            "the clients are imported; part of their lookup index could not be written yet "
            "(the next import or `hotline db upgrade` completes it)",
            markup=False,
        )


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Progress | None]:
    """A Rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rows]:>9,} rows"),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )
    task = bar.add_task("import", total=1.0, rows=0)

    def advance(rows: int, share: float | None) -> None:
        bar.update(task, completed=share if share is not None else 0.0, rows=rows)

    with bar:
        yield advance


def export_clients(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv, json or xlsx.")
    ] = ExportFormat.csv,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).", dir_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write over an existing --output file.")] = False,
) -> None:
    """Export every client (streamed; re-imports unchanged). Admins only; audited."""
    from hotline.core.db import database_files
    from hotline.core.errors import InvalidInput
    from hotline.core.exporting import export_clients as run_export
    from hotline.core.exporting import record_export
    from hotline.core.output_files import check_output

    state = cli_state()
    state.authorize("client.export", entity="client", entity_id=fmt.value)
    output = stdout_for_dash(output)
    if output is not None:
        check_output(output, force=force, protected=database_files(state.database_url), option="--output")
    if output is None and fmt is ExportFormat.xlsx and sys.stdout.isatty():
        raise InvalidInput(
            "an XLSX workbook is binary: give --output FILE or redirect stdout", where="--output"
        )
    try:
        with _destination(output, fmt) as stream, state.uow(readonly=True) as uow:
            count = run_export(uow, fmt=fmt.value, stream=stream)
    except BrokenPipeError:
        # The reader went away (``| head``): not audited, since the export did not complete.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    destination = str(output) if output else "stdout"
    with state.uow() as uow:
        record_export(uow, fmt=fmt.value, count=count, destination=destination)
    info(f"exported {count:,} clients to {destination}")


@contextmanager
def _destination(output: Path | None, fmt: ExportFormat) -> Iterator[Any]:
    """Where the export goes: stdout, or a temporary file renamed over ``output`` only on success."""
    from hotline.core.output_files import write_atomically

    binary = fmt is ExportFormat.xlsx
    if output is None:
        stream = sys.stdout.buffer if binary else text_out()  # a terminal gets no escape sequence
        yield stream
        stream.flush()
        return
    # A BOM makes Excel read the CSV as UTF-8; the import skips it. JSON has none (RFC 8259: json.load
    # and jq refuse one).
    encoding = "utf-8-sig" if fmt is ExportFormat.csv else "utf-8"
    with write_atomically(output, binary=binary, encoding=encoding) as stream:
        yield stream
