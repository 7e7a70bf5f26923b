"""Which mail account a ticket's reply goes out from, and what a reply may carry.

A reply is refused (``ConfigError``, exit 2, nothing written so the draft is kept) when no account can
send it: none is configured, none has an SMTP server, or none has a usable from address. Queueing a
reply that can never leave would tell the operator something that will not happen. The account whose
queue is the ticket's is preferred, then the first that can send. The settings are read by the entry
points (``MailSending.from_settings``) and passed down: core reads no configuration itself.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.core.emails import normalize_email
from hotline.core.errors import ConfigError, InvalidInput
from hotline.core.filenames import safe_filename

if TYPE_CHECKING:
    from hotline.core.settings import Settings

DEFAULT_MAX_OUTGOING_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SendingAccount:
    """A configured account as the outbox needs it."""

    name: str
    queue: str
    from_address: str | None
    """Normalised; None when the configured one is not an address."""
    has_smtp: bool

    @property
    def can_send(self) -> bool:
        return self.has_smtp and self.from_address is not None


@dataclass(frozen=True)
class OutgoingFile:
    """A file an operator attaches to a reply: its name (made safe), type and bytes."""

    filename: str
    content_type: str
    content: bytes

    @classmethod
    def named(cls, filename: str, content: bytes, content_type: str | None = None) -> OutgoingFile:
        """A file with a safe name and its type guessed from the name when not given."""
        name = safe_filename(filename)
        guessed = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(filename=name, content_type=guessed, content=content)


@dataclass(frozen=True)
class MailSending:
    """The accounts replies can go out from and the size limit of one outgoing message."""

    accounts: tuple[SendingAccount, ...] = ()
    max_outgoing_bytes: int = DEFAULT_MAX_OUTGOING_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSending:
        return cls(
            accounts=tuple(
                SendingAccount(
                    name=account.name,
                    queue=account.queue,
                    from_address=_address_or_none(account.from_address),
                    has_smtp=bool(account.smtp_host),
                )
                for account in settings.mail.accounts
            ),
            max_outgoing_bytes=settings.mail.max_outgoing_bytes,
        )

    def account_for(self, queue: str) -> SendingAccount:
        """The account a reply on a ticket in ``queue`` goes out from; ``ConfigError`` when none can."""
        able = [account for account in self.accounts if account.can_send]
        if not able:
            raise ConfigError(_why_none(self.accounts), where="mail.accounts")
        return next((account for account in able if account.queue == queue), able[0])

    def check_size(self, body: str, files: Sequence[OutgoingFile]) -> None:
        """``InvalidInput`` when the reply with its files is over the outgoing limit."""
        total = len(body.encode("utf-8")) + sum(len(item.content) for item in files)
        encoded = total * 4 // 3  # base64 in the message that goes out
        if encoded > self.max_outgoing_bytes:
            raise InvalidInput(
                f"the reply with its attachments would be {encoded:,} bytes on the wire, over the "
                f"{self.max_outgoing_bytes:,}-byte limit (mail.max_outgoing_bytes): attach less",
                where="attachments",
            )


def _address_or_none(address: str) -> str | None:
    try:
        return normalize_email(address, where="from_address")
    except InvalidInput:
        return None


def _why_none(accounts: Sequence[SendingAccount]) -> str:
    if not accounts:
        return "no mail account is configured, so a reply could never be sent; the draft is kept"
    without_smtp = [account.name for account in accounts if not account.has_smtp]
    bad_from = [account.name for account in accounts if account.has_smtp and account.from_address is None]
    reasons = []
    if without_smtp:
        reasons.append(f"no SMTP server: {', '.join(without_smtp)}")
    if bad_from:
        reasons.append(f"no usable from_address: {', '.join(bad_from)}")
    return f"no mail account can send this reply ({'; '.join(reasons)}); the draft is kept"
