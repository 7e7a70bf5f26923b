"""The ``hotline`` program's entry point: a ring goes to the resident listener before anything heavy loads.

The phone system starts ``hotline call incoming`` on every ring, and importing the whole program (Typer,
SQLAlchemy, pydantic, the models) is most of a cold ring's second. ``hotline call listen`` has all of it
loaded, so a ring is first offered to its socket with the standard library alone (``ring_client``).
``hotline`` and ``hotline console`` open the console without building the Typer program
(``console_start``). Every other command, and a ring no listener takes, runs the full program exactly as
before.
"""

from __future__ import annotations

import os
import sys


def run(prog: str | None = None) -> None:
    """Console-script entry point (``prog``: the program's name in messages, as click would say it)."""
    from hotline.cli.ring_client import ring

    try:
        code = ring(sys.argv[1:], prog=prog or os.path.basename(sys.argv[0]))
    except KeyboardInterrupt:
        sys.stderr.write("hotline: error: interrupted\n")
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from hotline.cli.console_start import console_argv, run_console

    console = console_argv(sys.argv[1:], dict(os.environ))
    if console is not None:  # ``hotline`` or ``hotline console``: straight to the console, without Typer
        sys.exit(run_console(*console))
    from hotline.cli.main import run as run_the_program

    run_the_program()
