"""Conversion from raw bytes: the shared corpus of real-world mail and generated tricky messages."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from mail_corpus import CORPUS, corpus_manifest
from mail_samples import (
    CYRILLIC_SUBJECT,
    CYRILLIC_TEXT,
    headers,
    html_only,
    raw_8bit,
    reply,
    with_attachments,
)

from hotline.mailbox.convert import parse_message
from hotline.mailbox.header_words import decode_header

MANIFEST = corpus_manifest()
if not MANIFEST:
    pytest.skip(
        f"MAIL CORPUS MISSING at {CORPUS} (shared/ must be beside the repository or above it)",
        allow_module_level=True,
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_corpus_message_converts(entry: dict[str, Any]) -> None:
    raw = (CORPUS / entry["file"]).read_bytes()
    parsed = parse_message(raw)
    expected = entry["expected"]
    expected_subject = expected.get("subject") or ""
    if "\ufffd" in expected_subject:
        # the manifest's derived subject is the stdlib's mojibake of raw 8-bit bytes; ours must be real text
        assert parsed.subject
        assert "\ufffd" not in parsed.subject
    else:
        assert _squash(parsed.subject) == _squash(expected_subject)
    assert parsed.from_address == (expected.get("from_address") or "").lower().strip("<>")
    expected_name = expected.get("from_name") or ""
    if expected_name:
        assert parsed.from_name == expected_name
    elif parsed.from_name:
        # a name in an RFC 822 comment, "addr (Name)", which the derived expectation did not read
        assert f"({parsed.from_name})".encode() in raw
    assert _squash(expected.get("body_contains") or "") in _squash(parsed.body)
    names = [attachment.filename for attachment in parsed.attachments]
    for filename in expected.get("attachments") or []:
        assert filename in names
    for attachment in parsed.attachments:
        assert attachment.size == len(attachment.content or b"")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", parsed.subject + parsed.body + parsed.from_name)


@pytest.mark.parametrize(
    ("codec", "declared"),
    [
        ("utf-8", "utf-8"),
        ("cp1251", "windows-1251"),
        ("cp1251", None),
        ("cp1251", "iso-8859-1"),
        ("cp1251", "koi8-r"),
        ("koi8_r", "koi8-r"),
        ("koi8_r", None),
        ("koi8_r", "windows-1251"),
        ("iso8859_5", "iso-8859-5"),
        ("cp866", None),
        ("utf-8", "windows-1251"),
    ],
)
def test_cyrillic_bodies_decode_whatever_is_declared(codec: str, declared: str | None) -> None:
    parsed = parse_message(raw_8bit(CYRILLIC_TEXT, codec, declared=declared))
    assert parsed.body == CYRILLIC_TEXT
    assert "C:\\Users\\Иван\\отчёт.xlsx" in parsed.body
    assert parsed.subject == CYRILLIC_SUBJECT


@pytest.mark.parametrize(
    ("text", "codec", "declared"),
    [
        ("Grüße aus München, déjà vu", "iso8859_1", "iso-8859-1"),
        ("Grüße aus München, déjà vu", "cp1252", None),
        ("Zażółć gęślą jaźń", "iso8859_2", "iso-8859-2"),
        ("Καλημέρα σας", "iso8859_7", "iso-8859-7"),
    ],
)
def test_western_and_other_single_byte_bodies(text: str, codec: str, declared: str | None) -> None:
    assert parse_message(raw_8bit(text, codec, declared=declared)).body == text


@pytest.mark.parametrize(
    ("raw_subject", "expected"),
    [
        (b"=?koi8-r?B?" + base64.b64encode("Привет".encode("koi8_r")) + b"?=", "Привет"),
        (b"=?windows-1251?Q?=CF=F0=E8=E2=E5=F2_=EC=E8=F0?=", "Привет мир"),
        # a UTF-8 character cut in half across two encoded words
        (b"=?UTF-8?B?0J/RgNC4?= =?UTF-8?B?0LI=?= =?UTF-8?B?0LXRgg==?=", "Привет"),
        (b"Re: =?UTF-8?Q?=D0=A1=D1=87=D1=91=D1=82?= [#42] ok", "Re: Счёт [#42] ok"),
        (b"=?utf-8?B?0J/RgNC40LLQtdGC?=", "Привет"),  # missing padding
        (b"=?x-unknown?Q?=CF=F0=E8=E2=E5=F2?=", "Привет"),  # unknown label: detected
        ("Привет, мир".encode("cp1251"), "Привет, мир"),  # raw 8-bit header
        (b"=?utf-8*ru?Q?=D0=94=D0=B0?=", "Да"),  # RFC 2231 language suffix
        (b"Line\x1b[31mRed\x07 and \xe2\x80\xaeevil", "Line[31mRed and evil"),  # control characters
    ],
)
def test_subjects_decode(raw_subject: bytes, expected: str) -> None:
    parsed = parse_message(headers(subject=raw_subject, message_id="<s@test>") + b"\r\nbody\r\n")
    assert parsed.subject == expected


def test_ticket_tag_in_subject() -> None:
    parsed = parse_message(headers(subject=b"Re: [#1234] printer", message_id="<t@test>") + b"\r\nx\r\n")
    assert parsed.ticket_number == 1234
    untagged = parse_message(headers(subject=b"Re: #1234 printer", message_id="<u@test>") + b"\r\nx\r\n")
    assert untagged.ticket_number is None


def test_sender_name_encoded_and_address_normalised() -> None:
    raw = headers(
        subject=b"x",
        message_id="<n@test>",
        sender=b"=?utf-8?B?" + base64.b64encode("Иван Петров".encode()) + b"?= <Ivan.Petrov@Example.RU>",
    )
    parsed = parse_message(raw + b"\r\nx\r\n")
    assert parsed.from_name == "Иван Петров"
    assert parsed.from_address == "ivan.petrov@example.ru"


@pytest.mark.parametrize(
    ("sender", "name", "address"),
    [
        (b"Smith, John <John@Example.org>", "Smith, John", "john@example.org"),
        (b"=?utf-8?q?Smith,_John?= <john@example.org>", "Smith, John", "john@example.org"),
        (b"=?utf-8?q?=1B]0;pwn=07?= <c@example.org>", "]0;pwn", "c@example.org"),
        (b'"Smith, John" <john@example.org>', "Smith, John", "john@example.org"),
        (b"john@example.org (John; Smith)", "John; Smith", "john@example.org"),
    ],
)
def test_a_display_name_with_a_comma_or_semicolon_keeps_the_sender_address(
    sender: bytes, name: str, address: str
) -> None:
    """A name with a bare comma or semicolon (some mailers write them unquoted, or inside an encoded
    word) was read as an address list: the sender became 'smith' or '=?utf-8?q?smith', no address to
    answer, no client, no acknowledgement."""
    parsed = parse_message(headers(subject=b"x", message_id="<c@test>", sender=sender) + b"\r\nx\r\n")
    assert (parsed.from_name, parsed.from_address) == (name, address)


def test_html_only_mail_becomes_readable_text() -> None:
    parsed = parse_message(html_only())
    assert "<" not in parsed.body
    assert "alert" not in parsed.body
    assert "color" not in parsed.body
    assert "заказ (https://example.com/order?id=1&x=2)" in parsed.body
    assert "«срочно» & ответьте" in parsed.body
    assert parsed.html is not None
    assert "<a href" in parsed.html
    assert parsed.subject == "HTML письмо"
    assert parsed.from_name == "Мария"


def test_attachments_and_inline_images_are_kept() -> None:
    parsed = parse_message(with_attachments())
    by_name = {attachment.filename: attachment for attachment in parsed.attachments}
    assert set(by_name) == {"logo.png", "invoice.pdf", "отчёт за май.xls"}
    assert by_name["logo.png"].inline
    assert by_name["logo.png"].content_id == "logo@x"
    assert by_name["invoice.pdf"].content_type == "application/pdf"
    assert by_name["invoice.pdf"].size == 2048
    assert by_name["отчёт за май.xls"].content == b"a;b\r\n1;2\r\n"
    assert parsed.body == "Счёт во вложении."
    assert parsed.omitted == ()


def test_five_megabyte_attachment_is_kept_whole() -> None:
    raw = with_attachments(attachment_size=5 * 1024 * 1024)
    parsed = parse_message(raw)
    pdf = next(attachment for attachment in parsed.attachments if attachment.filename == "invoice.pdf")
    assert pdf.size == 5 * 1024 * 1024
    assert pdf.content is not None
    assert len(pdf.content) == pdf.size


def test_oversize_message_keeps_text_and_names_what_was_left_out() -> None:
    raw = with_attachments(attachment_size=300_000)
    parsed = parse_message(raw, max_bytes=150_000)
    pdf = next(attachment for attachment in parsed.attachments if attachment.filename == "invoice.pdf")
    assert pdf.content is None
    assert pdf.size == 300_000
    assert any("invoice.pdf" in note and "300000 bytes" in note for note in parsed.omitted)
    assert parsed.body == "Счёт во вложении."
    small = next(attachment for attachment in parsed.attachments if attachment.filename == "logo.png")
    assert small.content is not None


def test_far_oversize_message_is_read_in_part() -> None:
    raw = with_attachments(attachment_size=900_000)
    parsed = parse_message(raw, max_bytes=100_000)
    assert parsed.omitted[0].startswith(f"message of {len(raw)} bytes")
    assert parsed.subject == "Счёт и фото"


def test_reply_separates_new_text_from_quoted_history() -> None:
    parsed = parse_message(reply(message_id="<r@test>", in_reply_to="<a@x>", references="<root@x> <a@x>"))
    assert parsed.new_text == "Спасибо, заработало."
    assert parsed.quoted_text.startswith("23.11.2026 10:00, Support пишет:")
    assert "> Перезагрузите принтер." in parsed.body
    assert parsed.in_reply_to == "<a@x>"
    assert parsed.references == ("<root@x>", "<a@x>")
    assert parsed.thread_ids == ("<a@x>", "<root@x>")


@pytest.mark.parametrize(
    ("body", "new_text"),
    [
        ("Thanks!\n\nOn Mon, 23 Nov 2026, Support <s@x.com> wrote:\n> restart it", "Thanks!"),
        ("OK\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nSubject: x\n\nold", "OK"),
        (
            "Got it\n________________________________\nFrom: Support\nSent: Monday\nTo: me\nSubject: x",
            "Got it",
        ),
        ("Готово.\n\n-------- Исходное сообщение --------\nОт: Support", "Готово."),
        ("No quote here at all.\nSecond line.", "No quote here at all.\nSecond line."),
        ("> quoted first\n> more\n\nAnswer below the quote.", "Answer below the quote."),
    ],
)
def test_quote_styles(body: str, new_text: str) -> None:
    raw = (
        headers(subject=b"Re: x", message_id="<q@test>") + b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    parsed = parse_message(raw + body.encode())
    assert parsed.new_text == new_text
    assert parsed.body == body


def test_message_ids_are_normalised() -> None:
    raw = (
        b"From: a@b.c\r\nMessage-ID:\r\n <id-1@host>\r\nIn-Reply-To: Your message of Monday <prev@host>\r\n"
        b"References: <r1@host>\r\n\t<r2@host>   <prev@host>\r\n\r\nx"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "<id-1@host>"
    assert parsed.in_reply_to == "<prev@host>"
    assert parsed.references == ("<r1@host>", "<r2@host>", "<prev@host>")


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\x01\x02", b"Content-Type: multipart/mixed\r\n\r\n--\r\n", b"\xff" * 1000):
        parsed = parse_message(raw)
        assert parsed.size == len(raw)


def test_raw_8bit_display_name_uses_the_body_charset_as_a_hint() -> None:
    raw = (
        b"From: " + "Иван".encode("koi8_r") + b" <i@x.ru>\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" + "текст".encode("koi8_r")
    )
    parsed = parse_message(raw)
    assert parsed.from_name == "Иван"
    assert parsed.body == "текст"


def test_decode_header_keeps_backslashes() -> None:
    assert decode_header("C:\\Users\\Иван") == "C:\\Users\\Иван"


def test_corpus_folder_is_the_shared_one() -> None:
    assert (Path(CORPUS) / "manifest.json").exists()


def _pem_in_text(line_ending: bytes) -> bytes:
    """A plain 7-bit text part carrying a long pasted key, beside a long base64 attachment."""
    key = b"\n".join(base64.b64encode(bytes([n % 256]) * 57) for n in range(400))
    attachment = base64.encodebytes(bytes(range(256)) * 400)
    raw = (
        b"From: a@example.com\nTo: b@example.com\nSubject: key\nMessage-ID: <pem@x>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain; charset=us-ascii\n'
        b"Content-Transfer-Encoding: 7bit\n\n-----BEGIN KEY-----\n" + key + b"\n-----END KEY-----\n--BB\n"
        b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: BASE64\n"
        b'Content-Disposition: attachment; filename="k.bin"\n\n' + attachment + b"\n--BB--\n"
    )
    return raw.replace(b"\n", line_ending)


def _padding_inside() -> bytes:
    """A base64 body made of two encodings one after the other (padding in the middle)."""
    halves = base64.encodebytes(b"x" * 30_001) + base64.encodebytes(b"y" * 30_001)
    return (
        b"From: a@example.com\nSubject: two\nMIME-Version: 1.0\nContent-Type: application/pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + halves
    )


def _base64_part(body: bytes, encoding: bytes = b"Content-Transfer-Encoding: base64\n") -> bytes:
    """A multipart message whose one part declares ``encoding`` and holds ``body``."""
    return (
        b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n"
        b"--BB\nContent-Type: application/pdf\n" + encoding + b"\n" + body + b"\n--BB--\n"
    )


_LONG_BASE64 = base64.encodebytes(bytes(range(256)) * 160)


@pytest.mark.parametrize(
    "raw",
    [
        with_attachments(attachment_size=300_000),
        with_attachments(attachment_size=300_000).replace(b"\n", b"\r\n"),
        _pem_in_text(b"\n"),
        _pem_in_text(b"\r\n"),
        _padding_inside(),
        _padding_inside().rstrip(b"\n"),
        _base64_part(_LONG_BASE64.rstrip(b"\n")[:-1]),
        _base64_part(_LONG_BASE64 + b"--not-the-boundary\nmore text\n"),
        _base64_part(_LONG_BASE64 + b"--x\n\xff\xfe 8-bit after it\n"),
        _base64_part(_LONG_BASE64, b"Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: base64\n"),
        _base64_part(_LONG_BASE64 + b"\n"),
    ],
    ids=[
        "lf",
        "crlf",
        "pem-lf",
        "pem-crlf",
        "padding-inside",
        "no-final-newline",
        "padding-missing",
        "dash-line-after",
        "8-bit-after",
        "two-encodings",
        "blank-line-after",
    ],
)
def test_setting_long_base64_bodies_aside_changes_nothing(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path (long base64 bodies kept out of the line-by-line parser, and decoded from their
    bytes) gives exactly what the standard parser alone gives, its defects included."""
    from email.parser import BytesParser
    from email.policy import compat32

    from hotline.mailbox import convert

    fast = parse_message(raw)
    monkeypatch.setattr(
        convert, "parse_source", lambda source: BytesParser(policy=compat32).parsebytes(source)
    )
    assert fast == parse_message(raw)
    assert fast.attachments or fast.body


def test_long_base64_bodies_are_set_aside_and_pasted_keys_are_not() -> None:
    from hotline.mailbox.mime_source import _set_aside_base64_bodies

    for raw in (_pem_in_text(b"\n"), _pem_in_text(b"\r\n")):
        stripped, bodies = _set_aside_base64_bodies(raw)
        assert len(bodies) == 1  # the attachment only
        assert b"-----BEGIN KEY-----" in stripped and len(stripped) < len(raw) // 2
        [body] = bodies.values()
        assert base64.b64decode(body) == bytes(range(256)) * 400
    assert _set_aside_base64_bodies(_padding_inside()) == (_padding_inside(), {})
