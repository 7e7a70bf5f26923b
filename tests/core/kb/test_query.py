"""The query language: parsing into a tree, repairing bad input with a hint, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core.kb.query import MAX_TERMS, AllOf, AnyOf, Phrase, Term, parse


def term(word: str, stem: str | None = None, *, prefix: bool = False) -> Term:
    return Term(word=word, stem=stem or word, prefix=prefix)


def test_adjacent_words_must_all_match_and_are_stemmed() -> None:
    parsed = parse("принтеры печатают")
    assert parsed.tree == AllOf((term("принтеры", "принтер"), term("печатают", "печата")))
    assert parsed.hint is None


def test_phrases_or_and_parentheses() -> None:
    parsed = parse('"paper jam" OR (toner AND cartridge)')
    assert parsed.tree == AnyOf(
        (
            Phrase((term("paper"), term("jam"))),
            AllOf((term("toner", "toner"), term("cartridge", "cartridg"))),
        )
    )


def test_not_excludes_from_the_rest() -> None:
    assert parse("printer NOT scanner").tree == AllOf((term("printer"),), (term("scanner"),))
    assert parse("printer -scanner").tree == parse("printer NOT scanner").tree


def test_prefix_keeps_the_typed_word() -> None:
    assert parse("printi*").tree == term("printi", "printi", prefix=True)
    assert parse('"paper ja*"').tree == Phrase((term("paper"), term("ja", prefix=True)))


def test_a_hyphenated_word_is_a_phrase() -> None:
    assert parse("wi-fi").tree == Phrase((term("wi"), term("fi")))


def test_operators_in_lower_case_are_words() -> None:
    assert parse("or").tree == term("or")


def test_double_not_cancels() -> None:
    assert parse("NOT NOT printer").tree == term("printer")


@pytest.mark.parametrize(
    ("query", "hint_part"),
    [
        ('"paper jam', "quote was not closed"),
        ("(printer OR scanner", "'(' was not closed"),
        ("printer)", "unmatched ')'"),
        ("printer OR", "OR needs a word on both sides"),
        ("AND printer", "AND needs a word on both sides"),
        ("printer OR NOT scanner", "cannot be searched"),
    ],
)
def test_repairable_queries_still_search_and_say_what_was_repaired(query: str, hint_part: str) -> None:
    parsed = parse(query)
    assert parsed.tree is not None
    assert parsed.hint is not None
    assert hint_part in parsed.hint


@pytest.mark.parametrize(
    "query", ["NOT", "NOT printer", "AND OR NOT", "()", "🙂🙂", "", "   ", '""', "*", "-"]
)
def test_hopeless_queries_give_a_hint_and_no_tree(query: str) -> None:
    parsed = parse(query)
    assert parsed.tree is None
    assert parsed.hint
    assert "\n" not in parsed.hint


def test_near_is_only_a_word() -> None:
    parsed = parse("NEAR(printer scanner)")
    assert parsed.tree == AllOf((term("near"), term("printer"), term("scanner", "scanner")))


def test_huge_queries_are_cut() -> None:
    parsed = parse("printer " * 2000)
    assert parsed.tree is not None
    assert "first 1000 characters" in (parsed.hint or "")
    assert len(parsed.positive_terms()) <= MAX_TERMS


def test_deep_parentheses_do_not_recurse_without_bound() -> None:
    parsed = parse("(" * 5000 + "printer" + ")" * 5000)
    assert parsed.hint is not None


def test_positive_terms_leave_out_the_excluded() -> None:
    parsed = parse('(printer OR "paper jam") NOT scanner')
    assert [t.word for t in parsed.positive_terms()] == ["printer", "paper", "jam"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*'ab "()*-', " AND ", " OR ", " NOT ", "🙂", "я"]), max_size=40))
def test_any_input_parses_to_a_tree_or_a_hint(pieces: list[str]) -> None:
    parsed = parse("".join(pieces))
    assert parsed.tree is not None or parsed.hint
