"""Transliteration between Cyrillic and Latin, and the spelling-blind key that lookup matches on.

Operators hear a name and type it in whatever alphabet they have, spelled however they think it is
spelled: ``Хабаров`` may arrive as ``khabarov``, ``habarov`` or ``xabarov``; ``Smith`` as ``Смит``.
``skeleton`` maps a word of either alphabet to a coarse Latin key in which those spellings coincide
(``kh``/``h``/``x``→``h``, ``ya``/``ia``→``ia``, ``shch``/``sch``/``sh``→``S``, ``th``→``t``, doubled letters
once...). The index stores one key per word; a query word may have a few (``query_skeletons``) where a
letter is truly ambiguous (``x`` is ``ks`` or ``h``). ``to_cyrillic``/``to_latin`` give readable spellings.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from hotline.core.search.text import fold

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}  # fmt: skip

_LAT_TO_CYR: list[tuple[str, tuple[str, ...]]] = [
    ("shch", ("щ",)), ("sch", ("щ", "ш")), ("zh", ("ж",)), ("kh", ("х",)), ("ch", ("ч",)), ("sh", ("ш",)),
    ("ts", ("ц", "тс")), ("tz", ("ц",)), ("ya", ("я",)), ("ia", ("ия", "я", "иа")), ("ja", ("я",)),
    ("yu", ("ю",)), ("iu", ("ю",)), ("ju", ("ю",)), ("yo", ("е",)), ("jo", ("е",)), ("ye", ("е",)),
    ("ck", ("к",)), ("th", ("т",)), ("ph", ("ф",)), ("ee", ("и",)), ("oo", ("у",)),
    ("a", ("а",)), ("b", ("б",)), ("c", ("к", "ц")), ("d", ("д",)), ("e", ("е", "э")), ("f", ("ф",)),
    ("g", ("г",)), ("h", ("х",)), ("i", ("и", "й")), ("j", ("дж", "й")), ("k", ("к",)), ("l", ("л",)),
    ("m", ("м",)), ("n", ("н",)), ("o", ("о",)), ("p", ("п",)), ("q", ("к",)), ("r", ("р",)),
    ("s", ("с",)), ("t", ("т",)), ("u", ("у",)), ("v", ("в",)), ("w", ("в", "у")), ("x", ("кс", "х")),
    ("y", ("ы", "й", "и")), ("z", ("з",)),
]  # fmt: skip

# Latin spelling → key symbols; longest first. Upper-case letters are key symbols no plain letter maps to.
_LATIN_KEY_RULES: list[tuple[str, str]] = [
    ("shch", "S"), ("sch", "S"), ("dzh", "J"), ("zh", "Z"), ("kh", "h"), ("ch", "C"), ("sh", "S"),
    ("ts", "c"), ("tz", "c"), ("th", "t"), ("hn", "n"), ("ph", "f"), ("ck", "k"),
    ("gh", "g"), ("ee", "i"), ("oo", "u"),
    ("c", "k"), ("q", "k"), ("w", "v"), ("y", "i"), ("j", "J"), ("x", "ks"),
]  # fmt: skip
_AMBIGUOUS_LATIN: dict[str, tuple[str, ...]] = {
    "x": ("ks", "h"),
    "j": ("J", "i"),
    "c": ("k", "c"),
    "w": ("v", "u"),
}
# After the letters are keys: sequences that spell one sound differently in the two traditions.
_KEY_MERGES: list[tuple[str, str]] = [("io", "e"), ("ie", "e"), ("ei", "e"), ("ks", "ks")]

_VOWELS = frozenset("aeiou")
MAX_VARIANTS = 8
"""How many spellings a query word may expand to; beyond this the rarest choices are dropped."""


def to_latin(word: str) -> str:
    """The usual passport-style Latin spelling of a (folded) Cyrillic word; Latin letters pass through."""
    return "".join(_CYR_TO_LAT.get(char, char) for char in fold(word))


def to_cyrillic_variants(word: str, *, limit: int = MAX_VARIANTS) -> list[str]:
    """Plausible Cyrillic spellings of a Latin word, the most likely first (``ivanov`` → ``иванов``...)."""
    pieces = _split_latin(fold(word))
    choices = [options for _, options in pieces]
    out: list[str] = []
    for combo in itertools.islice(_ordered_product(choices), limit * 4):
        spelled = "".join(combo)
        if spelled not in out:
            out.append(spelled)
        if len(out) >= limit:
            break
    return out


def to_cyrillic(word: str) -> str:
    """The most likely Cyrillic spelling of a Latin word."""
    variants = to_cyrillic_variants(word, limit=1)
    return variants[0] if variants else ""


def skeleton(word: str) -> str:
    """The spelling-blind key of one word in either alphabet (what the index stores)."""
    return _finish(_latin_keys(to_latin(word), ambiguous=False)[0])


@lru_cache(maxsize=4096)
def query_skeletons(word: str) -> tuple[str, ...]:
    """The keys a typed word may stand for (a few, when a Latin letter like ``x`` is ambiguous). Kept for
    the words typed lately: every keystroke asks again for the words before the last, in every pass."""
    keys = [_finish(key) for key in _latin_keys(to_latin(word), ambiguous=True)]
    return tuple(dict.fromkeys(keys))[:MAX_VARIANTS]


def _latin_keys(latin: str, *, ambiguous: bool) -> list[str]:
    """Apply the Latin spelling rules; with ``ambiguous``, branch on letters that have two readings."""
    results = [""]
    position = 0
    if ambiguous and latin[:1] == "y" and latin[1:2] in _VOWELS:
        # A word's first ``ю``/``я``/``е`` (``yu``/``ya``/``ye``) also stands for an English ``J``: ``Юлия``
        # is how ``Julia`` is written in Cyrillic, as ``julia`` already reads as ``Yulia`` the other way.
        results = ["i", "J"]
        position = 1
    while position < len(latin):
        for spelling, symbol in _LATIN_KEY_RULES:
            if latin.startswith(spelling, position):
                options: tuple[str, ...] = (symbol,)
                if ambiguous and spelling in _AMBIGUOUS_LATIN:
                    options = _AMBIGUOUS_LATIN[spelling]
                position += len(spelling)
                break
        else:
            options = (latin[position],)
            position += 1
        results = [prefix + option for prefix in results for option in options][:MAX_VARIANTS]
    return results


def _finish(key: str) -> str:
    """Merge vowel spellings and doubled letters, so the two traditions meet."""
    for spelling, symbol in _KEY_MERGES:
        key = key.replace(spelling, symbol)
    out: list[str] = []
    for char in key:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


def _split_latin(word: str) -> list[tuple[str, tuple[str, ...]]]:
    """Cut a Latin word into spellings, longest match first, each with its Cyrillic readings."""
    pieces: list[tuple[str, tuple[str, ...]]] = []
    position = 0
    while position < len(word):
        for spelling, options in _LAT_TO_CYR:
            if word.startswith(spelling, position):
                if (
                    spelling == "i"
                    and position == len(word) - 1
                    and position > 0
                    and word[position - 1] in "aeou"
                ):
                    options = ("й", "и")
                if spelling == "y" and position == len(word) - 1 and position > 0:
                    options = ("й", "ы") if word[position - 1] in "aeiou" else ("ий", "ый", "й", "ы")
                pieces.append((spelling, options))
                position += len(spelling)
                break
        else:
            pieces.append((word[position], (word[position],)))
            position += 1
    return pieces


def _ordered_product(choices: list[tuple[str, ...]]):
    """Combinations of choices in order of how many second choices they use (likeliest first)."""
    ambiguous = [index for index, options in enumerate(choices) if len(options) > 1]
    for changed in range(len(ambiguous) + 1):
        for positions in itertools.combinations(ambiguous, changed):
            alternatives = [choices[index][1:] for index in positions]
            for picked in itertools.product(*alternatives):
                combo = [options[0] for options in choices]
                for index, option in zip(positions, picked, strict=True):
                    combo[index] = option
                yield combo
