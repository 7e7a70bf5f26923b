"""The console's one-line field, which takes a pasted text whole: Textual's ``Input`` keeps only the first
line of a paste and drops the rest without a word, and rings the bell, nothing more, for a paste over its
length or of characters it does not take. Every one-line field of the console is one (a test checks)."""

from __future__ import annotations

import re

from textual import events
from textual.widgets import Input


class OneLineInput(Input):
    """An ``Input`` whose pastes keep every line (joined by ``joiner``: a space, or ``", "`` in a field
    holding a list); ``what`` names it ("a subject") when a paste does not fit, said in a toast and
    nothing pasted."""

    def __init__(self, *args: object, what: str = "this field", joiner: str = " ", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.what = what
        self.joiner = joiner
        self._told_at: str | None = None
        """The value when a key it did not take was last said: said once, not for each key after it."""

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # not Input's own: it keeps the first line
        event.stop()
        text = self.joiner.join(line.strip() for line in event.text.splitlines() if line.strip())
        if not text:
            return
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start)) if self.max_length else None
        if room is not None and len(text) > room:
            self._not_pasted(f"holds at most {self.max_length:,} characters and the paste has {len(text):,}")
            return
        value = f"{self.value[:start]}{text}{self.value[end:]}"
        if self.restrict and re.fullmatch(self.restrict, value) is None:
            self._not_pasted("does not take some of the pasted characters")
            return
        self.replace(text, start, end)

    def _not_pasted(self, why: str) -> None:
        self.notify(f"Not pasted: {self.what} {why}.", severity="warning", markup=False)

    def restricted(self) -> None:
        """A typed key not taken: the bell, and once (until the value changes) a toast saying why."""
        super().restricted()
        if self._told_at == self.value:
            return
        self._told_at = self.value
        if self.max_length and len(self.value) >= self.max_length:
            self.notify(
                f"Not typed: {self.what} holds at most {self.max_length:,} characters.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(
                f"Not typed: {self.what} does not take that character.", severity="warning", markup=False
            )
