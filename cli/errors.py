"""Turning errors into exit codes: 2 for bad usage or input, 1 for operational failures."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from hotline.cli.failures import failure_of, print_failure


class HotlineGroup(TyperGroup):
    """The root group: a ``HotlineError`` or a database failure anywhere below becomes one line on stderr
    and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        ctx.meta["hotline.command"] = self._command_path(ctx)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as error:
            failure = failure_of(error)
            if failure is None:
                raise
            fail(*failure)
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
    print_failure(message)
    raise typer.Exit(code)
