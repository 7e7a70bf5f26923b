"""Words and stems: how knowledge-base text and queries are cut into words and reduced to stems.

FTS5 has no Russian stemmer, so both backends index a stemmed copy of the text made here, and query
terms are stemmed the same way: ``принтеры`` and ``принтер`` share the stem ``принтер``, ``printing``
and ``print`` share ``print``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import snowballstemmer

# Letters and digits (no underscore), with any combining marks that follow a letter and the invisible
# characters a pasted web page leaves inside words (soft hyphens, zero-width joiners and non-joiners, word
# joiners: they cut "Пере<SHY>загрузите" in two; a zero-width space is a break between words); every stem
# is made of letters and digits only, so SQLite's unicode61 tokenizer splits the stemmed text as we do.
WORD_TAIL = r"(?:[^\W_]|[\u0300-\u036f\u00ad\u200c\u200d\u2060\ufeff])*"
"""What may follow a word's first letter or digit in it (``snippets`` finds words by their start with it)."""
WORD_RE = re.compile(r"[^\W_]" + WORD_TAIL)
_LETTERS_RE = re.compile(r"[^\W_]+")
MAX_WORD_CHARS = 100  # longer "words" (hashes, base64) are cut alike in the index and in queries
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_LATIN_RE = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: where it is, its normal form (lower case) and its stem."""

    start: int
    end: int
    normal: str
    stem: str


@lru_cache(maxsize=262_144)
def normalise_word(word: str) -> str:
    """``normalise`` for one word, cached: the same words come up again and again."""
    return normalise(word)


def normalise(text: str) -> str:
    """NFC, lower case, ``ё`` as ``е``, letters and digits only: the form every word is compared in."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return "".join(_LETTERS_RE.findall(folded))[:MAX_WORD_CHARS]


STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "а",
        "без",
        "бы",
        "в",
        "во",
        "вот",
        "все",
        "вы",
        "да",
        "для",
        "до",
        "его",
        "ее",
        "если",
        "есть",
        "же",
        "за",
        "и",
        "из",
        "или",
        "им",
        "к",
        "как",
        "ко",
        "ли",
        "мне",
        "мы",
        "на",
        "не",
        "нет",
        "ни",
        "но",
        "о",
        "об",
        "от",
        "по",
        "при",
        "с",
        "со",
        "так",
        "там",
        "то",
        "тот",
        "у",
        "уже",
        "чем",
        "что",
        "чтобы",
        "это",
        "я",
    ]
)
"""Words too common to narrow a search: left out of a query that has other words (never from phrases)."""


@lru_cache(maxsize=1)
def _stemmers() -> tuple[snowballstemmer.stemmer, snowballstemmer.stemmer]:
    import snowballstemmer  # on first use: the settings import this module, most commands never stem

    return snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")


@lru_cache(maxsize=262_144)
def stem(normal_word: str) -> str:
    """The stem of a normalised word: Russian for Cyrillic, English for Latin, digits as they are."""
    russian, english = _stemmers()
    if _CYRILLIC_RE.search(normal_word):
        result = russian.stemWord(normal_word)
    elif _LATIN_RE.search(normal_word):
        result = english.stemWord(normal_word)
    else:
        return normal_word
    return result or normal_word


def words(text: str) -> list[Word]:
    """The words of ``text`` with their offsets in ``text`` (for highlighting) and stems (for matching)."""
    found: list[Word] = []
    for match in WORD_RE.finditer(text):
        normal = normalise_word(match.group())
        if normal:
            found.append(Word(match.start(), match.end(), normal, stem(normal)))
    return found


def normal_words(text: str) -> list[str]:
    """The normalised words of ``text``, in order."""
    return [normal for match in WORD_RE.finditer(text) if (normal := normalise_word(match.group()))]


def stems(text: str) -> list[str]:
    """The stems of the words of ``text``, in order."""
    return [stem(word) for word in normal_words(text)]
