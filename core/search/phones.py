"""Phone digits for lookup: what a typed number can mean, as whole numbers and as suffixes.

Stored phones are indexed by every suffix of their digits (E.164 without ``+``), so "the whole number",
"the last N digits" and "contains these digits" are all B-tree range scans. A typed number may be formatted
any way (``+7 (495) 926-37-81``, ``8 495 926 37 81``); ``exact_forms`` gives the E.164 digits it can
stand for, ``suffix_forms`` the digit strings a stored number may end with.
"""

from __future__ import annotations

import phonenumbers

from hotline.core.phones import dials_8_for_plus_7

MIN_SUFFIX_DIGITS = 3
MIN_CONTAINS_DIGITS = 4
MAX_PHONE_DIGITS = 20


def parse_typed(typed: str, digits: str, *, region: str) -> phonenumbers.PhoneNumber | None:
    """The number a typed string is, when it is a valid one for ``region`` (or has its own ``+`` code)."""
    if not 7 <= len(digits) <= 15:
        return None
    candidate = "+" + digits if typed.strip().startswith("+") else digits
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def exact_forms(typed: str, digits: str, *, region: str) -> list[str]:
    """E.164 digit strings a typed number can be: the digits as typed, and as parsed for ``region``."""
    if not 7 <= len(digits) <= 15:
        return []
    forms = [digits]
    parsed = parse_typed(typed, digits, region=region)
    if parsed is not None:
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
        if e164 not in forms:
            forms.insert(0, e164)
    return forms


def suffix_forms(typed: str, digits: str, *, region: str) -> list[str]:
    """Digit strings a stored number may end with (or contain): as typed, and the national number when a
    trunk prefix (``8`` in Russia) or a country code was typed; for the beginning of a number typed with
    that ``8``, the same digits after ``7``."""
    if len(digits) < MIN_SUFFIX_DIGITS:
        return []
    forms = [digits[:MAX_PHONE_DIGITS]]
    parsed = parse_typed(typed, digits, region=region)
    if parsed is not None:
        national = str(parsed.national_number)
        if national not in forms:
            forms.append(national)
    elif _trunk_8_begun(typed, digits, region=region):
        # 8 916 555 (a number still being typed, dialled as in Russia): the stored +7 916 555… contains
        # 7916555, not 8916555; nothing was found until the number was whole.
        forms.append("7" + digits[1:])
    return forms


def _trunk_8_begun(typed: str, digits: str, *, region: str) -> bool:
    """Whether the digits are the beginning of a national number dialled with the trunk prefix 8 in a
    region where that stands for +7: five digits or more (fewer are more likely a number's last ones),
    no ``+`` typed."""
    return (
        digits.startswith("8")
        and 5 <= len(digits) <= 11
        and not typed.strip().startswith("+")
        and dials_8_for_plus_7(region)
    )
