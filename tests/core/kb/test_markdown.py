"""Markdown articles: front matter, titles, tags, audience, and bad files named by line and field."""

from __future__ import annotations

import pytest

from hotline.core.errors import InvalidInput
from hotline.core.kb.markdown import Audience, parse_article, plain_text


def test_front_matter_with_flow_list() -> None:
    article = parse_article(
        '---\ntitle: "Printer: does not print"\ntags: [printer, "paper jam"]\naudience: public\n'
        "owner: helpdesk  # a comment\n---\n\nCheck the cable.\n"
    )
    assert article.title == "Printer: does not print"
    assert article.tags == ["printer", "paper jam"]
    assert article.audience is Audience.PUBLIC
    assert article.body == "Check the cable."
    assert article.extra == {"owner": "helpdesk"}


def test_block_list_crlf_and_bom() -> None:
    text = (
        "\ufeff---\r\ntitle: Принтер\r\ntags:\r\n  - принтер\r\n  - оборудование\r\n"
        "slug: printer-ru\r\n---\r\nТекст"
    )
    article = parse_article(text)
    assert article.tags == ["принтер", "оборудование"]
    assert article.slug == "printer-ru"
    assert article.body == "Текст"
    assert article.audience is Audience.INTERNAL


def test_title_falls_back_to_heading_then_file_name() -> None:
    assert parse_article("# VPN does not connect\n\nRestart it.").title == "VPN does not connect"
    assert parse_article("Just text.", fallback_title="vpn-notes").title == "vpn-notes"


def test_comma_separated_tags() -> None:
    assert parse_article("---\ntitle: x\ntags: a, b , a\n---\n").tags == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("---\ntitle: x\n", "kb/a.md:1"),
        ("---\ntitle: x\naudience: everyone\n---\n", "kb/a.md:3: audience"),
        ("---\ntitle: x\ntags: [a, b\n---\n", "kb/a.md:3: tags"),
        ("---\n: nothing\n---\n", "kb/a.md:2"),
        ('---\ntitle: "open\n---\n', "kb/a.md:2: title"),
        ("---\ntitle: [a, b]\n---\n", "kb/a.md:2: title"),
        ("no title here", "kb/a.md:1"),
        ("---\ntitle: x\naudience: public\nAudience: internal\n---\n", "kb/a.md:4: audience"),
        ("---\ntitle: x\ntags: [a]\ntags:\n  - b\n---\n", "kb/a.md:4: tags"),
        # a misspelt key: its value was ignored (the article stayed internal, untagged)
        ("---\ntitle: x\naudeince: public\n---\n", "kb/a.md:3: audeince"),
        ("---\ntitle: x\ntgas: [a]\n---\n", "kb/a.md:3: tgas"),
    ],
)
def test_bad_files_name_the_line_and_field(text: str, where: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_article(text, source="kb/a.md")
    assert raised.value.where == where


def test_a_misspelt_key_says_which_it_looks_like_and_other_keys_are_kept() -> None:
    with pytest.raises(InvalidInput, match="unknown key 'audeince': is it 'audience'"):
        parse_article("---\ntitle: x\naudeince: public\n---\n", source="kb/a.md")
    article = parse_article("---\ntitle: x\nauthor: Anna\ndate: 2026-12-01\n---\n", source="kb/a.md")
    assert article.extra == {"author": "Anna", "date": "2026-12-01"}


def test_plain_text_keeps_words_and_drops_markup() -> None:
    markdown = (
        "# Title\n\n**Bold** and _it_ with a [link text](http://x.example/y) and `code`.\n"
        "![alt words](img.png)\n\n```python\nprint('x')\n```\n- item one\n> quoted <b>html</b>\n---\n"
    )
    expected = "Title Bold and _it_ with a link text and code. alt words print('x') item one quoted html"
    assert plain_text(markdown).split() == expected.split(" ")


@pytest.mark.parametrize("title", ['"   "', '"\u200b"', '"\u200b \u2060"'])
def test_a_title_with_nothing_visible_is_refused(title: str) -> None:
    """``title: "  "`` or a zero-width space was stored: an article listed with a blank title, which no
    one could tell from another or find by its title."""
    with pytest.raises(InvalidInput) as raised:
        parse_article(f"---\ntitle: {title}\n---\nBody.\n", source="a.md", fallback_title="a")
    assert raised.value.where == "a.md:2: title"
    assert "nothing visible" in raised.value.message


def test_a_tag_with_nothing_visible_is_refused() -> None:
    """A zero-width space as a tag was stored: the article's tags read "printer, " with a tag no one could
    see, search for or type."""
    with pytest.raises(InvalidInput) as raised:
        parse_article(
            '---\ntitle: T\ntags: [printer, "\u200b"]\n---\nBody.\n', source="a.md", fallback_title="a"
        )
    assert raised.value.where == "a.md:3: tags"
    assert "nothing visible" in raised.value.message
