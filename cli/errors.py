"""Turning errors into exit codes: 2 for bad usage or input, 1 for operational failures."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from hotline.core.errors import HotlineError


class HotlineGroup(TyperGroup):
    """The root group: a ``HotlineError`` or a database failure anywhere below becomes one line on stderr
    and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        from hotline.core.db import classify_database_error

        ctx.meta["hotline.command"] = self._command_path(ctx)
        try:
            return super().invoke(ctx)
        except HotlineError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as error:
            mapped = classify_database_error(error)
            if mapped is not None:
                fail(str(mapped), mapped.exit_code)
            if isinstance(error, OverflowError):  # a number past what a column or a date can hold
                fail(f"a value is out of range: {error}", 2)
            if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
                fail(f"{error.filename + ': ' if error.filename else ''}{error.strerror or error}", 1)
            raise
        finally:
            from hotline.cli.state import close_cli_state

            close_cli_state()

    def _command_path(self, ctx: typer.Context) -> str:
        """``hotline tickets create``: the command this invocation runs, for the audit trail."""
        words = ["hotline"]
        group: Any = self
        for token in [*getattr(ctx, "_protected_args", []), *ctx.args]:
            # ``get_command``: the root group imports a command's module only when it is asked for
            lookup = getattr(group, "get_command", None)
            command = lookup(ctx, token) if lookup is not None else None
            if command is None:
                break
            words.append(token)
            group = command
        return " ".join(words)


def fail(message: str, code: int) -> None:
    """Print ``hotline: error: message`` to stderr and exit with ``code``."""
    from rich.text import Text

    from hotline.cli.output import stderr
    from hotline.core.text import printable

    # File names and values in the message come from the user: no escape sequence reaches the terminal.
    stderr().print(Text("hotline: error: ", style="bold red") + Text(printable(message)))
    raise typer.Exit(code)
