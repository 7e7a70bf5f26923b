"""Reading bounces: whether a message reports a failed delivery, and which of our messages it reports.

A standard DSN (RFC 3464) is ``multipart/report`` with a ``message/delivery-status`` part and the
original message (``message/rfc822``) or its headers (``text/rfc822-headers``). Many mail systems
send less: no report-type, a plain-text notice with the original pasted below. A subject that says
delivery failed counts as a bounce only beside a second sign (a mail-system sender, an attached
original, a report, or the notice's own words in the body), so a person writing "delivery failed for
my order" is still a person.

``bounce_report`` reads what the intake needs to mark our outbox row failed: the Message-IDs of the
original (in the attached message or headers, else pasted in the body), the recipients and the
server's reason, and a VERP token (``…+bounce-<outbox id>@…``) in the addresses it was sent to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from hotline.mailbox.message import ParsedMessage

BOUNCE_SUBJECT = re.compile(
    r"undeliver(ed|able)|returned mail|non[- ]?delivery|non remis|delivery (status )?notification"
    r"|delivery (failure|failed|has failed|problem|report|warning|delayed)"
    r"|(mail|message) delivery (failed|failure)"
    r"|mail delivery (problem|system error|warning)|failure notice|failed mail|mail system error"
    r"|(automatically )?rejected (mail|message)|(mail|message) rejected"
    r"|(mail|message) could not be delivered|could not deliver|warning: message .* delayed|message delayed"
    r"|недоставленное сообщение|не удалось доставить|邮件传输失败|退信",
    re.IGNORECASE,
)
MACHINE_SENDER = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|mdaemon|postmaster|mail[-_.]?delivery|ndr|nobody|root"
    r"|\"?system administrator\"?"
    r"|[^@]*(smtp|mail[-_.]?service|mail[-_.]?delivery|antivirus|mailer)[^@]*)(@|$)"
    r"|^[^@]+$",
    re.IGNORECASE,
)
_NOTICE_WORDS = re.compile(
    r"(could|can)\s*not be delivered|could not deliver|failed recipient"
    r"|delivery to the following recipient|permanent(ly)? (error|fatal)|mailbox (unavailable|is full|full)"
    r"|user unknown|unknown user|no such (user|recipient)|smtp error|original message follows"
    r"|has been postponed|returned mail|delivery has failed|\b[45]\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE,
)
_ORIGINAL_PARTS = ("message/rfc822", "text/rfc822-headers")
_MESSAGE_ID_LINE = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,990}>)", re.IGNORECASE | re.MULTILINE)
_VERP = re.compile(r"\+bounce-(\d{1,18})@", re.IGNORECASE)
_FIELD = re.compile(
    r"^(final-recipient|original-recipient|status|diagnostic-code|action)\s*:\s*(.+)$", re.I | re.M
)


def bounce_signs(message: ParsedMessage) -> list[str]:
    """Why ``message`` reads as a delivery failure (or delay); empty when it does not."""
    signs: list[str] = []
    if message.content_type == "multipart/report" and (message.report_type or "").lower() in (
        "",
        "delivery-status",
    ):
        signs.append(f"multipart/report; report-type={message.report_type or '(none)'}")
    if "message/delivery-status" in message.part_types:
        signs.append("message/delivery-status part")
    if signs:
        return signs
    if not BOUNCE_SUBJECT.search(message.subject):
        return []
    second = _second_sign(message)
    return [f"delivery-failure subject and {second}"] if second else []


def _second_sign(message: ParsedMessage) -> str | None:
    if MACHINE_SENDER.match(message.from_address or ""):
        return f"a mail-system sender ({message.from_address or 'no address'})"
    if any(kind in message.part_types for kind in _ORIGINAL_PARTS):
        return "the original message attached"
    if message.content_type == "multipart/report":
        return "a report"
    if (message.header("Auto-Submitted") or "no").strip().lower() != "no":
        return "Auto-Submitted"
    if (message.header("Precedence") or "").strip().lower() in ("bulk", "junk", "list"):
        return "Precedence"
    found = _NOTICE_WORDS.search(message.body[:20_000])
    return f"a delivery notice in the body ({found.group()!r})" if found else None


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says about the message that failed."""

    original_ids: tuple[str, ...]
    """Message-IDs of the original, as the bounce quotes them (attached part first, then the body)."""
    verp_ids: tuple[int, ...]
    """Outbox ids named by a VERP address the bounce was sent to."""
    reason: str
    """The server's words: status, diagnostic and recipient, or the notice's first lines."""


def bounce_report(message: ParsedMessage) -> BounceReport:
    """The originals a bounce names and its reason (a bounce that names none matches nothing)."""
    ids: list[str] = []
    status_text = ""
    for item in message.attachments:
        if item.content is None:
            continue
        if item.content_type in _ORIGINAL_PARTS:
            ids.extend(_header_ids(item.content))
        elif item.content_type == "message/delivery-status":
            status_text = item.content.decode("utf-8", "replace")
    ids.extend(match.group(1) for match in _MESSAGE_ID_LINE.finditer(message.body[:200_000]))
    own = message.message_id
    original_ids = tuple(dict.fromkeys(found for found in ids if found != own))
    addresses = [*message.to_addresses, *(v for k, v in message.headers if k.lower() in _VERP_HEADERS)]
    verp = tuple(dict.fromkeys(int(m.group(1)) for a in addresses for m in _VERP.finditer(a)))
    return BounceReport(original_ids=original_ids, verp_ids=verp, reason=_reason(status_text, message))


_VERP_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to")


def _header_ids(content: bytes) -> list[str]:
    """The Message-ID of an attached original (a whole message, or only its headers)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(content)
    found = re.findall(r"<[^<>\s]{1,990}>", str(headers.get("Message-ID", "")))
    return found[:1]


def _reason(status_text: str, message: ParsedMessage) -> str:
    """The server's reason in one line: the DSN's fields, else the first lines of the notice."""
    fields: dict[str, str] = {}
    for name, value in _FIELD.findall(status_text):
        fields.setdefault(name.lower(), " ".join(value.split()))
    if fields:
        parts = [
            fields.get("diagnostic-code", ""),
            f"status {fields['status']}" if "status" in fields else "",
            f"action {fields['action']}" if "action" in fields else "",
            f"for {fields['final-recipient']}" if "final-recipient" in fields else "",
        ]
        return "; ".join(part for part in parts if part)[:1000]
    lines = [
        line.strip() for line in message.body.splitlines() if line.strip() and set(line.strip()) != {"*"}
    ]
    return " ".join(lines[:4])[:1000] or message.subject
