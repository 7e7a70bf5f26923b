"""How an error ends a command: one line on stderr and its exit code (2: bad usage or input, 1: failure).

Without Typer or click, so that the console's direct start (``hotline.cli.console_start``) ends its errors
exactly as the root group does (``hotline.cli.errors.HotlineGroup``), which uses these same functions.
"""

from __future__ import annotations

from hotline.core.errors import HotlineError


def failure_of(error: Exception) -> tuple[str, int] | None:
    """The message and exit code ``error`` ends a command with; None for an error that is not ours to
    explain (a bug: it propagates with its traceback)."""
    if isinstance(error, HotlineError):
        return str(error), error.exit_code
    from hotline.core.db import classify_database_error

    mapped = classify_database_error(error)
    if mapped is not None:
        return str(mapped), mapped.exit_code
    if isinstance(error, OverflowError):  # a number past what a column or a date can hold
        return f"a value is out of range: {error}", 2
    if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
        return f"{error.filename + ': ' if error.filename else ''}{error.strerror or error}", 1
    return None


def print_failure(message: str) -> None:
    """``hotline: error: message`` on stderr; no escape sequence in ``message`` reaches the terminal (file
    names and values in it come from the user)."""
    from rich.text import Text

    from hotline.cli.output import stderr
    from hotline.core.text import printable

    stderr().print(Text("hotline: error: ", style="bold red") + Text(printable(message)))
