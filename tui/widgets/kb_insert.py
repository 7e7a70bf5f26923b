"""Inserting a knowledge-base article into a text field (the article comes from ``KbSearchScreen``).

What goes in is the article as a reader sees it, not its Markdown source: headings and paragraphs as
lines, list items with "- " or their number, links as their text, code as it is. It goes on a paragraph
of its own, never glued to the word before the cursor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hotline.core.text import printable

if TYPE_CHECKING:
    from markdown_it.token import Token
    from textual.screen import Screen
    from textual.widgets import TextArea

    from hotline.tui.context import ConsoleContext
    from hotline.tui.screens.kb_search import KbChoice


def _inline_text(children: list[Token] | None) -> str:
    """A line's text; a link keeps its address after its words: "portal (https://…)"."""
    parts: list[str] = []
    links: list[tuple[str, int]] = []
    for child in children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children) or str(child.attrs.get("alt", "")))
        elif child.type == "link_open":
            links.append((str(child.attrs.get("href", "")), len(parts)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            if href and href not in "".join(parts[start:]):
                parts.append(f" ({href})")
    return "".join(parts)


def plain_text(markdown: str) -> str:
    """The text of an article as it reads, without its Markdown marks."""
    from markdown_it import MarkdownIt

    lines: list[str] = []
    numbers: list[int | None] = []
    prefix = ""
    for token in MarkdownIt().parse(markdown):
        if token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type == "ordered_list_open":
            numbers.append(int(token.attrs.get("start", 1) or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            if not numbers:
                lines.append("")
        elif token.type == "list_item_open":
            number = numbers[-1] if numbers else None
            prefix = "  " * (len(numbers) - 1) + ("- " if number is None else f"{number}. ")
            if number is not None:
                numbers[-1] = number + 1
        elif token.type == "inline":
            lines.append(prefix + _inline_text(token.children))
            prefix = ""
        elif token.type in ("paragraph_close", "heading_close") and not numbers:
            lines.append("")
        elif token.type in ("fence", "code_block"):
            lines.extend([token.content.rstrip("\n"), ""])
        elif token.type == "hr":
            lines.extend(["———", ""])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def article_text(article: KbChoice | None) -> str:
    """The text to insert for what the KB panel returned: the chosen article's text, or nothing."""
    if article is None:
        return ""
    return printable(plain_text(article.body), multiline=True)


def insert_as_paragraph(area: TextArea, text: str) -> None:
    """Put ``text`` at the cursor on a paragraph of its own (a blank line before and after it when
    there is text around), then focus the field."""
    if text:
        row, column = area.cursor_location
        before = area.document.get_text_range((0, 0), (row, column))
        after = area.document.get_text_range((row, column), area.document.end)
        lead = (
            "" if not before.strip() or before.endswith("\n\n") else "\n" if before.endswith("\n") else "\n\n"
        )
        tail = (
            ""
            if not after.strip() or after.startswith("\n\n")
            else "\n"
            if after.startswith("\n")
            else "\n\n"
        )
        area.insert(lead + text + tail)
    area.focus()


def insert_article(
    screen: Screen[object], ctx: ConsoleContext, area: TextArea, *, audience: str | None = None
) -> None:
    """Open the KB panel over ``screen`` (``audience="public"``: only articles that may go to clients);
    the chosen article's text goes into ``area`` at the cursor, on its own paragraph."""
    from hotline.tui.screens.kb_search import KbSearchScreen

    def chosen(article: KbChoice | None) -> None:
        text = article_text(article)
        if text:
            insert_as_paragraph(area, text)

    screen.app.push_screen(KbSearchScreen(ctx, audience=audience), chosen)
