"""Converted mail as the core intake takes it, made in this process or in a worker process.

``convert_for_intake`` never raises for a message it cannot read: the failure comes back as a
``ConversionFailed`` value (picklable, so a worker process can hand it over), to be recorded as a
failed message. Anything else a worker raises is the worker's trouble, not the message's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hotline.core.services.mail.incoming import BounceOf, IncomingMail, MailFile, synthetic_message_id
from hotline.mailbox.bounces import bounce_report
from hotline.mailbox.convert import parse_message
from hotline.mailbox.digest import content_digest
from hotline.mailbox.loops import MailKind, classify
from hotline.mailbox.message import ParsedMessage

Converter = Callable[..., ParsedMessage]


class ConversionFailed(Exception):
    """A message the converter could not read; handed back as a value, recorded as a failed message."""


def convert_for_intake(
    raw: bytes, max_bytes: int, converter: Converter = parse_message
) -> IncomingMail | ConversionFailed:
    """Conversion as the worker process (or this one) runs it: the result, or the failure as a value."""
    try:
        return to_incoming(converter(raw, max_bytes=max_bytes), raw)
    except Exception as error:  # any message-specific failure is recorded, never fatal
        return ConversionFailed(f"{type(error).__name__}: {error}")


def convert_group(raws: list[bytes], max_bytes: int) -> list[IncomingMail | ConversionFailed]:
    """A group's conversions, as the worker process runs them (each failure a value, in order). Here,
    not beside the pool in ``conversion``, so that the worker does not import asyncio."""
    return [convert_for_intake(raw, max_bytes) for raw in raws]


def worker_ready() -> None:
    """The first task of a new worker: it starts the process (and its imports) before mail arrives."""


def to_incoming(parsed: ParsedMessage, raw: bytes) -> IncomingMail:
    """The converted message as the core intake takes it (with the loop verdict)."""
    verdict = classify(parsed)
    digest = content_digest(raw)
    return IncomingMail(
        message_id=parsed.message_id or synthetic_message_id(digest),
        content_digest=digest,
        subject=parsed.subject,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        thread_ids=parsed.thread_ids,
        ticket_number=parsed.ticket_number,
        new_text=parsed.new_text,
        quoted_text=parsed.quoted_text,
        to_addresses=parsed.to_addresses,
        cc_addresses=parsed.cc_addresses,
        date=parsed.date,
        attachments=tuple(
            MailFile(
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                content=item.content,
                inline=item.inline,
            )
            for item in parsed.attachments
        ),
        omitted=parsed.omitted,
        automated_kind=None if not verdict.automated else verdict.kind.value,
        automated_reasons=verdict.reasons,
        size=parsed.size,
        charset_guesses=parsed.charset_guesses,
        original=parsed.original,
        bounce=_bounce_of(parsed) if verdict.kind is MailKind.BOUNCE else None,
    )


def _bounce_of(parsed: ParsedMessage) -> BounceOf:
    report = bounce_report(parsed)
    return BounceOf(original_ids=report.original_ids, verp_ids=report.verp_ids, reason=report.reason)


def sniff_message_id(raw: bytes) -> str | None:
    """The Message-ID read straight from the header bytes, for mail the converter could not read."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(
        rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,990}>)", head, re.IGNORECASE | re.MULTILINE
    )
    return match.group(1).decode("ascii", "replace") if match else None
