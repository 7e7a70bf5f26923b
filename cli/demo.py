"""``hotline demo``: load a realistic demo data set (fast enough for a million clients)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from hotline.cli.output import info, stderr
from hotline.cli.state import cli_state


def demo(
    clients: Annotated[
        int, typer.Option("--clients", min=1, max=1_000_000, help="How many clients to make.")
    ] = 5000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**32 - 1, help="The same seed always gives the same data.")
    ] = 1,
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete the existing clients, tickets and calls first, then load."),
    ] = False,
) -> None:
    """Load a deterministic demo data set: clients, contacts, operators, queues, tickets, calls, articles."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.core.demo import load_demo

    state = cli_state()
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr(), transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        with state.uow() as uow:
            report = load_demo(
                uow,
                clients=clients,
                seed=seed,
                replace=force,
                default_region=state.settings.default_region,
                progress=progress,
            )
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{count:,} {table}" for table, count in report.rows.items())
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in report.seconds.items())
    info(f"demo loaded in {elapsed:.1f} s (seed {seed}; {phases}): {counts}, {report.articles} articles")
