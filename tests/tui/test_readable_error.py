"""Worker failures become one readable line; the place of a bad input is named once."""

from __future__ import annotations

from hotline.core.errors import InvalidInput, NotFound
from hotline.tui.messages import readable_error


def test_a_hotline_error_names_its_place_once() -> None:
    assert (
        readable_error(InvalidInput("not a phone number: '12'", where="phone"))
        == "phone: not a phone number: '12'"
    )
    assert readable_error(NotFound("no ticket #9")) == "no ticket #9"


def test_any_other_error_is_its_first_line() -> None:
    assert readable_error(RuntimeError("boom\ntraceback lines")) == "RuntimeError: boom"
