"""Inserting a knowledge-base article into a text field (the KB search modal is another module's)."""

from __future__ import annotations

from hotline.core.text import printable


def kb_search_available() -> bool:
    """Whether this installation has the knowledge-base search modal."""
    try:
        from hotline.tui.screens import kb_search  # noqa: F401
    except ImportError:
        return False
    return True


def article_text(article: object | None) -> str:
    """The text to insert for what the KB modal returned: a string, or an article with a body."""
    if article is None:
        return ""
    if isinstance(article, str):
        return printable(article, multiline=True)
    body = getattr(article, "body", None) or getattr(article, "text", None) or ""
    return printable(str(body), multiline=True)
