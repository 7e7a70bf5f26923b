"""Every charset issue 14 names, in bodies, subjects and file names, and labels that lie (mail_charsets).

Each check compares with the exact text the sender wrote. Checks the current code fails are strict
xfails (``KNOWN``), each naming the item of issue 14 that fixes it.
"""

from __future__ import annotations

from typing import Any

import pytest
from mail_charsets import (
    CASES,
    HTML_FIDELITY,
    LYING,
    LYING_SUBJECTS,
    TRANSFER_ENCODINGS,
    CharsetCase,
    charset_message,
    html_message,
    lying_message,
    subject_message,
)

from hotline.mailbox.convert import parse_message

# (case id, aspect) -> reason; aspects: subject, sender, body-<transfer encoding>, rfc2231, rfc2047.
KNOWN: dict[tuple[str, str], str] = {}


def _params(aspect: str) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[(case.id, aspect)])]
            if (case.id, aspect) in KNOWN
            else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case", _params("subject"))
def test_encoded_word_subject(case: CharsetCase) -> None:
    assert parse_message(charset_message(case)).subject == case.subject


@pytest.mark.parametrize("case", _params("sender"))
def test_encoded_word_sender_name(case: CharsetCase) -> None:
    expected = "Отправитель" if "1251" in case.label else "Client"
    parsed = parse_message(charset_message(case))
    assert (parsed.from_name, parsed.from_address) == (expected, "client@example.org")


@pytest.mark.parametrize("transfer", TRANSFER_ENCODINGS)
@pytest.mark.parametrize("case", _params("body"))
def test_body(case: CharsetCase, transfer: str, request: pytest.FixtureRequest) -> None:
    reason = KNOWN.get((case.id, f"body-{transfer}"))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    assert parse_message(charset_message(case, transfer)).body == case.body


@pytest.mark.parametrize("case", _params("rfc2231"))
def test_rfc2231_filename(case: CharsetCase) -> None:
    names = [item.filename for item in parse_message(charset_message(case)).attachments]
    assert names[0] == case.filename


@pytest.mark.parametrize("case", _params("rfc2047"))
def test_rfc2047_filename(case: CharsetCase) -> None:
    names = [item.filename for item in parse_message(charset_message(case)).attachments]
    assert names[1] == case.filename


_LYING_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=_LYING_KNOWN[case.id])]
            if case.id in _LYING_KNOWN
            else [],
        )
        for case in LYING
    ],
)
def test_body_with_a_lying_or_unknown_label(case: Any) -> None:
    assert parse_message(lying_message(case)).body == case.body


_LYING_SUBJECT_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    ("raw_subject", "expected"),
    [
        pytest.param(
            raw,
            expected,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=_LYING_SUBJECT_KNOWN[name])]
            if name in _LYING_SUBJECT_KNOWN
            else [],
        )
        for name, raw, expected in LYING_SUBJECTS
    ],
)
def test_subject_with_a_lying_or_unknown_label(raw_subject: bytes, expected: str) -> None:
    assert parse_message(subject_message(raw_subject, "lying-subject")).subject == expected


_HTML_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(
            html,
            expected,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=_HTML_KNOWN[name])] if name in _HTML_KNOWN else [],
        )
        for name, html, expected in HTML_FIDELITY
    ],
)
def test_html_text_keeps_what_was_written(html: str, expected: tuple[str, ...]) -> None:
    body = parse_message(html_message(html, "html-fidelity")).body
    for snippet in expected:
        assert snippet in body, f"{snippet!r} not in {body!r}"


def test_a_guess_is_recorded_and_a_fitting_label_is_not() -> None:
    """Detection is noted (where, the label, what it was read as); a label that fits is simply believed."""
    lying = next(case for case in LYING if case.id == "cp1251-declared-us-ascii")
    parsed = parse_message(lying_message(lying))
    assert parsed.charset_guesses == ("text/plain part: labelled 'us-ascii'; read as cp1251 (detected)",)
    honest = next(case for case in CASES if case.id == "windows-1255")
    assert parse_message(charset_message(honest)).charset_guesses == ()


def test_iso_2022_cn_planes_without_a_table_are_marked_not_hidden() -> None:
    """CNS 11643 (``ESC $ ) G``) has no codec: its characters are U+FFFD, never escape text."""
    from hotline.mailbox.iso2022 import decode_iso2022_cn

    assert decode_iso2022_cn(b"A\x1b$)G\x0e\x44\x21\x0fB") == "A\ufffdB"
    assert decode_iso2022_cn(b"\x1b$)A\x0e\x34\x72\x0f ok") == "打 ok"


def test_utf8_with_pasted_latin1_keeps_both() -> None:
    """A UTF-8 part with Latin-1 lines pasted in: the UTF-8 kept, the rest read as what it is."""
    from hotline.mailbox.charsets import decode_bytes

    decoded = decode_bytes("Atención ".encode() + "divulgação proibida".encode("latin-1"), "utf-8")
    assert decoded.text == "Atención divulgação proibida"
    assert decoded.guessed
