"""Readable plain text from HTML mail: no tags, no scripts or styles, links kept as ``text (url)``."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd", "address",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _TextCollector(HTMLParser):
    """Collects text, turning block elements into line breaks and links into ``text (href)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag == "pre":
            self.pre_depth += 1
        if tag == "blockquote":
            self.quote_depth += 1
        if tag in _BLOCK:
            self._newline()
        if tag == "li":
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append(((attributes.get("href") or "").strip(), len(self.parts)))
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and not href.lower().startswith(("javascript:", "#")):
                shown = href[7:] if href.lower().startswith("mailto:") else href
                if shown not in label:
                    self.parts.append(f" ({shown})" if label else shown)
        if tag in _BLOCK and tag != "br":
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
        if self.quote_depth and (not self.parts or self.parts[-1].endswith("\n")):
            data = "> " * self.quote_depth + data.lstrip()
        self.parts.append(data)

    def _newline(self) -> None:
        self.parts.append("\n")
        if self.quote_depth:
            self.parts.append("> " * self.quote_depth)


def html_to_text(html: str) -> str:
    """Readable text of an HTML document or fragment; broken markup is tolerated, never raises."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    text = "".join(collector.parts).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [re.sub(r"(?<=\S) {2,}", " ", line) for line in lines]
    text = "\n".join(line if line.strip(" >") else line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
