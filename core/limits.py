"""Bounds of stored values, shared by core and the faces (a light module: the CLI imports it at start)."""

MAX_ID = 2**31 - 1
"""The largest id or number a database column holds (a signed 32-bit integer: PostgreSQL's
``integer``): beyond it is bad usage, not a database error."""


def fits_id(value: int) -> bool:
    """True when ``value`` can be an id: PostgreSQL refuses a larger one as a database error."""
    return 1 <= value <= MAX_ID


MAX_LOOKUP_RESULTS = 500
"""The most lines one lookup lists (each reads three times as many candidates): a face asking for more
is refused, not cut."""
