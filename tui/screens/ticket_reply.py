"""A modal for the text of a reply to the requester or of an internal note on a ticket.

ctrl+s returns the text (stripped; empty text is refused in place), Esc returns None. A draft can be
given back after a failed save, so nothing typed is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import TextArea

from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.widgets.kb_insert import article_text

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext
    from hotline.tui.screens.kb_search import KbChoice

register(
    Command(
        id="ticket_text.save",
        key="ctrl+s",
        title="ticket text: send",
        help="Send the reply (or save the note).",
        action="save",
        scope="ticket_text",
        label="Send",
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

    def __init__(self, ctx: ConsoleContext, number: int, *, reply: bool, draft: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        self.reply = reply
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(id="text-form") as form:
            what = "Reply" if self.reply else "Note"
            form.border_title = f"{what} on #{self.number}"
            form.border_subtitle = (
                "ctrl+s " + ("send" if self.reply else "save") + " · ctrl+k KB article · Esc cancel"
            )
            yield TextArea(self.draft, id="text", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_insert_article(self) -> None:
        """A reply goes to the client: only articles that may be sent to clients are offered for it."""
        from hotline.tui.screens.kb_search import KbSearchScreen

        def chosen(article: KbChoice | None) -> None:
            text = article_text(article)
            if text:
                area = self.query_one("#text", TextArea)
                area.insert(text)
                area.focus()

        audience = "public" if self.reply else None
        self.app.push_screen(KbSearchScreen(self.ctx, audience=audience), chosen)

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("Nothing to send: the text is empty.", severity="warning", timeout=3)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.draft = self.query_one(TextArea).text
        self.dismiss(None)
