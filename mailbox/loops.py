"""Recognising mail that must never be acknowledged: bounces, auto-replies, mailing-list and bulk mail.

Answering such mail is how two systems end up mailing each other thousands of times. The signals are
RFC 3834 (``Auto-Submitted``), the de-facto headers (``Precedence``, ``X-Autoreply``, ``X-Autorespond``,
``X-Auto-Response-Suppress``, vendor vacation markers), RFC 2369/2919 list headers, a null return path,
delivery-status reports (RFC 3464, ``multipart/report``) and the sender addresses of mail systems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from hotline.mailbox.bounces import bounce_signs
from hotline.mailbox.message import ParsedMessage


class MailKind(StrEnum):
    """What sort of sender a message comes from, as far as loops are concerned."""

    PERSON = "person"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto-reply"
    AUTO_GENERATED = "auto-generated"
    LIST = "list"
    BULK = "bulk"


@dataclass(frozen=True, slots=True)
class LoopVerdict:
    """The kind of message and the evidence; ``automated`` means never answer it automatically."""

    kind: MailKind
    reasons: tuple[str, ...] = ()

    @property
    def automated(self) -> bool:
        return self.kind is not MailKind.PERSON


_DAEMON_SENDERS = re.compile(r"^(mailer-daemon|mailerdaemon|mdaemon|mail-daemon)@", re.IGNORECASE)
_SYSTEM_SENDERS = re.compile(r"^(postmaster|mailer|mail-delivery)@", re.IGNORECASE)
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|noreply-[\w.-]+|bounces?(\+[^@]*)?)@", re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    # An autoresponder's phrase as the whole subject or before a colon ("Out of Office: <subject>",
    # "Out of Office AutoReply: …"): a person's "Out of office printer broken" or "On vacation, card
    # blocked abroad" is a person's mail, acknowledged, and reopens her ticket.
    r"^(auto(matic)?[ -]?(reply|response|respons|answer)|out of (the )?office|away from (the )?office"
    r"|on vacation|vacation reply|автоответ|автоматический ответ|abwesenheitsnotiz|réponse automatique)"
    r"(\s+auto[ -]?reply)?\s*(:|[.!]*$)"
    # Outlook's "Automatic reply:" in other languages, wherever the subject puts it
    r"|\b(automatische antwort|respuesta automática|risposta automatica|resposta automática"
    r"|automatisch antwoord|automatyczna odpowiedź|automatisk svar|automaattinen vastaus"
    r"|automatická odpověď|automatikus válasz|automātiskā atbilde|automatiska atbilde"
    r"|automatinis atsakymas|automaatne vastus|otomatik yanıt|αυτόματη απάντηση)\s*:",
    re.IGNORECASE,
)
_VENDOR_AUTO_REPLY = (
    "x-autoreply", "x-autorespond", "x-autoresponder", "x-mail-autoreply", "x-autoreply-from",
    "x-vacation", "x-apple-action", "x-fc-machinegenerated",
)  # fmt: skip
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "x-mailing-list", "mailing-list", "list-help")


def classify(message: ParsedMessage) -> LoopVerdict:
    """Decide whether a message comes from a person or from a machine (and which kind of machine)."""
    reasons: list[str] = []
    kind = MailKind.PERSON

    def note(new_kind: MailKind, reason: str) -> None:
        nonlocal kind
        reasons.append(reason)
        if _RANK[new_kind] > _RANK[kind]:
            kind = new_kind

    for sign in bounce_signs(message):
        note(MailKind.BOUNCE, sign)
    report_type = (message.report_type or "").lower()
    if message.content_type == "multipart/report" and report_type not in ("", "delivery-status"):
        note(MailKind.AUTO_GENERATED, f"multipart/report; report-type={report_type}")
    auto_submitted = (message.header("Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        replied = auto_submitted.startswith("auto-replied")
        note(MailKind.AUTO_REPLY if replied else MailKind.AUTO_GENERATED, f"Auto-Submitted: {auto_submitted}")
    precedence = (message.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk"):
        note(MailKind.BULK, f"Precedence: {precedence}")
    elif precedence == "list":
        note(MailKind.LIST, "Precedence: list")
    elif precedence == "auto_reply":
        note(MailKind.AUTO_REPLY, "Precedence: auto_reply")
    for name in _VENDOR_AUTO_REPLY:
        if message.header(name) is not None:
            note(MailKind.AUTO_REPLY, f"{name} header")
    suppress = (message.header("X-Auto-Response-Suppress") or "").lower()
    if suppress and any(token in suppress for token in ("all", "oof", "autoreply")):
        note(MailKind.AUTO_GENERATED, f"X-Auto-Response-Suppress: {suppress}")
    for name in _LIST_HEADERS:
        if message.header(name) is not None:
            note(MailKind.LIST, f"{name} header")
            break
    return_path = (message.return_path or "").strip()
    if return_path in ("<>", "") and message.header("Return-Path") is not None:
        note(MailKind.AUTO_GENERATED, "null return path")
    sender = message.from_address
    has_from = message.header("From") is not None
    if _DAEMON_SENDERS.match(sender) or (has_from and sender in ("", "<>")):
        note(MailKind.BOUNCE, f"sent by a mail system ({sender or 'no address'})")
    elif _SYSTEM_SENDERS.match(sender):
        note(MailKind.AUTO_GENERATED, f"sent by a mail system ({sender})")
    elif _NO_REPLY.match(sender):
        note(MailKind.AUTO_GENERATED, f"no-reply sender {sender}")
    if _AUTO_REPLY_SUBJECT.search(message.subject):
        note(MailKind.AUTO_REPLY, "auto-reply subject")
    return LoopVerdict(kind=kind, reasons=tuple(reasons))


_RANK = {
    MailKind.PERSON: 0,
    MailKind.LIST: 1,
    MailKind.BULK: 2,
    MailKind.AUTO_GENERATED: 3,
    MailKind.AUTO_REPLY: 4,
    MailKind.BOUNCE: 5,
}
