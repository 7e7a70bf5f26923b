"""Phone numbers: kept as typed, plus E.164 and digits-only forms for matching."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers

from hotline.core.errors import InvalidInput

MAX_PHONE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    """A phone as typed (``raw``), its E.164 form and the digits of that form (for suffix matching)."""

    raw: str
    e164: str
    digits: str
    label: str | None = None
    """The phone's label ("work", "mobile"), when the source gave one (an export does)."""


def normalize_phone(raw: str, *, default_region: str, where: str | None = None) -> NormalizedPhone:
    """Parse a phone typed any way (``8 (495) 926-37-81``, ``+44 20 7946 0958``).

    A number without a country code is read in ``default_region`` (the settings' ``default_region``, which
    the entry points pass down). Anything that is not a possible
    phone number raises ``InvalidInput`` naming ``where``.
    """
    typed = " ".join(raw.split())
    if not typed or len(typed) > MAX_PHONE_LENGTH or not any(ch.isdigit() for ch in typed):
        raise InvalidInput(f"not a phone number: {raw[:40]!r}", where=where)
    try:
        parsed = phonenumbers.parse(typed, default_region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"not a phone number: {typed!r}", where=where) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidInput(f"not a possible phone number: {typed!r}", where=where)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return NormalizedPhone(raw=typed, e164=e164, digits=e164.lstrip("+"))


def dials_8_for_plus_7(region: str) -> bool:
    """Whether in ``region`` a ``+7`` number is dialled as ``8`` and its ten digits (Russia, Kazakhstan):
    the region's country code is 7 and its trunk prefix 8, as phonenumbers' metadata has them."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    return metadata is not None and metadata.country_code == 7 and metadata.national_prefix == "8"


def digits_of(text: str) -> str:
    """Only the ASCII digits of ``text`` (other scripts' digits are folded to ASCII first): what a phone
    fragment is matched on."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if "0" <= ch <= "9")
