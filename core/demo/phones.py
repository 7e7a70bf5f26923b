"""Demo phone numbers typed the many ways people type them, with their E.164 and digits forms.

Calling ``phonenumbers`` per row would cost more than the whole load, so each number is built from its
parts (country code + national number) and its E.164 form is known by construction; the tests check that
``hotline.core.phones.normalize_phone`` reads every stored ``raw`` back to the same E.164.
National formats (``8 916 …``, ``(212) 555-0100``) are only used for the configured default region,
because that is the only region in which they normalise to the intended number.
"""

from __future__ import annotations

import random
from collections.abc import Callable

RU_AREAS = ("495", "499", "812", "843", "383", "343", "916", "903", "905", "925", "926", "985", "977", "999")
GB_AREAS = ("20", "161", "113", "131", "7700", "7911")
US_AREAS = ("212", "646", "617", "312", "415", "202", "305", "718")
DE_AREAS = ("30", "40", "89", "69")


def _ru(rnd: Callable[[], float], national_ok: bool) -> tuple[str, str]:
    area = RU_AREAS[int(rnd() * len(RU_AREAS))]
    local = str(2_000_000 + int(rnd() * 8_000_000))
    a, b, c = local[:3], local[3:5], local[5:]
    style = int(rnd() * (9 if national_ok else 4))
    if style == 0:
        raw = f"+7 ({area}) {a}-{b}-{c}"
    elif style == 1:
        raw = f"+7{area}{local}"
    elif style == 2:
        raw = f"+7 {area} {a} {b} {c}"
    elif style == 3:
        raw = f"+7-{area}-{a}-{b}-{c}"
    elif style == 4:
        raw = f"8 {area} {a} {b} {c}"
    elif style == 5:
        raw = f"8 ({area}) {a}-{b}-{c}"
    elif style == 6:
        raw = f"8{area}{local}"
    elif style == 7:
        raw = f"8-{area}-{a}-{b}-{c}"
    else:
        raw = f"({area}) {a}-{b}-{c}"
    return raw, "7" + area + local


def _gb(rnd: Callable[[], float], national_ok: bool) -> tuple[str, str]:
    area = GB_AREAS[int(rnd() * len(GB_AREAS))]
    width = 10 - len(area)
    local = str(9 * 10 ** (width - 1) + int(rnd() * 10 ** (width - 1)))
    national = area + local
    spaced = f"{area} {local[: width - 4]} {local[-4:]}"
    styles = (f"+44 {spaced}", f"+44{national}", f"+44 ({area}) {local}", f"0{spaced}", f"(0{area}) {local}")
    return styles[int(rnd() * (5 if national_ok else 3))], "44" + national


def _us(rnd: Callable[[], float], national_ok: bool) -> tuple[str, str]:
    area = US_AREAS[int(rnd() * len(US_AREAS))]
    if rnd() < 0.3:
        line = f"555-01{int(rnd() * 100):02d}"
    else:
        line = f"{200 + int(rnd() * 799)}-{int(rnd() * 10_000):04d}"
    national = area + line.replace("-", "")
    styles = (
        f"+1 ({area}) {line}",
        f"+1 {area} {line.replace('-', ' ')}",
        f"+1-{area}-{line}",
        f"+1{national}",
        f"({area}) {line}",
        f"{area}-{line}",
        f"{area}.{line.replace('-', '.')}",
    )
    return styles[int(rnd() * (7 if national_ok else 4))], "1" + national


def _de(rnd: Callable[[], float], national_ok: bool) -> tuple[str, str]:
    area = DE_AREAS[int(rnd() * len(DE_AREAS))]
    local = str(10_000_000 + int(rnd() * 89_999_999))
    styles = (
        f"+49 {area} {local}",
        f"+49 ({area}) {local[:4]} {local[4:]}",
        f"+49{area}{local}",
        f"0{area} {local}",
        f"0{area}/{local}",
    )
    return styles[int(rnd() * (5 if national_ok else 3))], "49" + area + local


_MAKERS: dict[str, Callable[[Callable[[], float], bool], tuple[str, str]]] = {
    "RU": _ru,
    "GB": _gb,
    "US": _us,
    "DE": _de,
}


class PhoneMaker:
    """Makes ``(raw, e164, digits)`` for a country, typed in a random style valid in ``default_region``."""

    def __init__(self, rng: random.Random, default_region: str) -> None:
        self.rnd = rng.random
        self.default_region = default_region.upper()

    def make(self, country: str) -> tuple[str, str, str]:
        raw, digits = _MAKERS[country](self.rnd, country == self.default_region)
        return raw, "+" + digits, digits
