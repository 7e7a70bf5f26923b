"""Demo phone numbers typed the many ways people type them, with their E.164 and digits forms.

Calling ``phonenumbers`` per row would cost more than the whole load, so each number is built from its
parts (country code + a real area code or mobile prefix + random subscriber digits) and its E.164 form is
known by construction; the tests check that ``hotline.core.phones.normalize_phone`` reads every stored
``raw`` back to the same E.164. Every number made by one ``PhoneMaker`` is unique (a drawn number that
was used already is drawn again), so unrelated demo clients never share a phone.
National formats (``8 916 …``, ``(212) 555-0100``) are only used for the configured default region,
because that is the only region in which they normalise to the intended number.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Each country: (country code, prefixes of one length, subscriber digits after the prefix). The subscriber
# part never starts with 0 or 1, so every number is a possible one and reads the same in every format.
RU_PREFIXES = (
    "495", "499", "812", "813", "843", "383", "343", "831", "846", "863", "861", "473", "342", "345",
    "351", "391", "423", "901", "902", "903", "904", "905", "906", "908", "909", "910", "911",
    "912", "913", "915", "916", "917", "918", "919", "920", "921", "925", "926", "927", "928", "929",
    "950", "951", "952", "953", "960", "961", "962", "963", "964", "965", "977", "978", "980", "981",
    "985", "987", "988", "989", "991", "993", "995", "996", "999",
)  # fmt: skip
GB_LONDON = ("207", "203")  # 020 7xxx xxxx, 020 3xxx xxxx
GB_PREFIXES = (
    *GB_LONDON, "161", "113", "131", "121", "117", "141", "151", "114", "115", "118", "191",
    "740", "741", "745", "747", "750", "751", "752", "757", "770", "771", "772", "776", "780", "781",
    "782", "783", "790", "791", "792", "793", "795", "796", "797", "798",
)  # fmt: skip
US_PREFIXES = (
    "212", "646", "718", "917", "617", "857", "312", "773", "415", "628", "202", "305", "786", "213",
    "310", "323", "206", "503", "512", "713", "214", "404", "303", "602", "702", "215", "412", "313",
    "612", "314", "504", "615", "704", "919", "801",
)  # fmt: skip
DE_PREFIXES = ("30", "40", "89", "69")
SUBSCRIBER_DIGITS = {"RU": 7, "GB": 7, "US": 7, "DE": 8}
PREFIXES = {"RU": RU_PREFIXES, "GB": GB_PREFIXES, "US": US_PREFIXES, "DE": DE_PREFIXES}
COUNTRY_CODES = {"RU": "7", "GB": "44", "US": "1", "DE": "49"}
COUNTRY_INDEX = {"RU": 0, "GB": 1, "US": 2, "DE": 3}
assert all(len(set(prefixes)) == len(prefixes) for prefixes in PREFIXES.values()), "a prefix twice"


def _ru(area: str, local: str, style: int) -> str:
    a, b, c = local[:3], local[3:5], local[5:]
    if style == 0:
        return f"+7 ({area}) {a}-{b}-{c}"
    if style == 1:
        return f"+7{area}{local}"
    if style == 2:
        return f"+7 {area} {a} {b} {c}"
    if style == 3:
        return f"+7-{area}-{a}-{b}-{c}"
    if style == 4:
        return f"8 {area} {a} {b} {c}"
    if style == 5:
        return f"8 ({area}) {a}-{b}-{c}"
    if style == 6:
        return f"8{area}{local}"
    if style == 7:
        return f"8-{area}-{a}-{b}-{c}"
    return f"({area}) {a}-{b}-{c}"


def _gb(prefix: str, local: str, style: int) -> str:
    national = prefix + local
    if prefix in GB_LONDON:
        area, rest = "20", f"{national[2:6]} {national[6:]}"
    elif prefix[0] == "7":
        area, rest = national[:4], national[4:]
    else:
        area, rest = prefix, f"{local[:3]} {local[3:]}"
    return (
        f"+44 {area} {rest}",
        f"+44{national}",
        f"+44 ({area}) {rest.replace(' ', '')}",
        f"0{area} {rest}",
        f"(0{area}) {rest.replace(' ', '')}",
    )[style % 5]


def _us(area: str, local: str, style: int) -> str:
    line = f"{local[:3]}-{local[3:]}"
    return (
        f"+1 ({area}) {line}",
        f"+1 {area} {local[:3]} {local[3:]}",
        f"+1-{area}-{line}",
        f"+1{area}{local}",
        f"({area}) {line}",
        f"{area}-{line}",
        f"{area}.{local[:3]}.{local[3:]}",
    )[style % 7]


def _de(area: str, local: str, style: int) -> str:
    return (
        f"+49 {area} {local}",
        f"+49 ({area}) {local[:4]} {local[4:]}",
        f"+49{area}{local}",
        f"0{area} {local}",
        f"0{area}/{local}",
    )[style % 5]


_TYPERS: dict[str, Callable[[str, str, int], str]] = {"RU": _ru, "GB": _gb, "US": _us, "DE": _de}
INTERNATIONAL_STYLES = {"RU": 4, "GB": 3, "US": 4, "DE": 3}
"""The first styles of each typer are international (``+…``); the rest are national."""
ALL_STYLES = {"RU": 9, "GB": 5, "US": 7, "DE": 5}


class PhoneMaker:
    """Makes unique ``(raw, e164, digits)`` for a country, typed in a style valid in ``default_region``."""

    def __init__(self, rng: random.Random, default_region: str) -> None:
        self.rnd = rng.random
        self.default_region = default_region.upper()
        self.used: set[int] = set()
        self._countries = {
            country: (
                PREFIXES[country],
                len(PREFIXES[country]),
                8 * 10 ** (SUBSCRIBER_DIGITS[country] - 1),
                2 * 10 ** (SUBSCRIBER_DIGITS[country] - 1),
                COUNTRY_CODES[country],
                COUNTRY_INDEX[country],
                _TYPERS[country],
                ALL_STYLES[country] if country == self.default_region else INTERNATIONAL_STYLES[country],
            )
            for country in PREFIXES
        }

    def make(self, country: str) -> tuple[str, str, str]:
        prefixes, count, span, lowest, code, index, typer, styles = self._countries[country]
        rnd, used = self.rnd, self.used
        while True:  # a repeat is rare (millions of numbers out of hundreds of millions per country)
            drawn = int(rnd() * count * span)
            key = drawn * 4 + index
            if key not in used:
                used.add(key)
                break
        which, subscriber = divmod(drawn, span)
        prefix, local = prefixes[which], str(lowest + subscriber)
        digits = code + prefix + local
        return typer(prefix, local, int(rnd() * styles)), "+" + digits, digits
