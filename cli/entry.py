"""The ``hotline`` program's entry point: a ring goes to the resident listener before anything heavy loads.

The phone system starts ``hotline call incoming`` on every ring, and importing the whole program (Typer,
SQLAlchemy, pydantic, the models) is most of a cold ring's second. ``hotline call listen`` has all of it
loaded, so a ring is first offered to its socket with the standard library alone (``ring_client``).
``hotline`` and ``hotline console`` open the console without building the Typer program
(``console_start``). Every other command runs the full program exactly as before; so does a ring no
listener takes, which then ends without the interpreter's teardown (``end_without_teardown``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn


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
    from hotline.cli.ring_socket import ring_globals

    if ring_globals(sys.argv[1:]) is not None:  # a ring no listener took: the whole program, cold
        end_without_teardown(run_the_program)
    run_the_program()


def end_without_teardown(program: Callable[[], None]) -> NoReturn:
    """Run ``program`` (the Typer program, which ends in ``sys.exit``) and end the process with its exit
    status, its output flushed and the exit handlers run, but not the interpreter's teardown.

    The phone system waits for a cold ring's process to end, and tearing the program down (clearing
    SQLAlchemy's, pydantic's and the models' modules, the garbage collection that follows) was about a
    quarter of its CPU time, on a machine busy with an import as much as on a quiet one. By then the pop
    is committed and the engine disposed (the root group closes the state). An exception that is not an
    exit propagates as before (the interpreter prints it); so does any exit while a thread other than a
    daemon runs (the interpreter would wait for it)."""
    import atexit
    import contextlib
    import threading

    try:
        program()
        status: object = 0
    except SystemExit as exit_:
        status = exit_.code
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(status)
    code = _exit_status(status)
    atexit._run_exitfuncs()  # what the interpreter runs first when it exits (logging's flush among them)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: the command's status stands
            stream.flush()
    os._exit(code)


def _exit_status(status: object) -> int:
    """The process's exit status for ``sys.exit(status)``, as the interpreter computes it: None is 0, an
    int is itself (the system keeps its low byte), anything else is printed to stderr and is 1."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status & 0xFF
    sys.stderr.write(f"{status}\n")
    return 1
