"""Render a parsed query for each backend, and the indexed document it runs against.

Both backends index the same thing, built here: the stems of the title, the tags and the body (each its own
field, so a title hit ranks higher and no phrase runs from one field into the next) and the words as typed,
lower-cased, for prefix searches (``printi*`` must find ``printing`` whose stem is ``print``).

- SQLite: an FTS5 table with the columns ``title tags body words``, the typed words marked ``ꙮword`` (a
  letter no text uses), so a stem never meets a typed word and no query needs a column filter (which
  would make FTS5 read every position list); a term is ``"stem"``, a prefix ``("word"* OR "ꙮword"*)``.
- PostgreSQL: a tsvector written literally (no parser in between): stems weighted A (title), B (tags),
  C (body), and the typed words as ``=word`` lexemes weighted D; a term is ``'stem'``.

Every term is quoted and escaped, so no user text ever reaches either query language as syntax.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hotline.core.kb.query import AllOf, AnyOf, Node, Phrase, Term
from hotline.core.kb.text import normal_words, stem

FTS5_WORD_MARK = "\ua66e"  # ꙮ, a letter to unicode61: typed words in FTS5, so they never meet a stem
WORD_MARK = "="  # typed words in the tsvector, likewise
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS_PER_LEXEME = 256
PG_MAX_TSVECTOR_BYTES = 1_048_575  # a tsvector's lexemes and positions together (PostgreSQL's MAXSTRPOS)
FIELD_GAP = 2  # positions left empty between fields: no phrase spans two of them


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """An article as the indexes see it: stemmed fields and the typed words."""

    title: str
    tags: str
    body: str
    words: str

    @classmethod
    def build(cls, *, title: str, tags: Sequence[str], body_text: str) -> IndexedDocument:
        """Stem the fields; ``body_text`` is the article's body as plain text (Markdown removed)."""
        title_words = normal_words(title)
        tag_words = [word for tag in tags for word in normal_words(tag)]
        body_words = normal_words(body_text)
        return cls(
            title=" ".join(stem(word) for word in title_words),
            tags=" ".join(stem(word) for word in tag_words),
            body=" ".join(stem(word) for word in body_words),
            words=" ".join([*title_words, *tag_words, *body_words]),
        )

    def tsvector_bytes(self) -> int:
        """What PostgreSQL counts against ``PG_MAX_TSVECTOR_BYTES`` in this document's tsvector: each
        lexeme's bytes (rounded up to even) and two bytes per position, plus two ("string is too long for
        tsvector" past it)."""
        return sum(
            (len(lexeme.encode()) + 1) // 2 * 2 + 2 * (len(slots) + 1)
            for lexeme, slots in self._positions().items()
        )

    def fts5_words(self) -> str:
        """The typed words as the FTS5 ``words`` column holds them (each marked)."""
        return " ".join(FTS5_WORD_MARK + word for word in self.words.split())

    def tsvector_literal(self) -> str:
        """The PostgreSQL ``tsvector`` input text: ``'lexeme':1A,7C ...``."""
        positions = self._positions()
        return " ".join(f"{pg_quote(lexeme)}:{','.join(slots)}" for lexeme, slots in positions.items())

    def _positions(self) -> dict[str, list[str]]:
        """Each lexeme's weighted positions, as the tsvector holds them."""
        positions: dict[str, list[str]] = defaultdict(list)
        position = 1
        fields = (
            (self.title.split(), "A", ""),
            (self.tags.split(), "B", ""),
            (self.body.split(), "C", ""),
            (self.words.split(), "D", WORD_MARK),
        )
        for lexemes, weight, mark in fields:
            for lexeme in lexemes:
                slots = positions[mark + lexeme]
                at = min(position, PG_MAX_POSITION)
                if len(slots) < PG_MAX_POSITIONS_PER_LEXEME and (not slots or at < PG_MAX_POSITION):
                    slots.append(f"{at}{weight}")
                position += 1
            position += FIELD_GAP
        return positions


def fts5_quote(word: str) -> str:
    """An FTS5 string: double quotes doubled."""
    return '"' + word.replace('"', '""') + '"'


def pg_quote(lexeme: str) -> str:
    """A quoted lexeme for tsvector/tsquery input: quotes doubled, backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def to_fts5(node: Node) -> str:
    """The FTS5 MATCH expression for a normalised query tree."""
    if isinstance(node, Term):
        if node.prefix:
            return f"({fts5_quote(node.word)}* OR {fts5_quote(FTS5_WORD_MARK + node.word)}*)"
        return fts5_quote(node.stem)
    if isinstance(node, Phrase):
        quoted = fts5_quote(" ".join(_phrase_words(node.terms)))
        return f"{quoted}{'*' if node.terms[-1].prefix else ''}"
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(to_fts5(option) for option in node.options) + ")"
    assert isinstance(node, AllOf)
    positive = "(" + " AND ".join(to_fts5(item) for item in node.must) + ")"
    if not node.must_not:
        return positive
    return f"({positive} NOT ({' OR '.join(to_fts5(item) for item in node.must_not)}))"


def to_tsquery(node: Node) -> str:
    """The PostgreSQL ``tsquery`` input text for a normalised query tree (cast, never re-parsed)."""
    if isinstance(node, Term):
        if node.prefix:
            return f"({pg_quote(node.word)}:* | {pg_quote(WORD_MARK + node.word)}:*)"
        return pg_quote(node.stem)
    if isinstance(node, Phrase):
        words = _phrase_words(node.terms)
        parts = [pg_quote(word) for word in words]
        if node.terms[-1].prefix:
            parts[-1] += ":*"
        return "(" + " <-> ".join(parts) + ")"
    if isinstance(node, AnyOf):
        return "(" + " | ".join(to_tsquery(option) for option in node.options) + ")"
    assert isinstance(node, AllOf)
    items = [to_tsquery(item) for item in node.must]
    items.extend(f"!{to_tsquery(item)}" for item in node.must_not)
    return "(" + " & ".join(items) + ")"


def to_rank_tsquery(node: Node) -> str:
    """Every positive term of the query, OR-ed: what ``ts_rank`` scores, like bm25 scores each term.

    (``ts_rank`` of the whole query would score ``&`` by proximity and count negated terms.)
    """
    parts: list[str] = []
    for term in dict.fromkeys(positive_terms(node)):
        parts.append(to_tsquery(term) if term.prefix else pg_quote(term.stem))
    return " | ".join(parts)


def positive_terms(node: Node) -> list[Term]:
    """The terms whose presence makes an article match, excluded ones left out."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Phrase):
        return list(node.terms)
    items = node.options if isinstance(node, AnyOf) else node.must
    return [term for item in items for term in positive_terms(item)]


def _phrase_words(terms: Iterable[Term]) -> list[str]:
    """Stems of a phrase's words; a prefix word stays as typed (a stem may be shorter than what was typed)."""
    return [term.word if term.prefix else term.stem for term in terms]
