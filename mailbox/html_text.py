"""Readable plain text from HTML mail: paragraphs apart by a blank line, list items and table rows on
their own lines (cells apart by a space), links kept as ``text (url)``, images as ``[image: name]``;
no tags, scripts or styles. The text itself is never rewritten: quotes, dashes and the spaces between
CJK words stay as written (only the runs of white space HTML itself ignores are collapsed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser

_PARAGRAPH = {
    "p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
    "section", "article", "header", "footer", "address", "center", "form", "fieldset", "figure",
}  # fmt: skip
_LINE = {"br", "li", "tr", "dt", "dd", "caption", "option"}
_CELL = {"td", "th"}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


class _TextCollector(HTMLParser):
    """Collects text; a block's start or end asks for a break, written before the next text."""

    def __init__(self, image_names: Mapping[str, str], placed: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.image_names = image_names
        self.placed = placed
        self.parts: list[str] = []
        self.pending = 0
        """Line breaks asked for before the next text: 1 a new line, 2 a new paragraph."""
        self.cell_pending = False
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _SKIP:
            self.skip_depth += 1
            return
        self._depths(tag, +1)
        self._block(tag)
        if tag == "li":
            self._emit("- ")
        elif tag in _CELL:
            self.cell_pending = True
        elif tag == "a":
            self.links.append(((attributes.get("href") or "").strip(), len(self.parts)))
        elif tag == "img":
            self._image(attributes)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "a" and self.links:
            self._link_end(*self.links.pop())
        self._block(tag)
        self._depths(tag, -1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = _HTML_SPACE.sub(" ", data)
            if self._at_line_start() or self.pending:
                data = data.lstrip(" ")
        if data:
            self._emit(data)

    def _depths(self, tag: str, step: int) -> None:
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth + step)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth + step)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self.pending = max(self.pending, 2)
        elif tag in _LINE:
            self.pending = max(self.pending, 1)
        if tag in _PARAGRAPH or tag in _LINE:
            self.cell_pending = False

    def _emit(self, text: str) -> None:
        """Write ``text`` after the breaks asked for (none at the very start) and a cell's space."""
        if self.pending and self.parts:
            trailing = len("".join(self.parts[-2:])) - len("".join(self.parts[-2:]).rstrip("\n"))
            self.parts.append("\n" * max(0, self.pending - trailing))
        if self.pending or not self.parts or self.parts[-1].endswith("\n"):
            if self.quote_depth:
                self.parts.append("> " * self.quote_depth)
        elif self.cell_pending and not self.parts[-1].endswith(" "):
            self.parts.append(" ")
        self.pending = 0
        self.cell_pending = False
        self.parts.append(text)

    def _at_line_start(self) -> bool:
        return not self.parts or self.parts[-1].endswith("\n")

    def _link_end(self, href: str, start: int) -> None:
        label = "".join(self.parts[start:]).strip()
        if href and not href.lower().startswith(("javascript:", "#")):
            shown = href[7:] if href.lower().startswith("mailto:") else href
            if shown not in label:
                self._emit(f" ({shown})" if label else shown)

    def _image(self, attributes: dict[str, str | None]) -> None:
        """``[image: name]``: the attached file a ``cid:`` names, else the alt text or the file's name."""
        source = (attributes.get("src") or "").strip()
        alt = (attributes.get("alt") or "").strip()
        name = ""
        if source.lower().startswith("cid:"):
            content_id = source[4:].strip("<>")
            name = self.image_names.get(content_id, "")
            if name:
                self.placed.add(content_id)
        elif not source.lower().startswith("data:"):
            name = source.rsplit("/", 1)[-1].split("?")[0]
        name = name or alt
        if name:
            self._emit(f"[image: {name[:200]}]")


def html_to_text(
    html: str, *, image_names: Mapping[str, str] | None = None, placed: set[str] | None = None
) -> str:
    """Readable text of an HTML document or fragment; broken markup is tolerated, never raises.
    ``image_names`` maps Content-IDs to attached file names; the IDs shown are added to ``placed``."""
    collector = _TextCollector(image_names or {}, placed if placed is not None else set())
    try:
        collector.feed(html)
        collector.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    text = "".join(collector.parts).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(line if line.strip(" >") else line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
