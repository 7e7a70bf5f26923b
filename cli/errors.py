"""Turning errors into exit codes: 2 for bad usage or input, 1 for operational failures."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from hotline.core.errors import HotlineError


class HotlineGroup(TyperGroup):
    """The root group: a ``HotlineError`` anywhere below becomes one line on stderr and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        import sqlite3

        from sqlalchemy.exc import OperationalError

        from hotline.core.db import database_error_reason

        try:
            return super().invoke(ctx)
        except HotlineError as error:
            fail(str(error), error.exit_code)
        except OperationalError as error:
            fail(f"database: {database_error_reason(error)}", 1)
        except sqlite3.OperationalError as error:  # the lookup's hot path talks to the driver directly
            fail(f"database: {database_error_reason(error)}", 1)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        finally:
            from hotline.cli.state import close_cli_state

            close_cli_state()


def fail(message: str, code: int) -> None:
    """Print ``hotline: error: message`` to stderr and exit with ``code``."""
    from rich.text import Text

    from hotline.cli.output import stderr

    stderr().print(Text("hotline: error: ", style="bold red") + Text(message))
    raise typer.Exit(code)
