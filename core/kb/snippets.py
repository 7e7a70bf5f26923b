"""Snippets with highlights, cut from the original text (the index holds stems, the reader wants words).

A word is highlighted when its stem is one of the query's stems or, for a ``word*`` term, when the word or
its stem begins with the typed prefix; words only in the excluded (``NOT``) part are never highlighted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hotline.core.kb.query import Term
from hotline.core.kb.text import Word, words

SNIPPET_WORDS = 24
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Highlighted:
    """A piece of text and the ``(start, end)`` character ranges to highlight in it."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The text with each highlight wrapped in ``before``/``after`` (for plain output)."""
        pieces: list[str] = []
        cursor = 0
        for start, end in self.spans:
            pieces += [self.text[cursor:start], before, self.text[start:end], after]
            cursor = end
        pieces.append(self.text[cursor:])
        return "".join(pieces)


class Matcher:
    """Decides which words of a text a query's positive terms point at."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.stems = {term.stem for term in terms if not term.prefix}
        self.prefixes = tuple(term.word for term in terms if term.prefix)

    def key(self, word: Word) -> str | None:
        """Which term ``word`` matches (so distinct terms can be counted), or ``None``."""
        if word.stem in self.stems:
            return word.stem
        for prefix in self.prefixes:
            if word.normal.startswith(prefix) or word.stem.startswith(prefix):
                return "*" + prefix
        return None


def highlight(text: str, matcher: Matcher) -> Highlighted:
    """The whole of ``text`` on one line with every matching word highlighted (titles)."""
    spans = [(word.start, word.end) for word in words(text) if matcher.key(word) is not None]
    one_line, moved = _one_line_spans(text, spans)
    return Highlighted(one_line, tuple(moved))


def snippet(text: str, matcher: Matcher, *, size: int = SNIPPET_WORDS) -> Highlighted:
    """About ``size`` words of ``text`` around the densest cluster of matches, the matches highlighted."""
    found = words(text)
    if not found:
        return Highlighted(_one_line(text[:200]))
    keys = [matcher.key(word) for word in found]
    best_start = _best_window(keys, size)
    window = found[best_start : best_start + size]
    start_char = window[0].start if best_start > 0 else 0
    end_char = window[-1].end if best_start + size < len(found) else len(text)
    prefix = ELLIPSIS if best_start > 0 else ""
    suffix = ELLIPSIS if best_start + size < len(found) else ""
    raw = text[start_char:end_char]
    spans: list[tuple[int, int]] = []
    for word, key in zip(window, keys[best_start : best_start + size], strict=False):
        if key is not None:
            spans.append((word.start - start_char, word.end - start_char))
    one_line, shifted = _one_line_spans(raw, spans)
    offset = len(prefix)
    return Highlighted(prefix + one_line + suffix, tuple((s + offset, e + offset) for s, e in shifted))


def _best_window(keys: list[str | None], size: int) -> int:
    """Start of the window with the most distinct matched terms, then the most matches, earliest first."""
    if len(keys) <= size:
        return 0
    counts: Counter[str] = Counter(key for key in keys[:size] if key is not None)
    best, best_score = 0, (len(counts), sum(counts.values()))
    for start in range(1, len(keys) - size + 1):
        leaving, entering = keys[start - 1], keys[start + size - 1]
        if leaving is not None:
            counts[leaving] -= 1
            if not counts[leaving]:
                del counts[leaving]
        if entering is not None:
            counts[entering] += 1
        score = (len(counts), sum(counts.values()))
        if keys[start] is not None and score > best_score:
            best, best_score = start, score
    # Show a little context before the first match when there is room.
    return max(0, best - 3)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _one_line_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Collapse whitespace and control characters to single spaces, moving the spans along."""
    out: list[str] = []
    mapping: list[int] = []
    previous_space = True
    for char in text:
        if char.isspace() or not char.isprintable():
            if previous_space:
                mapping.append(len(out))
                continue
            out.append(" ")
            previous_space = True
        else:
            out.append(char)
            previous_space = False
        mapping.append(len(out) - 1)
    mapping.append(len(out))
    while out and out[-1] == " ":
        out.pop()
    moved = [(mapping[start], mapping[end - 1] + 1) for start, end in spans]
    return "".join(out), moved
