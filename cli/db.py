"""``hotline db``: create, upgrade and back up the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state

app = typer.Typer(help="Create, upgrade and back up the database.", no_args_is_help=True)


@app.command()
def init(
    group: Annotated[
        str | None,
        typer.Option("--group", help="SQLite: share the file with this OS group (0660 instead of 0600)."),
    ] = None,
) -> None:
    """Create the schema (or bring it up to date); the OS user (SQLite) or the database role
    (PostgreSQL) running it first becomes an admin, with the --operator login if one is named.

    A new SQLite file is made readable by its owner only (0600; see the README for a shared group)."""
    from hotline.core import migrate
    from hotline.core.db import UnitOfWork, restrict_sqlite_file, shown_url
    from hotline.core.identity import bootstrap_admins, check_first_admin
    from hotline.core.services.operators import has_operators
    from hotline.core.services.system_runs import record_schema_change, start_system_run

    state = cli_state()
    check_first_admin(state.settings.operator)
    engine = state.engine(require_schema=False, create=True)
    if migrate.schema_state(engine) == "ready":
        with UnitOfWork(engine, clock=state.clock, readonly=True) as uow:
            bootstrapped = has_operators(uow)
        if bootstrapped:
            with state.uow(as_system=True) as uow:
                start_system_run(uow, run="db init")
    # Before the schema goes in: an unknown --group left a whole database behind, readable by everyone.
    restrict_sqlite_file(engine, group=group)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    restrict_sqlite_file(engine, group=group)  # and the WAL files the upgrade made
    with UnitOfWork(engine, clock=state.clock, via=state.via) as uow:
        bootstrapping = not has_operators(uow)
        if bootstrapping:
            for login in bootstrap_admins(
                uow, requested=state.settings.operator, prefix=state.settings.pg_role_prefix
            ):
                info(f"created admin operator {login!r}")
    if not bootstrapping and before is not None:
        with state.uow(as_system=True) as uow:
            record_schema_change(uow, before=before, after=migrate.current_revision(engine))
    info(f"database ready at revision {migrate.current_revision(engine)}: {shown_url(engine.url)}")


@app.command()
def upgrade() -> None:
    """Apply the migrations this version of hotline has and the database lacks; complete the lookup
    index of an import killed after committing its clients."""
    from hotline.core import migrate

    state = cli_state()
    engine = state.engine(require_schema=False, create=True)
    if migrate.schema_state(engine) == "ready":  # an older schema cannot tell who is who yet
        from hotline.core.services.system_runs import start_system_run

        with state.uow(as_system=True) as uow:
            start_system_run(uow, run="db upgrade")
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    if before is not None and after != before:
        from hotline.core.services.system_runs import record_schema_change

        with state.uow(as_system=True) as uow:
            record_schema_change(uow, before=before, after=after)
    if after == before:  # "schema 0020 → 0020" read as a migration
        info(f"schema already at {after}, the newest: nothing to do")
    else:
        info(f"schema {before or 'empty'} → {after}")
    if before is None:
        from hotline.core.db import UnitOfWork
        from hotline.core.services.operators import has_operators

        with UnitOfWork(engine, readonly=True) as uow:
            if not has_operators(uow):  # every command then refused everyone but root: "unknown operator"
                info("no operator yet: `hotline db init` makes the first admin")
    from hotline.core.search.pending import complete_pending

    completed = complete_pending(engine)  # what an import killed after committing its clients left
    if completed:
        info(f"lookup index completed for {completed:,} imported clients")


@app.command()
def backup(
    file: Annotated[str, typer.Argument(help="Where to write the backup (must not exist).")],
) -> None:
    """Copy the database to FILE while it is in use (SQLite backup API; pg_dump for PostgreSQL)."""
    from hotline.core.backup import backup_database, record_backup

    state = cli_state()
    with state.uow(readonly=True) as uow:
        size = backup_database(uow, file)
    with state.uow() as uow:
        record_backup(uow, target=Path(file), size=size)
    info(f"backup written to {file} ({size:,} bytes)")


@app.command()
def status(
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only: ready, behind, unknown, empty or foreign.")
    ] = False,
) -> None:
    """Tell whether the database is ready (schema at the newest revision), behind, at a revision this
    version does not know (unknown: a newer hotline's), empty, or another application's (foreign:
    tables, but no hotline schema)."""
    from hotline.core import migrate
    from hotline.core.db import missing_sqlite_file, shown_url

    invocation = cli_state()
    if (missing := missing_sqlite_file(invocation.database_url)) is not None:  # said, not made
        if quiet:
            typer.echo("empty")
        else:
            info(f"{missing}: empty (no file yet: `hotline db init` makes it)")
        return
    engine = invocation.engine(require_schema=False)
    current = migrate.current_revision(engine)
    state = migrate.schema_state(engine)
    if quiet:
        typer.echo(state)
        return
    head = migrate.head_revision()
    if state == "foreign":
        found = migrate.listed(migrate.foreign_tables(engine))
        info(f"{shown_url(engine.url)}: not a hotline database: it holds {found} and no hotline schema")
        return
    if state == "unknown":
        from hotline.core.text import printable

        info(
            f"{shown_url(engine.url)}: at {printable(current or '')}, a revision this version of hotline does"
            f" not know (its newest is {head}): made by a newer hotline?"
        )
        return
    info(f"{shown_url(engine.url)}: {state} (at {current or 'nothing'}, newest {head})")
    if state == "ready":
        from hotline.core.search.pending import owed_clients

        if owed := owed_clients(engine):
            info(f"lookup index: {owed:,} imported clients not indexed yet (hotline db upgrade completes it)")


@app.command()
def grants(
    show: Annotated[bool, typer.Option("--show", help="Print the statements run.")] = False,
    contact_budget: Annotated[
        int | None,
        typer.Option(
            "--contact-budget",
            metavar="N",
            help="Clients an hour whose phones and addresses an operator's role may be handed"
            " (default: the one set before; 20000 the first time).",
        ),
    ] = None,
) -> None:
    """PostgreSQL: create the group roles and grant them what each hotline role may (admins; run again
    after every upgrade). Operators cannot read the audit trail or delete clients, and read clients'
    contact points only as hotline hands them out, within a budget; nobody may change the audit trail."""
    from hotline.core.pg_roles import apply_grants

    state = cli_state()
    with state.uow() as uow:
        statements = apply_grants(uow, prefix=state.settings.pg_role_prefix, contact_budget=contact_budget)
    if show:
        for statement in statements:
            typer.echo(statement + ";")
    info(f"{len(statements)} grant statements applied (group roles {state.settings.pg_role_prefix}_*)")
