"""Knowledge-base Markdown files: the front matter (title, tags, audience) and the body as plain text.

The front matter is the YAML subset people write by hand between two ``---`` lines::

    ---
    title: "Printer does not print"
    tags: [printer, hardware]      # or one "- tag" per line below "tags:"
    audience: internal             # internal | public (may be sent to clients)
    slug: printer-not-printing     # optional; otherwise the file's path
    ---

Anything else between the lines is kept in ``extra``, but for a key that looks like a misspelt known one
(``audeince``). A mistake names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from hotline.core.errors import InvalidInput
from hotline.core.text import MAX_TAG, checked_text

FENCE = "---"
KNOWN_KEYS = ("title", "tags", "audience", "slug")
MAX_SLUG_CHARS = 300
_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_LIST_ITEM_RE = re.compile(r"^\s+-\s*(.*)$|^-\s+(.*)$")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class Audience(StrEnum):
    """Who may read an article: operators only, or clients too (it may be sent in a reply)."""

    INTERNAL = "internal"
    PUBLIC = "public"


AUDIENCE_ALIASES = {"internal": Audience.INTERNAL, "public": Audience.PUBLIC, "clients": Audience.PUBLIC}


@dataclass(slots=True)
class ArticleSource:
    """An article as read from a Markdown file."""

    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    audience: Audience = Audience.INTERNAL
    slug: str | None = None
    extra: dict[str, str | list[str]] = field(default_factory=dict)


def parse_article(text: str, *, source: str = "<text>", fallback_title: str | None = None) -> ArticleSource:
    """Split front matter from body; the title falls back to the first heading, then ``fallback_title``."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    meta: dict[str, tuple[int, str | list[str]]] = {}
    body_start = 0
    if lines and lines[0].strip() == FENCE:
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() in (FENCE, "...")), None)
        if closing is None:
            raise InvalidInput("front matter opened with '---' is never closed", where=f"{source}:1")
        meta = _parse_meta(lines[1:closing], source=source, first_line=2)
        body_start = closing + 1
    body = "\n".join(lines[body_start:]).strip("\n")
    values = {key: value for key, (_line, value) in meta.items()}
    title = _scalar(meta, "title", source) or _first_heading(body) or fallback_title
    if not title:
        raise InvalidInput("no title: add 'title:' to the front matter or a '# heading'", where=f"{source}:1")
    title_line = meta["title"][0] if "title" in meta else 1
    checked_text(title.strip(), what="a title", at_most=500, where=f"{source}:{title_line}: title")
    if not any(char.isprintable() and not char.isspace() for char in title):
        # 'title: "  "' or a zero-width space was stored: an article listed with a blank title
        raise InvalidInput(
            "a title with nothing visible in it: give words or leave the line out",
            where=f"{source}:{title_line}: title",
        )
    tags = _tags(meta, source)
    audience = _audience(meta, source)
    slug = _scalar(meta, "slug", source)
    if slug is not None:  # stored and shown as written: an escape or a newline in it was kept
        where = f"{source}:{meta['slug'][0]}: slug"
        slug = checked_text(slug.strip(), what="a slug", at_most=MAX_SLUG_CHARS, where=where)
        if not slug:  # slug: " " was refused later naming no file ("slug: an article needs a slug")
            raise InvalidInput(
                "a blank slug: give one or leave the line out (the file's path is used)", where=where
            )
    extra = {key: value for key, value in values.items() if key not in KNOWN_KEYS}
    for key in extra:
        # A misspelt key was kept as an extra one and its value ignored: "audeince: public" left the
        # article internal, "tgas:" left it untagged, without a word.
        meant = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.75)
        if meant:
            raise InvalidInput(
                f"unknown key {key!r}: is it {meant[0]!r}?", where=f"{source}:{meta[key][0]}: {key}"
            )
    return ArticleSource(title=title.strip(), body=body, tags=tags, audience=audience, slug=slug, extra=extra)


def _parse_meta(lines: list[str], *, source: str, first_line: int) -> dict[str, tuple[int, str | list[str]]]:
    meta: dict[str, tuple[int, str | list[str]]] = {}
    current_list: list[str] | None = None
    for offset, line in enumerate(lines):
        number = first_line + offset
        stripped = _strip_comment(line).rstrip()
        if not stripped.strip():
            continue
        item = _LIST_ITEM_RE.match(stripped)
        if item and current_list is not None:
            current_list.append(_unquote(item.group(1) or item.group(2) or "", f"{source}:{number}"))
            continue
        match = _KEY_RE.match(stripped)
        if not match:
            raise InvalidInput(
                f"cannot read this front-matter line: {line.strip()[:60]!r}", where=f"{source}:{number}"
            )
        key, raw = match.group(1).lower(), match.group(2).strip()
        where = f"{source}:{number}: {key}"
        if key in meta:  # the last one silently won: "audience: public" undone by a later line
            raise InvalidInput(f"given twice (first on line {meta[key][0]})", where=where)
        if not raw:
            current_list = []
            meta[key] = (number, current_list)
        elif raw.startswith("["):
            current_list = None
            meta[key] = (number, _flow_list(raw, where))
        else:
            current_list = None
            meta[key] = (number, _unquote(raw, where))
    return meta


def _strip_comment(line: str) -> str:
    """Drop a ``# comment`` that is outside quotes."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def _unquote(raw: str, where: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        inner = raw[1:-1]
        return inner.replace("''", "'") if raw[0] == "'" else inner.replace('\\"', '"')
    if raw[:1] in "'\"":
        raise InvalidInput(f"unclosed quote in {raw[:60]!r}", where=where)
    return raw


def _flow_list(raw: str, where: str) -> list[str]:
    if not raw.endswith("]"):
        raise InvalidInput(f"a list opened with '[' is not closed: {raw[:60]!r}", where=where)
    inner = raw[1:-1]
    items: list[str] = []
    current, quote = "", None
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current += char
        elif char == ",":
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [value for item in items if (value := _unquote(item, where))]


def _scalar(meta: dict[str, tuple[int, str | list[str]]], key: str, source: str) -> str | None:
    if key not in meta:
        return None
    number, value = meta[key]
    if isinstance(value, list):
        raise InvalidInput("expected one value, not a list", where=f"{source}:{number}: {key}")
    return value or None


def _tags(meta: dict[str, tuple[int, str | list[str]]], source: str) -> list[str]:
    if "tags" not in meta:
        return []
    number, value = meta["tags"]
    items = value if isinstance(value, list) else value.split(",")
    tags = list(dict.fromkeys(tag.strip() for tag in items if tag.strip()))
    for tag in tags:  # as a client's or a ticket's: an escape sequence or a paragraph was stored as a tag
        checked_text(tag, what="a tag", at_most=MAX_TAG, where=f"{source}:{number}: tags")
        if not any(char.isprintable() and not char.isspace() for char in tag):  # a zero-width space
            raise InvalidInput("a tag with nothing visible in it", where=f"{source}:{number}: tags")
    return tags


def _audience(meta: dict[str, tuple[int, str | list[str]]], source: str) -> Audience:
    value = _scalar(meta, "audience", source)
    if value is None:
        return Audience.INTERNAL
    try:
        return AUDIENCE_ALIASES[value.strip().lower()]
    except KeyError:
        number = meta["audience"][0]
        raise InvalidInput(
            f"audience must be 'internal' or 'public', not {value[:40]!r}",
            where=f"{source}:{number}: audience",
        ) from None


def _first_heading(body: str) -> str | None:
    match = _HEADING_RE.search(body)
    return match.group(1) if match else None


_FENCE_LINE_RE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK_RE = re.compile(r"<(https?://[^>\s]+)>")
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")
_LINE_MARK_RE = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.MULTILINE)
_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|`|~~)")
_RULE_RE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """The readable words of a Markdown body, for indexing and snippets (links keep their text)."""
    text = _FENCE_LINE_RE.sub("", markdown)
    text = _RULE_RE.sub("", text)
    text = _IMAGE_RE.sub(r"\1", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub("", text)
    text = _LINE_MARK_RE.sub("", text)
    text = _EMPHASIS_RE.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()
