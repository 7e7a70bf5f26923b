"""The console locked: its operator was deactivated (or given another role) while it was open.

It covers every screen and offers only quitting (ctrl+q, the app's key): nothing under it reads again
(``HotlineApp.lock``).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

DEACTIVATED = "Your account was deactivated while this console was open."
REFUSED = "The database no longer lets this account read: it was deactivated while this console was open."


def role_changed(role: str) -> str:
    return f"Your role changed to {role} while this console was open: quit and start the console again."


class LockedScreen(Screen[None]):
    """Says why the console is locked; ctrl+q quits."""

    COMMAND_SCOPE = "locked"
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="locked-body") as body:
            body.border_title = "Console locked"
            yield Static(self.reason, id="locked-reason", markup=False)
            yield Static("Press Ctrl+Q to quit.", id="locked-quit", markup=False)
