"""A one-line field that takes a pasted text whole: Textual's ``Input`` keeps only the first line of a
paste and drops the rest without a word, and rings the bell, nothing more, for a paste over its length."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OneLineInput(Input):
    """An ``Input`` whose pastes keep every line (joined by a space); ``what`` names it when a paste is
    too long for it ("the subject"), said in a toast and nothing pasted."""

    def __init__(self, *args: object, what: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.what = what

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # not Input's own: it keeps the first line
        event.stop()
        text = " ".join(line.strip() for line in event.text.splitlines() if line.strip())
        if not text:
            return
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start)) if self.max_length else None
        if room is not None and len(text) > room:
            self.notify(
                f"Not pasted: {self.what} holds at most {self.max_length:,} characters"
                f" and the paste has {len(text):,}.",
                severity="warning",
                markup=False,
            )
            return
        self.replace(text, start, end)
