"""Phone and email normalisation: Russian, international and junk input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.phones import digits_of, normalize_phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+7 (495) 926-37-81", "+74959263781"),
        ("8 495 926 37 81", "+74959263781"),
        ("8(916)123-45-67", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("  +49 30 901820  ", "+4930901820"),
    ],
)
def test_phone_typed_any_way_normalises(typed: str, e164: str) -> None:
    phone = normalize_phone(typed, default_region="RU")
    assert phone.e164 == e164
    assert phone.digits == e164[1:]
    assert phone.raw == " ".join(typed.split())


def test_default_region_reads_national_numbers() -> None:
    assert normalize_phone("(212) 555-0100", default_region="US").e164 == "+12125550100"


@pytest.mark.parametrize("junk", ["", "   ", "abc", "12", "+", "phone: none", "1" * 101, "☎☎☎"])
def test_junk_phone_is_rejected_with_its_field(junk: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(junk, where="clients.csv:7: phone", default_region="RU")
    assert error.value.where == "clients.csv:7: phone"


@given(st.text(max_size=60))
def test_any_text_either_normalises_or_is_invalid_input(text: str) -> None:
    try:
        phone = normalize_phone(text, default_region="RU")
    except InvalidInput:
        return
    assert phone.e164.startswith("+")
    assert phone.digits.isdigit()


def test_digits_of_keeps_only_digits() -> None:
    assert digits_of("+7 (495) 926-37-81") == "74959263781"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Ivan.Petrov@Example.COM", "ivan.petrov@example.com"),
        (" <sales@acme.ru> ", "sales@acme.ru"),
        ("info@почта.рф", "info@xn--80a1acny.xn--p1ai"),
    ],
)
def test_email_normalises(typed: str, normal: str) -> None:
    assert normalize_email(typed) == normal


@pytest.mark.parametrize(
    "junk", ["", "a", "a@b", "@acme.ru", "x@@acme.ru", "a b@acme.ru", "a..b@acme.ru", "a@-x.ru"]
)
def test_junk_email_is_rejected(junk: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_email(junk)
