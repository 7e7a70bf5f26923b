"""Starting the console: the one body ``hotline console`` runs, and its direct start without Typer.

``hotline`` and ``hotline console`` (with nothing but the root options) are what an operator types at the
start of a shift, and importing and building the Typer program (click, and pydantic for its parameters)
costs about a tenth of a second of the cold start. ``console_argv`` reads such a command line with the
standard library; ``run_console`` then opens the console as the root group would: the same state, the same
one-line errors and exit codes (``hotline.cli.failures``). Anything else (``--help``, another option, a
value that looks like an option, a configuration path click would reject, shell completion) returns None
from ``console_argv``, and the full program runs as before.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.cli.ring_socket import effective_globals, leading_options

if TYPE_CHECKING:
    from hotline.cli.state import CliState


def open_console(state: CliState) -> None:
    """Prove the operator (unknown, blank or deactivated: exit 2, before any frame) and run the console."""
    engine = state.engine(quick_identity=True)
    login = state.login
    from hotline.tui.app import make_app

    make_app(
        settings=state.settings, engine=engine, operator_login=login, clock=state.clock, sla=state.sla
    ).run()


def console_argv(argv: list[str], environ: dict[str, str]) -> tuple[dict[str, str | None], str] | None:
    """The root options (given, else their variables) and the command path of ``[OPTIONS] [console]``;
    None for any other command line, which the full program runs."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in environ):
        return None  # click's shell completion
    leading = leading_options(argv, "console", plain_values=True)
    if leading is None:
        return None
    given, index = leading
    rest = argv[index:]
    if rest not in ([], ["console"]):
        return None
    options = effective_globals(given, environ)
    if options["--config"] is not None and not _plain_config_path(options["--config"]):
        return None
    return options, "hotline console" if rest else "hotline"


def _plain_config_path(path: str) -> bool:
    """A path click's ``Path(dir_okay=False)`` takes as it is: missing, or a readable file."""
    if not path:
        return False
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    import stat

    return not stat.S_ISDIR(info.st_mode) and os.access(path, os.R_OK)


def run_console(options: dict[str, str | None], command: str) -> int:
    """Open the console with these root options, as the root group runs ``console``; the exit code."""
    from hotline.cli.failures import failure_of, print_failure
    from hotline.cli.state import CliState, adopt_resident, close_cli_state, set_cli_state

    config = options["--config"]
    fresh = CliState(
        db=options["--db"],
        config=Path(config) if config is not None else None,
        operator=options["--operator"],
        now=options["--now"],
        command=command,
    )
    try:
        state = adopt_resident(fresh)
        set_cli_state(state)
        open_console(state)
    except KeyboardInterrupt:
        print_failure("interrupted")
        return 130
    except Exception as error:
        failure = failure_of(error)
        if failure is None:
            if isinstance(error, OSError) and error.errno == errno.EPIPE:
                return _broken_pipe()
            _raise_as_typer_does(error)
            raise
        print_failure(failure[0])
        return failure[1]
    finally:
        close_cli_state()
    return 0


def _broken_pipe() -> int:
    """A closed stdout or stderr: exit 1 in silence, as click's main does."""
    from click.utils import PacifyFlushWrapper

    sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
    sys.stderr = PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
    return 1


def _raise_as_typer_does(error: Exception) -> None:
    """A bug: marked for Typer's exception hook (a short traceback, no local variables), as the Typer
    program marks what its commands raise; the caller re-raises it."""
    import typer.main
    from typer.models import DeveloperExceptionConfig

    sys.excepthook = typer.main.except_hook
    setattr(
        error,
        typer.main._typer_developer_exception_attr_name,
        DeveloperExceptionConfig(
            pretty_exceptions_enable=True, pretty_exceptions_show_locals=False, pretty_exceptions_short=True
        ),
    )
