"""What the intake takes: a converted message as plain data, and the account it came from.

The mailbox face converts raw bytes (``hotline.mailbox.convert``) into an ``IncomingMail``, in this
process or in a worker process, so core needs nothing from the face. ``MailboxRef`` carries what the
intake follows for the account, read from the settings once. Nothing here touches the database: a
conversion worker imports this module and no more of core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.settings import MailAccount, Settings


@dataclass(frozen=True)
class MailFile:
    """An attachment as the intake needs it; ``content`` None means left out for the size limit."""

    filename: str
    content_type: str
    size: int
    content: bytes | None
    inline: bool = False


@dataclass(frozen=True)
class BounceOf:
    """What a bounce (DSN) says about the message that failed, to find it in our outbox."""

    original_ids: tuple[str, ...] = ()
    """Message-IDs of the original as the bounce quotes it."""
    verp_ids: tuple[int, ...] = ()
    """Outbox ids named by the VERP address the bounce was sent to."""
    reason: str = ""
    """The server's reason (status, diagnostic, recipient)."""


@dataclass(frozen=True)
class IncomingMail:
    """A converted message: display-safe text, addresses, threading keys and the loop verdict."""

    message_id: str | None
    subject: str
    from_address: str
    from_name: str
    thread_ids: tuple[str, ...] = ()
    ticket_number: int | None = None
    new_text: str = ""
    quoted_text: str = ""
    to_addresses: tuple[str, ...] = ()
    cc_addresses: tuple[str, ...] = ()
    date: datetime | None = None
    attachments: tuple[MailFile, ...] = ()
    omitted: tuple[str, ...] = ()
    automated_kind: str | None = None
    """None for mail from a person; else bounce, auto-reply, auto-generated, list or bulk."""
    automated_reasons: tuple[str, ...] = ()
    size: int = 0
    content_digest: str | None = None
    """What the sender wrote, hashed (``hotline.mailbox.digest``): with the Message-ID, what makes a
    delivery a duplicate."""
    charset_guesses: tuple[str, ...] = ()
    """Where the charset was guessed (label missing, unknown or wrong) and how it was read."""
    bounce: BounceOf | None = None
    """Set for a bounce: which of our messages it may report as undelivered."""
    original: tuple[tuple[str, str], ...] = ()
    """The text parts exactly as the client wrote them, (content type, text): the display text is
    made printable, split from its quotes, and HTML rendered; this is kept unchanged beside it."""

    @property
    def sender_message_id(self) -> str | None:
        """The Message-ID the sender gave: the only thing that shows two deliveries are one message.
        None for mail that had none: its stand-in (``synthetic_message_id``) names its content, and two
        monitoring alerts alike to the byte are still two alerts (their UIDs keep a rerun exactly-once)."""
        message_id = self.message_id
        return None if message_id is None or is_synthetic_id(message_id) else message_id


@dataclass(frozen=True)
class MailboxRef:
    """The account a message came from, and the settings its intake follows."""

    name: str
    queue: str
    from_address: str
    acknowledge: bool
    """Whether new tickets from this account's mail are acknowledged at all."""
    acknowledgements_per_day: int
    """At most this many acknowledgements to one sender a day (two auto-answering systems cannot loop)."""
    default_region: str
    """Country for phone numbers typed without a country code, for the clients the intake creates."""
    can_send: bool = True
    """Whether the account has an SMTP server: an acknowledgement it cannot send is not queued (it
    would wait in the outbox for ever and make every ``hotline mail send`` fail)."""
    other_addresses: tuple[str, ...] = ()
    """The from addresses of the installation's other accounts: mail from one of them is ours too (no
    client is made for it, and it is not acknowledged: hotline does not write to itself)."""

    @classmethod
    def from_settings(cls, account: MailAccount, settings: Settings) -> MailboxRef:
        """The account as configured; the cap and the region are the installation's."""
        return cls(
            name=account.name,
            queue=account.queue,
            from_address=account.from_address,
            acknowledge=account.acknowledge,
            acknowledgements_per_day=settings.mail.acknowledgements_per_sender_per_day,
            default_region=settings.default_region,
            can_send=bool(account.smtp_host),
            other_addresses=tuple(
                other.from_address for other in settings.mail.accounts if other.name != account.name
            ),
        )


SYNTHETIC_PREFIX, SYNTHETIC_DOMAIN = "<sha256.", "@hotline.invalid>"


def is_synthetic_id(message_id: str) -> bool:
    """Whether ``message_id`` has the form of a stand-in (``synthetic_message_id``)."""
    return message_id.startswith(SYNTHETIC_PREFIX) and message_id.endswith(SYNTHETIC_DOMAIN)


def synthetic_message_id(content_digest: str) -> str:
    """A stand-in Message-ID for mail that has none, from its content digest, kept on its event and
    record; never taken as proof that two deliveries are one (``IncomingMail.sender_message_id``)."""
    return f"{SYNTHETIC_PREFIX}{content_digest[:40]}{SYNTHETIC_DOMAIN}"
