"""Email addresses: normalised so that one address always matches itself."""

from __future__ import annotations

import re
from email.utils import getaddresses

from hotline.core.errors import InvalidInput

_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_EMAIL_LENGTH = 320


def normalize_email(raw: str, *, where: str | None = None) -> str:
    """Lower-case an address and encode its domain as IDNA (``Иван@Почта.рф`` keeps its local part).

    Raises ``InvalidInput`` for anything that is not one plausible address.
    """
    address = raw.strip().strip("<>").strip()
    if not address or len(address) > MAX_EMAIL_LENGTH or address.count("@") != 1:
        raise InvalidInput(f"not an email address: {raw[:60]!r}", where=where)
    local, domain = address.rsplit("@", 1)
    if not local or not domain or not _valid_local(local):
        raise InvalidInput(f"not an email address: {address!r}", where=where)
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidInput(f"not an email domain: {domain!r}", where=where) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidInput(f"not an email domain: {domain!r}", where=where)
    return f"{local.lower()}@{ascii_domain}"


def typed_address(raw: str, *, where: str) -> str:
    """One address an operator or a script typed, normalised: ``Иван <ivan@пример.рф>`` is its address;
    two addresses, a line break (a header of its own in the mail) or a phrase are refused."""
    control = next((char for char in raw if not char.isprintable()), None)
    if control is not None:
        raise InvalidInput(f"not an email address: it holds U+{ord(control):04X}", where=where)
    found = getaddresses([raw]) if "<" in raw else [("", raw)]
    if len(found) != 1:
        raise InvalidInput(f"one email address, not {len(found)}: {raw[:60]!r}", where=where)
    return normalize_email(found[0][1] or raw, where=where)


def _valid_local(local: str) -> bool:
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    # Internationalised local parts (RFC 6531) are allowed; only ASCII is checked character by character.
    return all(_LOCAL_PART.match(ch) or not ch.isascii() for ch in local)


def domain_of(address: str) -> str:
    """The domain of a normalised address."""
    return address.rsplit("@", 1)[-1]
