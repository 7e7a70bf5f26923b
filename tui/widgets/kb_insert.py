"""Inserting a knowledge-base article into a text field (the article comes from ``KbSearchScreen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.tui.screens.kb_search import KbChoice


def article_text(article: KbChoice | None) -> str:
    """The text to insert for what the KB panel returned: the chosen article's body, or nothing."""
    if article is None:
        return ""
    return printable(article.body, multiline=True)
