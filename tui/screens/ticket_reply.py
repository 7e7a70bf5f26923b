"""A modal for the text of a reply to the requester or of an internal note on a ticket.

ctrl+s returns the text (stripped; empty text is refused in place), Esc returns None. A draft can be
given back after a failed save, so nothing typed is lost. A reply can carry files: ctrl+o picks one,
ctrl+u takes the last one off again; they are read only when the reply is saved (``files``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.widgets.kb_insert import article_text, insert_as_paragraph

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext
    from hotline.tui.screens.kb_search import KbChoice

register(
    Command(
        id="ticket_text.save",
        key="ctrl+s",
        title="ticket text: queue the reply (or save the note)",
        help="Queue the reply in the outbox (the chronology shows when it is sent), or save the note.",
        action="save",
        scope="ticket_text",
        label="Queue / save",
        priority=True,
    ),
    Command(
        id="ticket_text.insert_article",
        key="ctrl+k",
        title="ticket text: insert a knowledge-base article",
        help="Search the knowledge base and insert the chosen article (a reply offers only public ones).",
        action="insert_article",
        scope="ticket_text",
        label="KB article",
        priority=True,
    ),
    Command(
        id="ticket_text.attach",
        key="ctrl+o",
        title="ticket text: attach a file",
        help="Pick a file to send with the reply.",
        action="attach",
        scope="ticket_text",
        label="Attach",
        priority=True,
    ),
    Command(
        id="ticket_text.detach",
        key="ctrl+u",
        title="ticket text: remove the last file",
        help="Take the last attached file off the reply.",
        action="detach",
        scope="ticket_text",
        label="Detach",
        priority=True,
    ),
    Command(
        id="ticket_text.cancel",
        key="escape",
        title="ticket text: cancel",
        help="Close; the text is kept as a draft for the next time.",
        action="cancel",
        scope="ticket_text",
        label="Cancel",
    ),
)


class TicketTextScreen(ModalScreen[str | None]):
    """The text of a reply (``reply=True``) or a note for ticket ``number``."""

    COMMAND_SCOPE = "ticket_text"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("ticket_text")

    def __init__(
        self,
        ctx: ConsoleContext,
        number: int,
        *,
        reply: bool,
        draft: str = "",
        files: tuple[Path, ...] = (),
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        self.reply = reply
        self.draft = draft
        self.files: tuple[Path, ...] = files
        """The files a reply carries (kept with the draft when the form is closed)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="text-form") as form:
            what = "Reply" if self.reply else "Note"
            form.border_title = f"{what} on #{self.number}"
            form.border_subtitle = (
                "ctrl+s "
                + ("queue" if self.reply else "save")
                + " · ctrl+k KB article"
                + (" · ctrl+o attach" if self.reply else "")
                + " · Esc cancel"
            )
            yield TextArea(self.draft, id="text", soft_wrap=True, show_line_numbers=False)
            yield Static(id="attached")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._show_files()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("attach", "detach"):
            return self.reply if action == "attach" else (self.reply and bool(self.files)) or None
        return True

    def action_attach(self) -> None:
        from hotline.tui.screens.file_pick import FilePickScreen

        def picked(path: Path | None) -> None:
            if path is not None and path not in self.files:
                self.files = (*self.files, path)
                self._show_files()
            self.query_one(TextArea).focus()

        start = self.files[-1].parent if self.files else None
        self.app.push_screen(FilePickScreen("Attach a file", want="file", start=start), picked)

    def action_detach(self) -> None:
        if self.files:
            self.files = self.files[:-1]
            self._show_files()

    def _show_files(self) -> None:
        attached = self.query_one("#attached", Static)
        attached.display = self.reply and bool(self.files)
        attached.update(
            Text("attached: ", style="dim") + Text(", ".join(printable(path.name) for path in self.files))
        )
        self.refresh_bindings()

    def action_insert_article(self) -> None:
        """A reply goes to the client: only articles that may be sent to clients are offered for it."""
        from hotline.tui.screens.kb_search import KbSearchScreen

        def chosen(article: KbChoice | None) -> None:
            text = article_text(article)
            if text:
                insert_as_paragraph(self.query_one("#text", TextArea), text)

        audience = "public" if self.reply else None
        self.app.push_screen(KbSearchScreen(self.ctx, audience=audience), chosen)

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            said = (
                "Nothing to send: the reply is empty."
                if self.reply
                else "Nothing to save: the note is empty."
            )
            self.notify(said, severity="warning", timeout=3)  # a note is never sent
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.draft = self.query_one(TextArea).text
        self.dismiss(None)
