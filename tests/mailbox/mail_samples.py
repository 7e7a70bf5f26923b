"""Generated test messages: the shapes and charsets real mail has, built byte by byte.

Used by the conversion tests, the poller tests and the mail benchmark.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

CYRILLIC_TEXT = "Здравствуйте! Не работает принтер в бухгалтерии, путь к файлу C:\\Users\\Иван\\отчёт.xlsx."
CYRILLIC_SUBJECT = "Не работает принтер"
DATE = format_datetime(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def headers(
    *,
    subject: bytes,
    message_id: str,
    sender: bytes = b"Ivan <ivan@example.ru>",
    extra: bytes = b"",
) -> bytes:
    return (
        b"From: " + sender + b"\r\nTo: support@example.com\r\nSubject: " + subject + b"\r\n"
        b"Date: " + DATE.encode() + b"\r\nMessage-ID: " + message_id.encode() + b"\r\n" + extra
    )


def raw_8bit(text: str, codec: str, *, declared: str | None, message_id: str = "<raw@test>") -> bytes:
    """A text/plain message whose body is ``text`` in ``codec``, declared as ``declared`` (or not at all)."""
    content_type = b"text/plain" + (f"; charset={declared}".encode() if declared else b"")
    return (
        headers(
            subject=b"=?utf-8?B?" + base64.b64encode(CYRILLIC_SUBJECT.encode()) + b"?=", message_id=message_id
        )
        + b"MIME-Version: 1.0\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode(codec).replace(b"\n", b"\r\n")
        + b"\r\n"
    )


def html_only(message_id: str = "<html@test>") -> bytes:
    html = (
        "<html><head><style>p { color: red }</style><script>alert('x')</script></head><body>"
        "<p>Добрый день,</p><p>посмотрите <a href='https://example.com/order?id=1&amp;x=2'>заказ</a>"
        " &laquo;срочно&raquo; &amp; ответьте.</p><ul><li>один</li><li>два</li></ul></body></html>"
    )
    part = MIMEText(html, "html", "utf-8")
    part["From"] = formataddr(("Мария", "maria@example.ru"))
    part["To"] = "support@example.com"
    part["Subject"] = Header("HTML письмо", "utf-8").encode()
    part["Message-ID"] = message_id
    part["Date"] = DATE
    return part.as_bytes()


def with_attachments(
    *,
    message_id: str = "<att@test>",
    attachment_size: int = 2048,
    seed: int = 1,
    subject: str = "Счёт и фото",
) -> bytes:
    """multipart/mixed: a text body, a related HTML alternative with an inline image, a PDF-ish file and
    a file with a Cyrillic RFC 2231 name."""
    rng = random.Random(seed)
    outer = MIMEMultipart("mixed")
    outer["From"] = formataddr(("Пётр Сидоров", "petr@example.ru"))
    outer["To"] = "support@example.com"
    outer["Subject"] = Header(subject, "utf-8").encode()
    outer["Message-ID"] = message_id
    outer["Date"] = DATE
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Счёт во вложении.", "plain", "utf-8"))
    related = MIMEMultipart("related")
    related.attach(MIMEText('<p>Счёт во вложении.</p><img src="cid:logo@x">', "html", "utf-8"))
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo@x>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    related.attach(image)
    alternative.attach(related)
    outer.attach(alternative)
    document = MIMEApplication(rng.randbytes(attachment_size), "pdf")
    document.add_header("Content-Disposition", "attachment", filename="invoice.pdf")
    outer.attach(document)
    sheet = MIMEApplication(b"a;b\r\n1;2\r\n", "vnd.ms-excel")
    sheet.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "отчёт за май.xls"))
    outer.attach(sheet)
    return outer.as_bytes()


def reply(
    *,
    message_id: str,
    subject: str = "Re: вопрос",
    in_reply_to: str | None = None,
    references: str | None = None,
    sender: str = "ivan@example.ru",
    text: str = "Спасибо, заработало.",
    extra: bytes = b"",
) -> bytes:
    body = f"{text}\n\n23.11.2026 10:00, Support пишет:\n> Перезагрузите принтер.\n> --\n> Support\n"
    part = MIMEText(body, "plain", "utf-8")
    part["From"] = sender
    part["To"] = "support@example.com"
    part["Subject"] = Header(subject, "utf-8").encode()
    part["Message-ID"] = message_id
    part["Date"] = DATE
    if in_reply_to:
        part["In-Reply-To"] = in_reply_to
    if references:
        part["References"] = references
    raw = part.as_bytes()
    if extra:
        raw = extra + raw
    return raw


def plain(
    *, message_id: str, subject: str = "Hello", sender: str = "client@example.com", body: str = "Hi there.",
    extra: bytes = b"",
) -> bytes:  # fmt: skip
    part = MIMEText(body, "plain", "utf-8")
    part["From"] = sender
    part["To"] = "support@example.com"
    part["Subject"] = Header(subject, "utf-8").encode()
    part["Message-ID"] = message_id
    part["Date"] = DATE
    return extra + part.as_bytes()


def deeply_nested(depth: int = 3000, message_id: str = "<deep@test>") -> bytes:
    """multipart inside multipart ``depth`` times: Python's email parser gives up (RecursionError)."""
    raw = (
        b"From: attacker@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\nMessage-ID: "
        + message_id.encode()
    )
    raw += b"\r\n"
    for level in range(depth):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
    raw += b"Content-Type: text/plain\r\n\r\nhi\r\n"
    for level in reversed(range(depth)):
        raw += b"--b%d--\r\n" % level
    return raw
