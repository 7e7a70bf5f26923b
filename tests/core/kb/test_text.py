"""Stemming and word splitting: every form of a word reaches the same stem, in Russian and English."""

from __future__ import annotations

import pytest

from hotline.core.kb.text import normal_words, normalise, stem, stems, words


@pytest.mark.parametrize(
    ("forms", "expected_stem"),
    [
        (["принтер", "принтеры", "принтера", "принтеров", "принтерами"], "принтер"),
        (["печатает", "печатают", "печатать"], "печата"),
        (["print", "printing", "prints", "printed"], "print"),
        (["connection", "connections"], "connect"),
    ],
)
def test_every_form_of_a_word_has_the_same_stem(forms: list[str], expected_stem: str) -> None:
    assert {stem(normalise(form)) for form in forms} == {expected_stem}


def test_yo_is_e_and_case_does_not_matter() -> None:
    assert stems("Ёлка ЁЛКИ") == stems("елка елки")
    assert stems("PRINTING") == ["print"]


def test_words_carry_offsets_of_the_original_text() -> None:
    text = "Принтеры, printing & wi-fi"
    found = words(text)
    assert [text[word.start : word.end] for word in found] == ["Принтеры", "printing", "wi", "fi"]
    assert [word.stem for word in found] == ["принтер", "print", "wi", "fi"]


def test_digits_and_mixed_words_stay_whole() -> None:
    assert stems("1С:Предприятие 8.3 Outlook2016") == ["1с", "предприят", "8", "3", "outlook2016"]


def test_combining_marks_join_their_letter() -> None:
    decomposed = "мои\u0306"  # й as и + combining breve
    assert normal_words(decomposed) == ["мой"]
    assert words(decomposed)[0].end == len(decomposed)


def test_punctuation_underscores_and_emoji_are_not_words() -> None:
    assert normal_words("snake_case 🙂 — ... !!!") == ["snake", "case"]


def test_absurdly_long_words_are_cut_alike() -> None:
    assert len(normal_words("x" * 10_000)[0]) == 100
