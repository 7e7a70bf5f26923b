"""Snippets: the original words around the best cluster of matches, highlighted by stem or prefix."""

from __future__ import annotations

from hotline.core.kb.query import parse
from hotline.core.kb.snippets import Matcher, highlight, snippet


def matcher(query: str) -> Matcher:
    return Matcher(parse(query).positive_terms())


def test_highlights_show_the_original_forms() -> None:
    result = highlight("Принтеры не печатают", matcher("принтер"))
    assert result.marked() == "[Принтеры] не печатают"


def test_prefix_highlights_words_beginning_with_it() -> None:
    result = highlight("printing and printers, not paper", matcher("printi*"))
    assert result.marked() == "[printing] and printers, not paper"


def test_excluded_words_are_not_highlighted() -> None:
    result = highlight("printer and scanner", matcher("printer NOT scanner"))
    assert result.marked() == "[printer] and scanner"


def test_snippet_picks_the_window_with_the_most_distinct_terms() -> None:
    filler = " ".join(f"word{i}" for i in range(60))
    text = f"Toner here. {filler} The toner\ncartridge and the drum. {filler} end"
    result = snippet(text, matcher("toner cartridge drum"), size=60)
    assert result.text.startswith("…")
    assert result.text.endswith("…")
    assert "[toner] [cartridge] and the [drum]" in result.marked()
    assert "\n" not in result.text


def test_short_text_is_whole_and_spans_point_at_words() -> None:
    result = snippet("Restart the VPN client.", matcher("vpn"))
    assert result.text == "Restart the VPN client."
    assert [result.text[s:e] for s, e in result.spans] == ["VPN"]


def test_no_match_in_body_gives_its_beginning() -> None:
    result = snippet("Alpha beta gamma " * 20, matcher("printer"), size=20)
    assert result.text == "Alpha beta gamma Alpha…"
    assert result.spans == ()


def test_control_characters_never_reach_the_snippet() -> None:
    result = snippet("bad \x1b[31mred\x07 printer", matcher("printer"))
    assert "\x1b" not in result.text
    assert "\x07" not in result.text
    assert [result.text[s:e] for s, e in result.spans] == ["printer"]


def test_titles_lose_control_characters_but_keep_highlights() -> None:
    result = highlight("Printer\x1b[2J\nnot \x07printing", matcher("printing"))
    assert "\x1b" not in result.text
    assert "\n" not in result.text
    assert [result.text[s:e] for s, e in result.spans] == ["printing"]


def test_a_long_article_gives_a_short_snippet_around_the_match() -> None:
    text = "filler words here. " * 500 + "The Ёлка and елки are here. " + "more filler. " * 2000
    result = snippet(text, matcher("ёлки"))
    assert len(result.text) < 250
    assert "[Ёлка] and [елки]" in result.marked()


def test_markdown_is_cleaned_in_the_window_only() -> None:
    from hotline.core.kb.index import plain_window

    text = "x " * 500 + "see the **self-service** [portal](https://portal.example) for the password reset"
    result = snippet(text, matcher("portal password"), clean=plain_window)
    assert "[portal]" in result.marked()
    assert "https" not in result.text
    assert "**" not in result.text


def test_collapsing_gaps_keeps_every_highlight_on_its_word() -> None:
    # Every mix of single spaces, runs, newlines, tabs, control and zero-width characters, at either end
    # too: the text comes out on one line, words apart by one space, and each span still covers its word.
    gaps = [" ", "  ", "\n\n", "\t", " \x00 ", "\u200b", " \n", ""]
    for lead in gaps:
        for middle in gaps[:-1]:
            for tail in gaps:
                text = f"{lead}Printers{middle}do not print{middle}paper{tail}"
                result = highlight(text, matcher("print*"))
                assert result.text == " ".join(result.text.split())
                assert not result.text.startswith(" ") and not result.text.endswith(" ")
                assert [result.text[start:end] for start, end in result.spans] == ["Printers", "print"]
                assert result.text.replace(" ", "") == "".join(char for char in text if char.isalnum()), repr(
                    text
                )
