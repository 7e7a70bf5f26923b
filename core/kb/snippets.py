"""Snippets with highlights, cut from the original text (the index holds stems, the reader wants words).

A word is highlighted when its stem is one of the query's stems or, for a ``word*`` term, when the word or
its stem begins with the typed prefix; words only in the excluded (``NOT``) part are never highlighted.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hotline.core.kb.query import Term
from hotline.core.kb.text import WORD_TAIL, normalise_word, stem

SNIPPET_CHARS = 180
CONTEXT_CHARS = 40  # shown before the first match of a snippet
SNIPPET_SCAN_CHARS = 20_000  # a snippet comes from the first this-many characters of a long article
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


Cleaner = Callable[[str], str]


def _candidate_pattern(forms: list[str]) -> re.Pattern[str] | None:
    """Words beginning as a stem or prefix begins (two letters): every word that can match, and few more.

    A stem begins as its word does (in lower case, with ё as е), so this finds every match by its start.
    """
    starts = sorted({form[:2] for form in forms if form})
    if not starts:
        return None
    alternatives = "|".join(
        "".join("[её]" if char == "е" else re.escape(char) for char in start) for start in starts
    )
    return re.compile(rf"(?<![^\W_])(?:{alternatives}){WORD_TAIL}", re.IGNORECASE)


class Matcher:
    """Decides which words of a text a query's positive terms point at."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.stems = {term.stem for term in terms if not term.prefix}
        self.prefixes = tuple(term.word for term in terms if term.prefix)
        self._memo: dict[str, str | None] = {}
        self._raw_memo: dict[str, str | None] = {}  # the same, by the word as written
        self._candidates = _candidate_pattern([*self.stems, *self.prefixes])

    def key(self, normal: str) -> str | None:
        """Which term the normalised word matches (so distinct terms can be counted), or ``None``."""
        try:
            return self._memo[normal]
        except KeyError:
            pass
        word_stem = stem(normal)
        found: str | None = word_stem if word_stem in self.stems else None
        if found is None:
            for prefix in self.prefixes:
                if normal.startswith(prefix) or word_stem.startswith(prefix):
                    found = "*" + prefix
                    break
        self._memo[normal] = found
        return found

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, term)`` of every word of ``text`` that matches."""
        if self._candidates is None:
            return []
        found: list[tuple[int, int, str]] = []
        memo = self._raw_memo
        for match in self._candidates.finditer(text):
            word = match.group()
            try:
                key = memo[word]
            except KeyError:
                key = memo[word] = self.key(normalise_word(word))
            if key is not None:
                found.append((match.start(), match.end(), key))
        return found


def highlight(text: str, matcher: Matcher) -> Highlighted:
    """The whole of ``text`` on one line with every matching word highlighted (titles)."""
    spans = [(start, end) for start, end, _key in matcher.find(text)]
    one_line, moved = _one_line_spans(text, spans)
    return Highlighted(one_line, tuple(moved))


def snippet(
    text: str, matcher: Matcher, *, size: int = SNIPPET_CHARS, clean: Cleaner | None = None
) -> Highlighted:
    """About ``size`` characters of ``text`` around the densest cluster of matches, the matches highlighted.

    Only words that may match are looked at (a regular expression on their first letters finds them), so
    a long article costs little. ``clean`` (e.g. Markdown to plain text) is applied to the chosen window.
    """
    text = text[:SNIPPET_SCAN_CHARS]
    found = matcher.find(text)
    start, end = _best_window(text, found, size)
    window = text[start:end]
    if clean is not None:
        window = clean(window)
    spans = [(s, e) for s, e, _key in matcher.find(window)]
    one_line, shifted = _one_line_spans(window, spans)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    offset = len(prefix)
    return Highlighted(prefix + one_line + suffix, tuple((s + offset, e + offset) for s, e in shifted))


def _best_window(text: str, found: list[tuple[int, int, str]], size: int) -> tuple[int, int]:
    """Character range of about ``size`` holding the most distinct matched terms (then the most matches)."""
    if len(text) <= size:
        return 0, len(text)
    context = min(CONTEXT_CHARS, size // 4)
    best_first, best_score = 0, (0, 0)
    counts: Counter[str] = Counter()
    last = 0
    for first in range(len(found)):
        while last < len(found) and found[last][1] - found[first][0] <= size - context:
            counts[found[last][2]] += 1
            last += 1
        score = (len(counts), last - first)
        if score > best_score:
            best_first, best_score = first, score
        key = found[first][2]
        counts[key] -= 1
        if not counts[key]:
            del counts[key]
    start = max(0, found[best_first][0] - context) if found else 0
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.find(" ", end)
        end = space if 0 <= space - end < 30 else end
    return start, end


_GAP_CHARS = r"\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\uf8ff"
_NOT_SINGLE_SPACE_RE = re.compile(f"(?! )[{_GAP_CHARS}]|  ")
"""A gap that is more than one plain space: only such text needs the gaps collapsed one by one."""
_COLLAPSED_GAP_RE = re.compile(f"^[{_GAP_CHARS}]+|[{_GAP_CHARS}]{{2,}}|(?! )[{_GAP_CHARS}]")
"""The gaps that change: any at the start, runs, and single gap characters other than a space (a single
space between words stays inside a kept piece, so the loop below runs once per changed gap, not per word)."""


def _one_line_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Collapse whitespace and control characters to single spaces, moving the spans (on words) along."""
    if _NOT_SINGLE_SPACE_RE.search(text) is None:
        # Words apart by single spaces already (most titles and snippets): only the ends can change.
        shift = 1 if text.startswith(" ") else 0
        return text.strip(" "), [(start - shift, end - shift) for start, end in spans]
    pieces: list[str] = []
    origins: list[int] = []  # where each kept piece starts in ``text``
    targets: list[int] = []  # ... and in the result
    cursor = length = 0
    for gap in _COLLAPSED_GAP_RE.finditer(text):
        if gap.start() > cursor:
            origins.append(cursor)
            targets.append(length)
            pieces += [text[cursor : gap.start()], " "]
            length += gap.start() - cursor + 1
        cursor = gap.end()
    if cursor < len(text):
        origins.append(cursor)
        targets.append(length)
        pieces.append(text[cursor:])
    result = "".join(pieces).rstrip(" ")

    def moved(position: int) -> int:
        index = bisect_right(origins, position) - 1
        return targets[index] + position - origins[index]

    return result, [(moved(start), moved(end - 1) + 1) for start, end in spans]
