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

_ITEM2 = "issue 14 item 2: "
_BODIES = ("body-8bit", "body-quoted-printable", "body-base64")
_OVERRIDDEN = _ITEM2 + "a correct {} label is overridden by the home-made detector: {}"

# (case id, aspect) -> reason; aspects: subject, sender, body-<transfer encoding>, rfc2231, rfc2047.
KNOWN: dict[tuple[str, str], str] = {}


def _known(case_id: str, aspects: tuple[str, ...], reason: str) -> None:
    KNOWN.update({(case_id, aspect): reason for aspect in aspects})


_known(
    "iso-2022-cn",
    ("subject", *_BODIES, "rfc2231", "rfc2047"),
    _ITEM2 + "ISO-2022-CN has no codec here: escape text ($)A…) is shown",
)
_known(
    "iso-2022-kr",
    ("subject", *_BODIES, "rfc2047"),
    _ITEM2 + "ISO-2022-KR is not decoded: escape text ($)C…) is shown",
)
_known("utf-7", ("subject", *_BODIES, "rfc2047"), _ITEM2 + "UTF-7 is not decoded: +ANw-bermittlung is shown")
_known(
    "unicode-1-1-utf-7",
    ("subject", *_BODIES, "rfc2047"),
    _ITEM2 + "UTF-7 (label unicode-1-1-utf-7) is not decoded: +ANw-bermittlung is shown",
)
_known("shift_jis", _BODIES, _OVERRIDDEN.format("Shift_JIS", "the body is read as GB18030 (偍悽榖偵…)"))
for _case_id, _script in (
    ("windows-1255", "Hebrew"),
    ("iso-8859-8", "Hebrew"),
    ("windows-1256", "Arabic"),
    ("iso-8859-6", "Arabic"),
    ("iso-8859-11", "Thai"),
):
    _known(
        _case_id,
        ("subject", *_BODIES, "rfc2047"),
        _OVERRIDDEN.format(_script, "read as a Cyrillic or CJK code page"),
    )
_known("iso-8859-14", _BODIES, _OVERRIDDEN.format("ISO-8859-14", "read as ISO-8859-1 (Ŵ becomes Ð)"))
_known(
    "iso-8859-16", _BODIES, _OVERRIDDEN.format("ISO-8859-16", "read as ISO-8859-2 (ț becomes ţ, „ becomes Ľ)")
)


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


_LYING_KNOWN: dict[str, str] = {
    "cp1251-declared-us-ascii": _ITEM2
    + "8-bit windows-1251 declared us-ascii is mis-detected («дравствуйте … Ђсрочної)",
    "cp1252-declared-latin1": _ITEM2
    + "windows-1252 declared iso-8859-1: € (0x80) comes out as Ђ (read as windows-1251)",
}


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


_LYING_SUBJECT_KNOWN: dict[str, str] = {
    "utf7-word": _ITEM2
    + "a UTF-7 encoded word (unicode-1-1-utf-7) is not decoded: +ANw-bermittlung is shown",
    "iso2022jp-raw-header": _ITEM2
    + "a raw ISO-2022-JP subject (no encoded word) keeps its escape text: $B%W%j%s%?!<(B",
}


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
