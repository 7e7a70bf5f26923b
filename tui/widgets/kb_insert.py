"""Inserting a knowledge-base article into a text field (the article comes from ``KbSearchScreen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.core.text import printable

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widgets import TextArea

    from hotline.tui.context import ConsoleContext
    from hotline.tui.screens.kb_search import KbChoice


def article_text(article: KbChoice | None) -> str:
    """The text to insert for what the KB panel returned: the chosen article's body, or nothing."""
    if article is None:
        return ""
    return printable(article.body, multiline=True)


def insert_article(
    screen: Screen[object], ctx: ConsoleContext, area: TextArea, *, audience: str | None = None
) -> None:
    """Open the KB panel over ``screen`` (``audience="public"``: only articles that may go to clients);
    the chosen article's text goes into ``area`` at the cursor."""
    from hotline.tui.screens.kb_search import KbSearchScreen

    def chosen(article: KbChoice | None) -> None:
        text = article_text(article)
        if text:
            area.insert(text)
            area.focus()

    screen.app.push_screen(KbSearchScreen(ctx, audience=audience), chosen)
