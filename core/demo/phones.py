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


def _groups(digits: str, *sizes: int) -> list[str]:
    out, start = [], 0
    for size in sizes:
        out.append(digits[start : start + size])
        start += size
    return out


def _ru(rng: random.Random, national_ok: bool) -> tuple[str, str]:
    area = rng.choice(RU_AREAS)
    local = f"{rng.randrange(10_000_000):07d}"
    if local[0] in "01":
        local = "2" + local[1:]
    a, b, c = _groups(local, 3, 2, 2)
    styles: list[str] = [
        f"+7 ({area}) {a}-{b}-{c}",
        f"+7{area}{local}",
        f"+7 {area} {a} {b} {c}",
        f"+7-{area}-{a}-{b}-{c}",
    ]
    if national_ok:
        styles += [
            f"8 {area} {a} {b} {c}",
            f"8 ({area}) {a}-{b}-{c}",
            f"8{area}{local}",
            f"8-{area}-{a}-{b}-{c}",
            f"({area}) {a}-{b}-{c}",
        ]
    return rng.choice(styles), "7" + area + local


def _gb(rng: random.Random, national_ok: bool) -> tuple[str, str]:
    area = rng.choice(GB_AREAS)
    local = f"{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"
    if local[0] == "0":
        local = "9" + local[1:]
    national = area + local
    spaced = f"{area} {local[: len(local) - 4]} {local[-4:]}"
    styles = [f"+44 {spaced}", f"+44{national}", f"+44 ({area}) {local}"]
    if national_ok:
        styles += [f"0{spaced}", f"(0{area}) {local}"]
    return rng.choice(styles), "44" + national


def _us(rng: random.Random, national_ok: bool) -> tuple[str, str]:
    area = rng.choice(US_AREAS)
    line = (
        f"555-01{rng.randrange(100):02d}"
        if rng.random() < 0.3
        else f"{rng.randrange(200, 999)}-{rng.randrange(10_000):04d}"
    )
    national = area + line.replace("-", "")
    styles = [
        f"+1 ({area}) {line}",
        f"+1 {area} {line.replace('-', ' ')}",
        f"+1-{area}-{line}",
        f"+1{national}",
    ]
    if national_ok:
        styles += [f"({area}) {line}", f"{area}-{line}", f"{area}.{line.replace('-', '.')}"]
    return rng.choice(styles), "1" + national


def _de(rng: random.Random, national_ok: bool) -> tuple[str, str]:
    area = rng.choice(DE_AREAS)
    local = f"{rng.randrange(10_000_000, 99_999_999)}"
    styles = [f"+49 {area} {local}", f"+49 ({area}) {local[:4]} {local[4:]}", f"+49{area}{local}"]
    if national_ok:
        styles += [f"0{area} {local}", f"0{area}/{local}"]
    return rng.choice(styles), "49" + area + local


_MAKERS: dict[str, Callable[[random.Random, bool], tuple[str, str]]] = {
    "RU": _ru,
    "GB": _gb,
    "US": _us,
    "DE": _de,
}


class PhoneMaker:
    """Makes ``(raw, e164, digits)`` for a country, typed in a random style valid in ``default_region``."""

    def __init__(self, rng: random.Random, default_region: str) -> None:
        self.rng = rng
        self.default_region = default_region.upper()

    def make(self, country: str) -> tuple[str, str, str]:
        raw, digits = _MAKERS[country](self.rng, country == self.default_region)
        return raw, "+" + digits, digits
