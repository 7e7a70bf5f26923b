"""Search on both backends over the bilingual corpus: stemming, boolean queries, ranking, snippets, bad queries.

Corpus articles are named by the number their file starts with (see ``corpus.py``). Expected orders follow
from how the index is weighted: a match in the title outranks one in the tags, which outranks the body.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.core.services.kb import import_folder, search_articles
from tests.conftest import UowFactory
from tests.core.kb.corpus import slug_of, write_corpus


@pytest.fixture
def corpus(uow_factory: UowFactory, tmp_path: Path) -> UowFactory:
    with uow_factory() as uow:
        report = import_folder(uow, folder=write_corpus(tmp_path / "kb"))
    assert len(report.created) == 10
    return uow_factory


def found(uow_factory: UowFactory, query: str, **options: object) -> list[int]:
    """The corpus numbers of the hits, best first."""
    with uow_factory(readonly=True) as uow:
        result = search_articles(uow, query=query, **options)
    numbers = {slug_of(n): n for n in range(1, 11)}
    return [numbers[hit.slug] for hit in result.hits]


RANKED_CASES: list[tuple[str, list[int | set[int]]]] = [
    # Stemming: every form finds every form, in each language.
    ("принтеры", [7, 8]),  # 7 has it in the title
    ("принтер", [7, 8]),
    ("printing", [1]),  # "print", "printing": stem print; "printer" is another word
    ("бумага", [8, 7]),  # 8: "Замятие бумаги" in the title
    ("пароль", [10, 9]),  # 10: "Сброс пароля" in the title
    ("passwords", [6]),
    # Phrases: the words next to each other, in order, in any form.
    ('"paper jam"', [2]),
    ('"jam paper"', [2]),  # "the jammed paper" in the body
    ('"paper cover"', []),
    ('"очередь печати"', [7]),
    ('"очередью печати"', [7]),
    # Boolean.
    ("printer NOT scanner", [1, 2, 3]),
    ("printer -scanner -toner", [1, 2]),
    ("vpn -пароль", [5, 6]),  # 5 has VPN in the title; 9 says "пароль"
    ("toner OR spooler", [3, 1]),  # toner in 3's title, spooler in 1's body
    ("(printer OR принтер) AND (paper OR бумага)", [{1, 2, 7, 8}]),
    ("(printer OR принтер) AND (jam OR замятие)", [{2, 8}]),
    ("printer AND cartridge", [3]),
    # Prefixes match the words as written, whatever their stems.
    ("принт*", [7, 8]),
    ("printi*", [1]),
    ("scan*", [4]),
    ("сброс* пароль", [10]),
]
"""Query → the corpus articles it finds, best first; a set is a group whose inner order is unspecified."""


def test_expected_results_and_ranking(corpus: UowFactory) -> None:
    failures = []
    for query, expected in RANKED_CASES:
        hits = found(corpus, query)
        groups = [group if isinstance(group, set) else {group} for group in expected]
        got_groups, position = [], 0
        for group in groups:
            got_groups.append(set(hits[position : position + len(group)]))
            position += len(group)
        if got_groups != groups or len(hits) != position:
            failures.append(f"{query!r}: expected {expected}, got {hits}")
    assert not failures, "\n".join(failures)


def test_title_outranks_tags_outranks_body(corpus: UowFactory) -> None:
    hits = found(corpus, "printer")
    assert hits[0] == 1  # title
    assert set(hits[1:3]) == {2, 3}  # tags and body
    assert hits[3] == 4  # body only
    assert len(hits) == 4


def test_audience_filter(corpus: UowFactory) -> None:
    assert found(corpus, "пароль", audience="public") == [10]
    assert found(corpus, "vpn", audience="public") == [6]


def test_limit(corpus: UowFactory) -> None:
    assert found(corpus, "printer", limit=2) == found(corpus, "printer")[:2]


def test_snippets_and_titles_highlight_the_original_words(corpus: UowFactory) -> None:
    with corpus(readonly=True) as uow:
        result = search_articles(uow, query="принтеры печатают")
    assert result.hint is None
    top = result.hits[0]
    assert top.title.marked() == "[Принтер] не [печатает]"
    assert "[принтеры] не [печатают]" in top.snippet.marked()
    assert "[Перезапустите]" not in top.snippet.marked()
    assert top.score > 0


def test_markdown_is_not_in_snippets(corpus: UowFactory) -> None:
    with corpus(readonly=True) as uow:
        result = search_articles(uow, query="toner")
    assert "**" not in result.hits[0].snippet.text
    with corpus(readonly=True) as uow:
        result = search_articles(uow, query="portal")
    assert "https" not in result.hits[0].snippet.text


REPAIRED_CASES = [
    ('"paper jam', [2]),
    ("(printer AND toner", [3]),
    ("toner)", [3]),
    ("NEAR(toner", []),
    ("toner OR", [3]),
    ("AND toner", [3]),
    ("toner OR NOT printer", [3]),
]


def test_repaired_queries_give_results_and_a_hint(corpus: UowFactory) -> None:
    for query, expected in REPAIRED_CASES:
        with corpus(readonly=True) as uow:
            result = search_articles(uow, query=query)
        assert result.hint, query
        assert found(corpus, query) == expected, query


def test_hopeless_queries_give_a_hint_never_an_error(corpus: UowFactory) -> None:
    for query in ["NOT printer", "AND OR NOT", "🙂", "", '""', "(((", "x" * 10_000, "*", "-printer"]:
        with corpus(readonly=True) as uow:
            result = search_articles(uow, query=query)
        assert result.hits == [], query
        assert result.hint, query
        assert "\n" not in result.hint


def test_a_pasted_page_of_words_still_searches(corpus: UowFactory) -> None:
    with corpus(readonly=True) as uow:
        result = search_articles(uow, query="printer " * 2000)
    assert result.hits[0].slug == slug_of(1)
    assert result.hint


def test_unselective_queries_rank_only_the_newest_matches(corpus: UowFactory, monkeypatch) -> None:
    from hotline.core.kb import index

    monkeypatch.setattr(index, "RANKED_AT_MOST", 2)
    with corpus(readonly=True) as uow:
        result = search_articles(uow, query="printer")
    # Articles 1-4 mention printers and were imported in that order: 3 and 4 are the newest two.
    assert {hit.slug for hit in result.hits} == {slug_of(3), slug_of(4)}
    assert result.hint
    assert "newest 2" in result.hint
    assert found(corpus, "toner") == [3]  # a selective query is ranked whole, without a hint


def test_stop_words_are_left_out_beside_other_words(corpus: UowFactory) -> None:
    assert found(corpus, "the printer is not printing") == found(corpus, "printer printing")
    assert found(corpus, "не печатает") == [7]


@pytest.mark.parametrize("invisible", ["\u00ad", "\u200c", "\u200d", "\u2060"])
def test_an_invisible_character_inside_a_word_breaks_no_word(
    uow_factory: UowFactory, tmp_path: Path, invisible: str
) -> None:
    """A soft hyphen, a zero-width joiner or a word joiner pasted from a web page inside a word (of an
    article, or of a query) cut it in two: ``перезагрузите`` did not find ``Пере<SHY>загрузите``, and the
    other way round. (A zero-width space is a break between words: ``test_snippets``.)"""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "router.md").write_text(
        f"---\ntitle: Роутер\n---\nПере{invisible}загрузите роутер и подождите минуту.\n", encoding="utf-8"
    )
    (folder / "modem.md").write_text(
        "---\ntitle: Модем\n---\nВыключите модем из розетки.\n", encoding="utf-8"
    )
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    for query, slug in [("перезагрузите", "router"), (f"роз{invisible}етки", "modem")]:
        with uow_factory(readonly=True) as uow:
            result = search_articles(uow, query=query)
        assert [hit.slug for hit in result.hits] == [slug], query
        (start, end), *_ = result.hits[0].snippet.spans
        # the whole word is highlighted (the snippet is one line: a joiner shows as a space)
        highlighted = result.hits[0].snippet.text[start:end]
        assert highlighted.replace(invisible, "").replace(" ", "") in {"Перезагрузите", "розетки"}
