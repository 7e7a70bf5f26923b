"""The footer of every full screen: Textual's compact footer, showing only the keys that fit whole.

Textual lets the keys run on under the command-palette key docked at the right, so a narrow terminal
showed half a key ("f1 He") or one stray character of it. Here the keys that would not fit whole before
the palette key are left out (they stay in F1 help and ctrl+p); a resize that changes how many fit lays
the footer out again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult
    from textual.widget import Widget

PALETTE_FRAME = 3
"""The palette key's border, the space after its key and its padding."""


def key_width(key: FooterKey) -> int:
    """Columns a compact key takes: its key, a space and its description, and the space after it."""
    description = f" {key.description}" if key.description else ""
    return cell_len(key.key_display + description) + 1


def keys_that_fit(widths: list[int], room: int) -> int:
    """How many keys of ``widths``, in order, fit ``room`` columns (the last one's trailing space may
    fall under the palette key's border)."""
    used = 0
    for count, width in enumerate(widths):
        used += width
        if used > room + 1:
            return count
    return len(widths)


class KeyFooter(Footer):
    """A compact footer that leaves out the keys that do not fit whole."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._widths: list[int] = []
        self._palette_width = 0
        self._shown = 0

    def _fitting(self, width: int) -> int:
        """How many keys fit ``width`` (all of them while the width is not known yet)."""
        return keys_that_fit(self._widths, width - self._palette_width) if width else len(self._widths)

    def compose(self) -> ComposeResult:
        self._forget_removed_keys()
        widgets: list[Widget] = list(super().compose())
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        palettes = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        self._widths = [key_width(key) for key in keys]
        self._palette_width = sum(cell_len(p.key_display + p.description) + PALETTE_FRAME for p in palettes)
        self._shown = self._fitting(self.size.width)
        left_out = set(keys[self._shown :])
        yield from (widget for widget in widgets if widget not in left_out)

    def _forget_removed_keys(self) -> None:
        """Drop the watchers of keys a recompose removed.

        Textual's footer binds each key's ``compact`` to its own (``data_bind``): a watcher in the footer's
        list that Textual prunes only when ``compact`` changes, which it never does here. The footer is
        composed again at every change of the bindings (each card closed, each screen shown), so the
        removed keys, with their rendered lines, stayed alive for as long as the console ran: thousands of
        dead widgets after a shift of calls, walked by every full garbage collection."""
        watchers = getattr(self, "__watchers", None)
        if watchers and "compact" in watchers:
            bound = watchers["compact"]
            watchers["compact"] = [(node, callback) for node, callback in bound if node.is_attached]

    def on_resize(self, event: events.Resize) -> None:
        if self._fitting(event.size.width) != self._shown:
            self.call_after_refresh(self.recompose)
