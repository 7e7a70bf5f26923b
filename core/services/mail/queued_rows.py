"""What ``mail send`` checks of an outbox row before sending it: that hotline could have queued it.

On PostgreSQL an operator's database role holds ``INSERT`` and ``UPDATE`` on the outbox (hotline queues
her replies), so in SQL it could queue a mail from another sender or with recipients no hotline mail has
(``Bcc``, ``Cc``) that the account's SMTP server would then send. Hotline writes only a few headers, and a
``From`` only with the sending account's address: a row with anything else fails, unsent.
"""

from __future__ import annotations

from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.services.mail.delivery import Delivery

QUEUED_HEADERS = frozenset({"from", "subject", "auto-submitted", "x-auto-response-suppress"})
"""The headers hotline puts in an outbox row (``outbox.enqueue_mail`` and its callers), lower-case: a
``Subject`` there is one longer than the subject column, sent whole (an operator may write any subject
anyway)."""


def not_queued_by_hotline(delivery: Delivery, *, from_address: str) -> str | None:
    """Why hotline would never have queued ``delivery`` to go out from ``from_address``, or None."""
    for name, value in delivery.headers.items():
        if str(name).lower() not in QUEUED_HEADERS:
            return f"header {str(name)[:80]!r} is not one hotline queues"
        if str(name).lower() == "from" and not _same_sender(str(value), from_address):
            return f"From {str(value)[:200]!r} is not the account's address {from_address!r}"
    return None


def _same_sender(value: str, from_address: str) -> bool:
    """The header names the account's sender: its address (any case), with its display name or none."""
    found = getaddresses([value])
    if len(found) != 1 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return False
    name, address = found[0]
    own_name, own_address = parseaddr(from_address)
    if not address or address.lower() != own_address.lower():
        return False
    return name in ("", own_name)
