"""How one typed word matches the word index: its options (column, value, prefix or whole) as SQL
range conditions, as full-text terms (FTS5 / tsquery), and the quality level of the best match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotline.core.search.schema import PREFIX_LEXEMES, PREFIX_MARK

LEVEL_EXACT = 1.0
LEVEL_PREFIX = 0.8
LEVEL_TRANSLIT = 0.7
LEVEL_TRANSLIT_PREFIX = 0.6
LEVEL_TYPO = 0.45
LEVEL_EDIT_TYPO = 0.44
LEVEL_KEY_TYPO = 0.43
ORGANISATION_FACTOR = 0.95


@dataclass(frozen=True)
class WordOption:
    """One way a typed word may match: a column (``word`` or ``wkey``), a value, prefix or exact."""

    column: str
    value: str
    prefix: bool
    level: float


def option_sql(alias: str, options: list[WordOption], *, tag: str = "o") -> tuple[str, dict[str, Any]]:
    """A WHERE condition (ORed options on table ``alias``) and its bound parameters, named by ``tag``."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    for number, option in enumerate(options):
        name = f"{tag}_{number}"
        column = f"{alias}.{option.column}"
        if option.prefix:
            parts.append(f"({column} >= :{name}_lo AND {column} < :{name}_hi)")
            params[f"{name}_lo"] = option.value
            params[f"{name}_hi"] = after_prefix(option.value)
        else:
            parts.append(f"{column} = :{name}_eq")
            params[f"{name}_eq"] = option.value
    return " OR ".join(parts), params


def whole(option: WordOption) -> WordOption:
    """The same option matching whole words only."""
    return WordOption(option.column, option.value, prefix=False, level=option.level)


def fts_term(option: WordOption) -> str:
    """An FTS5 phrase for one option (values are folded letters and digits only; quotes doubled anyway)."""
    value = option.value.replace('"', '""')
    return f'"{value}"' + ("*" if option.prefix else "")


def ts_term(option: WordOption) -> str:
    """A tsquery lexeme for one option (quoted, so no operator in a value is ever read as one): a prefix
    of 3 to 16 letters is the exact prefix lexeme ``search_doc_prefixed`` indexes (``'горд~'``), a longer
    one a prefix match."""
    value = option.value.replace("\\", "\\\\").replace("'", "''")
    if not option.prefix:
        return f"'{value}'"
    shortest, longest = PREFIX_LEXEMES
    if shortest <= len(option.value) <= longest:
        return f"'{value}{PREFIX_MARK}'"
    return f"'{value}':*"


class WordMatch:
    """One typed word's options, compiled once to score many clients' word rows (``best``): exact
    values in a dictionary per column, the few prefixes in a list (a typo pass has up to 40 exact
    corrections and 60 candidates: compiling them per client was most of the scoring's time)."""

    __slots__ = ("exact", "prefixes", "typed")

    def __init__(self, options: list[WordOption]) -> None:
        self.typed = next((option.value for option in options if option.column == "word"), "")
        # column -> value -> (level, -index, typo): the best option for that value, the first of equals
        self.exact: dict[bool, dict[str, tuple[float, int, bool]]] = {True: {}, False: {}}
        self.prefixes: list[tuple[bool, str, float, int, bool]] = []
        for index, option in enumerate(options):
            on_word = option.column == "word"
            typo = option.level <= LEVEL_TYPO
            known = self.exact[on_word].get(option.value)
            if known is None or (option.level, -index) > known[:2]:
                self.exact[on_word][option.value] = (option.level, -index, typo)
            if option.prefix:
                prefix_level = LEVEL_PREFIX if on_word else LEVEL_TRANSLIT_PREFIX
                self.prefixes.append((on_word, option.value, prefix_level, -index, typo))

    def best(self, rows: list[tuple[str, str, str]]) -> tuple[float, str]:
        """The best match level of the word among a client's word rows, and a label saying which word
        matched and how (``name: иванов (translit)``). Of equal levels the first row wins, and in a row
        the first option."""
        best, label = 0.0, ""
        for field_code, word, wkey in rows:
            found: tuple[float, int, bool, bool] | None = None  # level, -index, typo, on the word?
            for on_word, value in ((True, word), (False, wkey)):
                hit = self.exact[on_word].get(value)
                if hit is not None and (found is None or hit[:2] > found[:2]):
                    found = (hit[0], hit[1], hit[2], on_word)
            for on_word, wanted, level, rank, typo in self.prefixes:
                value = word if on_word else wkey
                if (
                    value != wanted
                    and value.startswith(wanted)
                    and (found is None or (level, rank) > found[:2])
                ):
                    found = (level, rank, typo, on_word)
            if found is None:
                continue
            organisation = field_code == "o"
            level = found[0] * (ORGANISATION_FACTOR if organisation else 1.0)
            if level > best:
                best = level
                if found[2]:
                    kind = " (typo)"
                elif not found[3] and not (self.typed and word.startswith(self.typed)):
                    kind = " (translit)"
                else:
                    kind = ""
                label = f"{'organisation' if organisation else 'name'}: {word}{kind}"
        return best, label


def after_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code-point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
