"""Time zones named in the configuration and on the command line: one check for every place."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ``ValueError("unknown time zone ...")`` for anything else, including a
    folder of the zone database (``Europe``), which ``ZoneInfo`` opens and fails on as a file."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None
