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
    not_text = _not_utf8(error)
    if not_text is not None:  # a byte of another encoding in an argument, sent to the database unchecked
        return f"a value is not UTF-8 text ({not_text!r}): type it again in UTF-8", 2
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


def _not_utf8(error: BaseException) -> str | None:
    """The part of a value that is not UTF-8 text (a lone surrogate: a byte of another encoding in an
    argument), when that is what ``error`` (or the driver's error under it) says; else None."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, UnicodeEncodeError) and "surrogates" in cause.reason:
        return cause.object[cause.start : cause.end]
    return None
