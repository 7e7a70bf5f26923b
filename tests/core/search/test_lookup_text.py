"""The pure text layer of lookup: folding, classification, transliteration, layouts, typos, phone forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.search.layout import swap_layout, to_english_layout, to_russian_layout
from hotline.core.search.matching import (
    LEVEL_EDIT_TYPO,
    LEVEL_EXACT,
    LEVEL_PREFIX,
    LEVEL_TRANSLIT,
    LEVEL_TRANSLIT_PREFIX,
    LEVEL_TYPO,
    ORGANISATION_FACTOR,
    WordMatch,
    WordOption,
)
from hotline.core.search.phones import exact_forms, suffix_forms
from hotline.core.search.text import MAX_QUERY_CHARS, QueryKind, classify, digits_of, fold, words
from hotline.core.search.translit import (
    query_skeletons,
    skeleton,
    to_cyrillic,
    to_cyrillic_variants,
    to_latin,
)
from hotline.core.search.typos import corrections, delete_keys, within_one_edit


def test_fold_lowers_and_merges_yo_and_drops_accents() -> None:
    assert fold("Ёлкин") == "елкин"
    assert fold("ПЁТР") == "петр"
    assert fold("Zoë Müller") == "zoe muller"
    assert fold("Андрей") == "андрей"  # й is a letter of its own, not и with a mark


def test_words_split_on_punctuation_symbols_and_emoji() -> None:
    assert words("Иван-Петров, ООО «Ромашка» 🙂 ivan_pet") == [
        "иван",
        "петров",
        "ооо",
        "ромашка",
        "ivan",
        "pet",
    ]


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("", QueryKind.EMPTY),
        ("   ", QueryKind.EMPTY),
        ('"*%_', QueryKind.EMPTY),
        ("🙂", QueryKind.EMPTY),
        ("#1234", QueryKind.TICKET),
        ("1234", QueryKind.PHONE),
        ("+7 (495) 926-37-81", QueryKind.PHONE),
        ("926-37", QueryKind.PHONE),
        ("petrov@", QueryKind.EMAIL),
        ("@acme.ru", QueryKind.EMAIL),
        ("acme.ru", QueryKind.EMAIL),
        ("acme", QueryKind.WORDS),
        ("ivan pet", QueryKind.WORDS),
        ("NEAR(", QueryKind.WORDS),
        ("i", QueryKind.SHORT),
        ("Зо", QueryKind.SHORT),
    ],
)
def test_classify(typed: str, kind: QueryKind) -> None:
    assert classify(typed).kind is kind


def test_classify_details() -> None:
    ticket = classify("#1234")
    assert ticket.ticket_number == 1234
    phone = classify("8 495 926 37 81")
    assert phone.digits == "84959263781"
    assert classify("1234").ticket_number == 1234
    assert classify("Ivan  PETROV").words == ("ivan", "petrov")


@given(st.text(max_size=20_000))
def test_classify_never_fails_and_bounds_the_work(typed: str) -> None:
    query = classify(typed)
    assert len(query.text) <= MAX_QUERY_CHARS
    assert len(query.words) <= 6


def test_transliteration_both_ways() -> None:
    assert to_cyrillic("ivanov") == "иванов"
    assert to_latin("Иванов") == "ivanov"
    assert to_cyrillic("Smith") == "смит"
    assert "юлия" in to_cyrillic_variants("Yulia")
    assert "щукин" in to_cyrillic_variants("schukin")


@pytest.mark.parametrize(
    "spellings",
    [
        ["Иванов", "ivanov", "Ivanov"],
        ["Хабаров", "khabarov", "habarov"],
        ["Юлия", "Yulia", "Iuliia", "yuliya"],
        ["Щукин", "Shchukin", "Schukin"],
        ["Фёдор", "Fyodor", "Fedor"],
        ["Евгений", "Yevgeny", "Evgeniy"],
        ["Наталья", "Natalya", "Natalia"],
        ["Кузнецов", "Kuznetsov"],
        ["Джон", "John"],
        ["Андрей", "Andrey", "Andrei"],
    ],
)
def test_spellings_share_one_skeleton(spellings: list[str]) -> None:
    assert len({skeleton(word) for word in spellings}) == 1


def test_ambiguous_letters_give_several_query_keys() -> None:
    assert skeleton("Хабаров") in query_skeletons("xabarov")
    assert skeleton("Максим") in query_skeletons("maxim")
    assert skeleton("Smith").startswith(skeleton("Смит"))
    assert skeleton("Julia") in query_skeletons("Юлия")  # a first Ю, Я or Е may be an English J
    assert skeleton("Юлия") in query_skeletons("Юлия")
    assert query_skeletons("Ульяна") == (skeleton("Ульяна"),)  # only the word's first letter


def test_wrong_layout_both_ways() -> None:
    assert to_russian_layout("bdfyjd") == "иванов"
    assert to_russian_layout("ghbdtn") == "привет"
    assert to_english_layout("Шмфтщм") == "Ivanov"
    assert swap_layout(",jhbcjd") == "борисов"
    assert swap_layout("123") == ""


@given(st.text(alphabet="qwertyuiop[]asdfghjkl;'zxcvbnm,.`", max_size=30))
def test_layout_round_trip(typed: str) -> None:
    assert to_english_layout(to_russian_layout(typed)) == typed


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("ivnaov", "ivanov"),
        ("petorv", "petrov"),
        ("petrv", "petrov"),
        ("petrovv", "petrov"),
        ("pxtrov", "petrov"),
    ],
)
def test_one_edit_is_found_by_shared_delete_keys(typed: str, word: str) -> None:
    assert within_one_edit(typed, word)
    assert delete_keys(typed) & delete_keys(word)
    assert corrections(typed, [word, "sidorov"]) == [word]


def test_two_edits_are_not_a_typo() -> None:
    assert not within_one_edit("pterov", "petrvo")
    assert not within_one_edit("ivanov", "ivanovich")


@given(st.text(alphabet="abcdefgh", min_size=5, max_size=10), st.data())
def test_any_single_edit_shares_a_delete_key(word: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(word) - 1))
    edit = data.draw(st.sampled_from(["delete", "insert", "substitute", "swap"]))
    letter = data.draw(st.sampled_from("abcdefgh"))
    if edit == "delete":
        typed = word[:position] + word[position + 1 :]
    elif edit == "insert":
        typed = word[:position] + letter + word[position:]
    elif edit == "substitute":
        typed = word[:position] + letter + word[position + 1 :]
    else:
        position = min(position, len(word) - 2)
        typed = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    assert within_one_edit(typed, word)
    assert delete_keys(typed) & delete_keys(word)


def test_phone_forms() -> None:
    assert exact_forms("+7 (495) 926-37-81", "74959263781", region="RU") == ["74959263781"]
    assert "74959263781" in exact_forms("8 495 926 37 81", "84959263781", region="RU")
    assert "4959263781" in suffix_forms("8 495 926 37 81", "84959263781", region="RU")
    assert suffix_forms("3781", "3781", region="RU") == ["3781"]
    assert suffix_forms("37", "37", region="RU") == []
    assert digits_of("+7 (495) 926-37-81") == "74959263781"


_OPTION = st.builds(
    WordOption,
    st.sampled_from(["word", "wkey"]),
    st.text("abc", min_size=1, max_size=3),
    st.booleans(),
    st.sampled_from([LEVEL_EXACT, LEVEL_TRANSLIT, LEVEL_TYPO, LEVEL_EDIT_TYPO]),
)
_ROW = st.tuples(st.sampled_from("fo"), st.text("abc", min_size=1, max_size=4), st.text("abc", max_size=4))


@given(st.lists(_OPTION, min_size=1, max_size=6), st.lists(_ROW, max_size=5))
def test_a_word_match_scores_as_every_row_against_every_option(
    options: list[WordOption], rows: list[tuple[str, str, str]]
) -> None:
    """``WordMatch`` looks exact values up instead of trying each option on each row: the same level
    as the plain reading (each row against each option, in order, the first best kept)."""
    plain = 0.0
    for field_code, word, wkey in rows:
        for option in options:
            value = word if option.column == "word" else wkey
            if value == option.value:
                level = option.level
            elif option.prefix and value.startswith(option.value):
                level = LEVEL_PREFIX if option.column == "word" else LEVEL_TRANSLIT_PREFIX
            else:
                continue
            plain = max(plain, level * (ORGANISATION_FACTOR if field_code == "o" else 1.0))
    level, label = WordMatch(options).best(rows)
    assert level == plain
    assert bool(label) == (level > 0)
