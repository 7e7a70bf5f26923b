"""The import service: a file of clients into the database in one short writing transaction.

Atomic by default (one invalid row and nothing is written, every error listed); ``skip_invalid`` imports
the good rows and lists the rest. Who a row is (``identity.py``): the same person as an earlier row or a
stored client (by address, or by number and name), a new client, or a conflict; matches are then
skipped, merged or refused (``run.py`` takes those decisions row by row). The file is read and decided
without the write lock, then written (``import_clients``); on SQLite a big import is written ahead
into TEMP tables and only published under the lock (``staging.py``): the new clients and the merges
into stored ones in one transaction, their lookup-index rows after it in short ones. A dry run takes
every decision and writes nothing.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sqlalchemy import func, select

from hotline.core.db import UnitOfWork, database_files
from hotline.core.errors import InvalidInput
from hotline.core.exporting import FORMULA_TRIGGERS
from hotline.core.importing import open_source
from hotline.core.importing.drafts import DraftBuilder, RowError
from hotline.core.importing.headers import map_columns
from hotline.core.importing.outcome import ImportOutcome, ImportRejected
from hotline.core.importing.records import SourceRow
from hotline.core.importing.run import MAX_IMPORT_ROWS, ImportOptions, ImportRun, Progress
from hotline.core.importing.staging import TempStage, stageable
from hotline.core.models import Client, ClientEmail, ClientGroup, ClientPhone
from hotline.core.output_files import check_output, write_atomically
from hotline.core.search.pending import complete_pending
from hotline.core.services.audit import record_audit

__all__ = ["ImportOptions", "Progress", "import_clients", "write_errors_file"]

REINDEX_ONE_BY_ONE_UP_TO = 10_000
MAX_IMPORT_BYTES = 256 << 20
"""Bigger files are refused before reading (see ``run.MAX_IMPORT_ROWS``): split them."""


def import_clients(
    uow: UnitOfWork, *, path: Path, options: ImportOptions, progress: Progress | None = None
) -> ImportOutcome:
    """Import the clients in ``path`` (CSV, XLSX, vCard or JSON); admins only. Raises ``ImportRejected``
    (nothing written) when an atomic import meets invalid rows.

    Staged: the file is read, checked and every decision taken in a read-only unit of its own, which holds
    no write lock; then ``uow`` makes the writes in one short transaction. If the clients changed in
    between, the decisions are taken again inside ``uow``.
    """
    if options.dry_run:
        uow.authorize("client.import", entity="client", entity_id=path.name)
        run = _plan(uow, path, options, progress, staged=False)
        return _finish(uow, run, options)
    with UnitOfWork(
        uow.engine,
        actor_login=uow.actor_login,
        clock=uow.clock,
        readonly=True,
        via=uow.via,
        invoker_login=uow.invoker_login,
    ) as reader:
        reader.authorize("client.import", entity="client", entity_id=path.name)
        before = clients_version(reader)
        run = _plan(reader, path, options, progress, staged=True)
        if run.outcome.errors and not options.skip_invalid:
            return _finish(reader, run, options)  # raises ImportRejected: no write lock was ever taken
    if not uow.session.in_transaction():  # (an open one may hold SQLite's lock: it would wait on itself)
        complete_pending(uow.engine)  # the lookup-index rows an import killed after its clients owes
    if stageable(uow, run, stage_from=options.stage_from):
        return _publish_staged(uow, run, before, path, options)
    run.outcome.write_started, run.outcome.write_started_cpu = time.perf_counter(), time.thread_time()
    uow.authorize(
        "client.import", entity="client", entity_id=path.name
    )  # the writing transaction begins here
    if clients_version(uow) != before:
        run = _plan(uow, path, options, None, staged=False)  # someone wrote meanwhile: decide again
    else:
        run.apply(uow)
    return _finish(uow, run, options)


def _publish_staged(
    uow: UnitOfWork, run: ImportRun, before: tuple[object, ...], path: Path, options: ImportOptions
) -> ImportOutcome:
    """SQLite, many new or merged clients: written ahead into TEMP tables without the write lock, then
    published in ``uow``'s one short transaction (``staging.py``, ``stage_merges.py``), their
    lookup-index rows in short ones once it has committed. Should a client written meanwhile touch what
    was decided, or be one the import merges into, the decisions are taken again inside ``uow``, as on
    the direct path."""
    stage = TempStage(uow, run)
    stage.analyse = sum(len(pending) for pending, _ in run.plan or []) > REINDEX_ONE_BY_ONE_UP_TO
    try:
        stage.write()
        stage.bind(uow)
    except BaseException:
        stage.close()
        raise
    run.outcome.write_started, run.outcome.write_started_cpu = time.perf_counter(), time.thread_time()
    uow.authorize("client.import", entity="client", entity_id=path.name)  # BEGIN IMMEDIATE
    checking = time.perf_counter()
    changed = clients_version(uow) != before and not stage.still_valid(uow, before)
    changed = changed or not stage.merges.unchanged(uow.session.connection())  # the merged clients' own
    run.outcome.publish_check_seconds = time.perf_counter() - checking
    if changed:
        run = _plan(uow, path, options, None, staged=False)
    else:
        stage.publish(uow)  # the index rows follow the commit (``TempStage.publish_index``)
    return _finish(uow, run, options)


def _plan(
    uow: UnitOfWork, path: Path, options: ImportOptions, progress: Progress | None, *, staged: bool
) -> ImportRun:
    if options.errors_path is not None:
        protected = [(path, "the input file"), *database_files(uow.engine.url)]
        if options.name in ("-", "/dev/stdin"):  # read from a copy: the file on standard input is the input
            protected.append((Path("/dev/stdin"), "the input file (standard input)"))
        check_output(options.errors_path, force=options.force, protected=protected, option="--errors")
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_IMPORT_BYTES:
        raise InvalidInput(
            f"the file is {size / 2**20:,.0f} MB; one import takes at most {MAX_IMPORT_BYTES >> 20} MB "
            f"(about {MAX_IMPORT_ROWS:,} rows): split it into several files",
            where=str(path),
        )
    source = open_source(path, sheet=options.sheet)
    try:
        columns = map_columns(source.header, options.column_map, path=path)
        builder = DraftBuilder(
            columns,
            default_region=options.default_region,
            date_order=options.date_order,
            today=uow.now().date(),
        )
        run = ImportRun(uow, source, builder, options, progress, staged=staged)
        run.execute()
        # A JSON file's keys that are no client field are its ignored columns (known once it is read).
        run.outcome.ignored_columns = [
            *columns.ignored,
            *(f"column {index + 1} (no header)" for index in sorted(builder.unnamed_with_cells)),
            *getattr(source, "ignored_keys", ()),
        ]
    finally:
        source.close()
    return run


def _finish(uow: UnitOfWork, run: ImportRun, options: ImportOptions) -> ImportOutcome:
    """The errors file, then the refusal of an atomic import with errors, or the index and the audit."""
    outcome = run.outcome
    if options.errors_path is not None:
        write_errors_file(options.errors_path, run.source.header, run.rejected_rows)
    if outcome.errors and not options.skip_invalid:
        raise ImportRejected(outcome)
    if not options.dry_run:
        _reindex(uow, run.store.touched)
        outcome.groups_created = run.store.groups_created
        record_audit(uow, action="client.import", entity="client", after=_audit_summary(outcome))
    return outcome


def clients_version(uow: UnitOfWork) -> tuple[object, ...]:
    """What an import's decisions depend on, in one cheap read: a change to it means someone wrote
    clients, contacts or groups since."""
    connection = uow.session.connection()
    return tuple(
        connection.execute(
            select(
                select(func.max(Client.id)).scalar_subquery(),
                select(func.count()).select_from(Client).scalar_subquery(),
                select(func.max(Client.updated_at)).scalar_subquery(),
                select(func.count()).select_from(ClientPhone).scalar_subquery(),
                select(func.max(ClientPhone.id)).scalar_subquery(),
                select(func.count()).select_from(ClientEmail).scalar_subquery(),
                select(func.max(ClientEmail.id)).scalar_subquery(),
                select(func.count()).select_from(ClientGroup).scalar_subquery(),
            )
        ).one()
    )


def write_errors_file(
    path: Path, header: tuple[str, ...], rejected: list[tuple[SourceRow, list[RowError]]]
) -> None:
    """The rejected rows as CSV: the original columns plus ``line`` and ``reason`` (fix and re-import)."""
    with write_atomically(path, encoding="utf-8-sig") as stream:
        writer = csv.writer(stream)
        writer.writerow([_as_read(cell) for cell in (*header, "line", "reason")])  # the input's own header
        for row, errors in rejected:
            reason = "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in errors)
            writer.writerow([_as_read(cell) for cell in (*row.cells, str(row.line), reason)])


def _as_read(cell: str) -> str:
    """A cell as the import read it, neutralised: a formula sign gets an apostrophe, and a cell that begins
    with one already is the import's own escape, kept as it is (one more made ``'=x`` read as ``'=x``, not
    ``=x``, when the fixed file was imported)."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _reindex(uow: UnitOfWork, client_ids: set[int]) -> None:
    """Bring the lookup index up to date: per client, or set-wise when the import is most of the clients."""
    if not client_ids:
        return
    from hotline.core.search import index

    total = uow.session.connection().execute(select(func.count()).select_from(Client)).scalar_one()
    if len(client_ids) > REINDEX_ONE_BY_ONE_UP_TO and len(client_ids) * 3 >= total:
        index.rebuild_index(uow.session)  # most of the index is new: rebuilding set-wise is faster
    else:
        index.reindex_clients(uow.session, client_ids)


def _audit_summary(outcome: ImportOutcome) -> dict[str, object]:
    return {
        "file": outcome.path,
        "rows": outcome.rows,
        **outcome.counts,
        "on_duplicate": outcome.on_duplicate,
        "organisations_created": outcome.organisations_created,
        "groups_created": outcome.groups_created,
    }
