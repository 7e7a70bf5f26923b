"""``decode_base64`` (pybase64 for clean base64) gives exactly the standard ``decode_b``'s value and
defects, for clean, unpadded, garbage-containing and line-broken bodies, and so does the parser's fast
path for long attachments that uses it."""

from __future__ import annotations

import base64
from email._encoded_words import decode_b
from email.parser import BytesParser
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.mailbox.base64_decode import decode_base64
from hotline.mailbox.mime_source import parse_source

_DATA = bytes(range(256)) * 3 + b"tail"
_CLEAN = base64.b64encode(_DATA)
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _standard(data: bytes) -> tuple[bytes, list[str]]:
    value, defects = decode_b(data)
    return value, [type(defect).__name__ for defect in defects]


def _ours(data: bytes) -> tuple[bytes, list[str]]:
    value, defects = decode_base64(data)
    return value, [type(defect).__name__ for defect in defects]


@pytest.mark.parametrize(
    ("data", "defects"),
    [
        (_CLEAN, []),
        (b"", []),
        (b"QQ==", []),
        (b"QUI=", []),
        (b"QR==", []),  # non-zero bits after the last byte: the standard code ignores them
        (_CLEAN.rstrip(b"="), ["InvalidBase64PaddingDefect"]),
        (b"QQ", ["InvalidBase64PaddingDefect"]),
        (b"QQ=", ["InvalidBase64PaddingDefect"]),
        (b"QQ===", ["InvalidBase64CharactersDefect"]),
        (b"QUJD====", []),  # excess padding: the standard code ignores it
        (b"QQ==QUJD", ["InvalidBase64CharactersDefect"]),  # padding inside: two encodings
        (b"====", ["InvalidBase64CharactersDefect"]),
        (b"=QUJ", ["InvalidBase64CharactersDefect", "InvalidBase64PaddingDefect"]),
        (_CLEAN[:40] + b"!*" + _CLEAN[40:], ["InvalidBase64CharactersDefect"]),
        (_CLEAN[:40] + b"-_" + _CLEAN[42:], ["InvalidBase64CharactersDefect"]),  # url-safe letters
        (_CLEAN[:40] + b"\xff" + _CLEAN[40:], ["InvalidBase64CharactersDefect"]),
        (_CLEAN[:40] + b"\xff" + _CLEAN[41:], ["InvalidBase64LengthDefect"]),  # a character lost
        (_CLEAN[:40] + b" " + _CLEAN[40:], ["InvalidBase64CharactersDefect"]),
        (base64.encodebytes(_DATA), ["InvalidBase64CharactersDefect"]),  # line breaks left in
        (base64.encodebytes(_DATA).replace(b"\n", b"\r\n"), ["InvalidBase64CharactersDefect"]),
        (b"QUJDR", ["InvalidBase64LengthDefect"]),  # one character too many: not decodable at all
    ],
    ids=[
        "clean",
        "empty",
        "one-byte",
        "two-bytes",
        "trailing-bits",
        "unpadded",
        "unpadded-short",
        "short-padding",
        "long-padding",
        "excess-padding",
        "padding-inside",
        "padding-only",
        "padding-first",
        "garbage",
        "url-safe",
        "8-bit-garbage",
        "8-bit-in-place",
        "space",
        "line-broken",
        "line-broken-crlf",
        "bad-length",
    ],
)
def test_same_value_and_defects_as_the_standard_decoding(data: bytes, defects: list[str]) -> None:
    assert _ours(data) == _standard(data)
    assert _ours(data)[1] == defects


def test_clean_base64_is_decoded() -> None:
    assert decode_base64(_CLEAN) == (_DATA, [])


@settings(max_examples=400, deadline=None)
@given(
    st.binary(max_size=64), st.lists(st.tuples(st.integers(0, 200), st.sampled_from(b"=\n\r -_!\x00\xff")))
)
def test_any_mangled_encoding_decodes_as_the_standard_code_decodes_it(
    data: bytes, changes: list[tuple[int, int]]
) -> None:
    encoded = bytearray(base64.b64encode(data))
    for position, character in changes:
        encoded.insert(min(position, len(encoded)), character)
    assert _ours(bytes(encoded)) == _standard(bytes(encoded))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET + b"="), max_size=40))
def test_any_alphabet_text_decodes_as_the_standard_code_decodes_it(characters: list[int]) -> None:
    data = bytes(characters)
    assert _ours(data) == _standard(data)


def _long_part(body: bytes, line_ending: bytes) -> bytes:
    raw = (
        b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n"
        b"--BB\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + body + b"\n--BB--\n"
    )
    return raw.replace(b"\n", line_ending)


_LONG = base64.encodebytes(bytes(range(256)) * 200)


@pytest.mark.parametrize("line_ending", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(
    ("body", "set_aside"),
    [
        (_LONG, True),
        (_LONG.rstrip(b"\n").rstrip(b"="), True),
        (_LONG.rstrip(b"\n").rstrip(b"=")[:-2], True),  # one character over whole groups
        (_LONG + b"QQ==\n", False),  # padding inside: left to the standard parser
        (_LONG[:-30] + b"!" + _LONG[-30:], False),  # garbage: likewise
    ],
    ids=["clean", "unpadded", "bad-length", "padding-inside", "garbage"],
)
def test_long_attachment_decodes_as_the_standard_parser_decodes_it(
    body: bytes, set_aside: bool, line_ending: bytes
) -> None:
    """The parser's fast path (a long base64 body set aside, then decoded from its bytes) gives the
    standard parser's payload and defects."""
    raw = _long_part(body, line_ending)
    fast = parse_source(raw).get_payload(0)
    standard = BytesParser(policy=compat32).parsebytes(raw).get_payload(0)
    assert (fast.set_aside is not None) == set_aside
    value = fast.get_payload(decode=True)
    assert value == standard.get_payload(decode=True)
    assert value.startswith(bytes(range(256))) or value.startswith(b"AAECAwQF")  # bad length: kept as is
    assert [type(d).__name__ for d in fast.defects] == [type(d).__name__ for d in standard.defects]
