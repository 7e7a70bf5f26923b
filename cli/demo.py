"""``hotline demo``: load a realistic demo data set (fast enough for a million clients)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.text import Text

from hotline.cli.output import info, stderr
from hotline.cli.state import CliState, cli_state
from hotline.core.errors import InvalidInput


def demo(
    ctx: typer.Context,
    clients: Annotated[
        int,
        typer.Option(
            "--clients", min=1, max=10_000_000, help="How many clients to make (at most 10 million)."
        ),
    ] = 5000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**32 - 1, help="The same seed always gives the same data.")
    ] = 1,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Delete the existing clients, tickets and calls first, then load (admins; data that is"
            " not a demo's only after typing the database's name, or with --yes-i-mean-DBNAME).",
        ),
    ] = False,
) -> None:
    """Load a deterministic demo data set: clients, contacts, operators, queues, tickets, calls, articles."""
    state = cli_state()
    state.authorize("demo.load", entity="database")
    confirmed = _confirmed_name(ctx.args)
    if force and confirmed is None:
        confirmed = _prompt_for_name(state)
    load_demo_data(clients=clients, seed=seed, force=force, confirmed=confirmed)


def load_demo_data(*, clients: int, seed: int = 1, force: bool = False, confirmed: str | None = None) -> None:
    """Load the demo with a progress bar and say what it made (``demo`` and ``console --prepare-demo``)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.core.demo import load_demo

    state = cli_state()
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Started at the first stage, not before: a refusal is one line, with no empty bar before it.
    bar = Progress(*columns, console=stderr(), transient=False)
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        with state.uow() as uow:
            report = load_demo(
                uow,
                clients=clients,
                seed=seed,
                replace=force,
                confirmed_name=confirmed,
                default_region=state.settings.default_region,
                progress=progress,
            )
    finally:
        if tasks:
            bar.stop()
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{count:,} {table}" for table, count in report.rows.items())
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in report.seconds.items())
    info(f"demo loaded in {elapsed:.1f} s (seed {seed}; {phases}): {counts}, {report.articles} articles")


_CONFIRM = "--yes-i-mean-"


def _confirmed_name(extra: list[str]) -> str | None:
    """The database name of ``--yes-i-mean-DBNAME``; any other extra argument is bad usage."""
    names = [word[len(_CONFIRM) :] for word in extra if word.startswith(_CONFIRM)]
    unknown = [word for word in extra if not word.startswith(_CONFIRM)]
    if unknown or len(names) > 1:
        raise InvalidInput(f"unexpected argument {(unknown or extra)[0]!r}", where="demo")
    return names[0] if names else None


def _prompt_for_name(state: CliState) -> str | None:
    """Ask for the database's name when the data to delete is not only the demo's (and a terminal asks)."""
    from hotline.core.demo import check_replacement

    with state.uow(readonly=True) as uow:
        found = check_replacement(uow)
    if found is None or found.demo_only:
        return None
    kinds = ", ".join(f"{count:,} {action}" for action, count in found.foreign.items())
    stderr().print(
        Text(
            f"The database {found.database!r} holds data that is not the demo's ({kinds}).", style="bold red"
        )
    )
    try:
        return typer.prompt(f"Type the database's name ({found.database}) to delete it and load the demo")
    except typer.Abort:
        return None


demo.context_settings = {"allow_extra_args": True, "ignore_unknown_options": True}  # type: ignore[attr-defined]
