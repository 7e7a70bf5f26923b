"""Typo correction against a vocabulary: symmetric-delete keys and a one-edit distance check.

A word of ``MIN_TYPO_LENGTH``+ letters with one wrong, missing, extra or swapped letter is still found.
The vocabulary stores, for each word, the word itself and every form with one letter deleted; a typed
word looks up its own deletes the same way, and every candidate sharing a key is within one edit
(transpositions included) or is dropped by ``within_one_edit``.

Four-letter words (Holt, Ward, Lowe) are corrected too: a short word has more one-edit neighbours
(``hold``, ``bolt``, ``holy``…), but corrections are only sought for a word that matches nothing as
typed, the other words of the query narrow them, and an empty answer where a one-edit reading matches
is worse. Among the corrections, a swap of two adjacent letters (the commonest slip) comes first.
"""

from __future__ import annotations

MIN_TYPO_LENGTH = 4
MAX_VOCABULARY_WORD = 40


def delete_keys(word: str) -> set[str]:
    """``word`` and every string made by deleting one of its letters."""
    keys = {word}
    for position in range(len(word)):
        keys.add(word[:position] + word[position + 1 :])
    return keys


def transpositions(word: str) -> set[str]:
    """Every string made by swapping two adjacent, different letters of ``word``."""
    return {
        word[:position] + word[position + 1] + word[position] + word[position + 2 :]
        for position in range(len(word) - 1)
        if word[position] != word[position + 1]
    }


def correctable(word: str) -> bool:
    """Whether a word is long enough to guess at (short words have too many one-edit neighbours)."""
    return MIN_TYPO_LENGTH <= len(word) <= MAX_VOCABULARY_WORD and word.isalpha()


def within_one_edit(typed: str, word: str) -> bool:
    """True when ``typed`` becomes ``word`` with at most one insert, delete, substitute or adjacent swap."""
    if typed == word:
        return True
    short, long_ = (typed, word) if len(typed) <= len(word) else (word, typed)
    if len(long_) - len(short) > 1:
        return False
    if len(short) == len(long_):
        diffs = [index for index, (a, b) in enumerate(zip(short, long_, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and short[diffs[0]] == long_[diffs[1]]
            and short[diffs[1]] == long_[diffs[0]]
        )
    return any(long_[:position] + long_[position + 1 :] == short for position in range(len(long_)))


def corrections(typed: str, candidates: dict[str, set[str]] | list[str]) -> list[str]:
    """The vocabulary words (from ``candidates``) within one edit of ``typed``, swaps first."""
    found = {word for word in candidates if word != typed and within_one_edit(typed, word)}
    return sorted(found, key=lambda word: (word not in transpositions(typed), word))
