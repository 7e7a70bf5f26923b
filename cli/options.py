"""Option types shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many results at most.")]

MAX_ID = 2**63 - 1
"""The largest id or number a database column holds (a signed 64-bit integer): beyond it is bad usage."""
