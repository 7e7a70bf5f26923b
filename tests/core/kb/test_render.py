"""Rendering queries for FTS5 and tsquery: everything quoted, and every query the parser makes is valid."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core.kb.query import Phrase, Term, parse
from hotline.core.kb.render import IndexedDocument, fts5_quote, pg_quote, to_fts5, to_tsquery


def test_terms_are_stems() -> None:
    tree = parse("принтеры").tree
    assert tree is not None
    assert to_fts5(tree) == '"принтер"'
    assert to_tsquery(tree) == "'принтер'"


def test_boolean_structure_is_kept() -> None:
    tree = parse('(printer OR "paper jam") NOT scanner').tree
    assert tree is not None
    assert to_fts5(tree) == ('((("printer" OR "paper jam")) NOT ("scanner"))')
    assert to_tsquery(tree) == "(('printer' | ('paper' <-> 'jam')) & !'scanner')"


def test_a_prefix_matches_stems_and_typed_words() -> None:
    tree = parse("printi*").tree
    assert tree is not None
    assert to_fts5(tree) == '("printi"* OR "ꙮprinti"*)'
    assert to_tsquery(tree) == "('printi':* | '=printi':*)"


def test_quotes_are_escaped_even_if_a_term_ever_held_one() -> None:
    assert fts5_quote('a"b') == '"a""b"'
    assert pg_quote("a'b\\") == "'a''b\\\\'"
    odd = Phrase((Term('x"y', 'x"y'), Term("z'", "z'")))
    assert to_fts5(odd) == '"x""y z\'"'
    assert to_tsquery(odd) == "('x\"y' <-> 'z''')"


def test_tsvector_fields_are_weighted_and_kept_apart() -> None:
    document = IndexedDocument.build(title="Printers", tags=["hardware"], body_text="Printing works")
    assert document.title == "printer"
    assert document.words == "printers hardware printing works"
    assert document.fts5_words() == "ꙮprinters ꙮhardware ꙮprinting ꙮworks"
    # title at 1 (A), a gap, tags at 4 (B), body at 7.. (C), typed words after (D).
    assert document.tsvector_literal() == (
        "'printer':1A 'hardwar':4B 'print':7C 'work':8C "
        "'=printers':11D '=hardware':12D '=printing':13D '=works':14D"
    )


def test_tsvector_positions_stay_within_postgresql_limits() -> None:
    document = IndexedDocument.build(title="t", tags=[], body_text="word " * 20_000)
    literal = document.tsvector_literal()
    positions = literal.split("'word':")[1].split(" ")[0].split(",")
    assert len(positions) == 256
    assert all(int(p.rstrip("ABCD")) <= 16383 for p in positions)


def _fts5_table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE f USING fts5(title, tags, body, words)")
    connection.execute("INSERT INTO f VALUES ('a', 'b', 'a b', 'a b')")
    return connection


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*'ab "()*-:^{}+', " AND ", " OR ", " NOT ", "NEAR(", "🙂", "я", "'", "\\"]),
        max_size=40,
    )
)
def test_every_parsed_query_is_valid_fts5(pieces: list[str]) -> None:
    parsed = parse("".join(pieces))
    if parsed.tree is not None:
        with _fts5_table() as connection:
            connection.execute("SELECT rowid FROM f WHERE f MATCH ?", (to_fts5(parsed.tree),)).fetchall()
