"""Screen-pop requests: the phone system asks an operator's running consoles to open a caller's card.

Every console of the operator shows a pop that is fresh enough (each keeps its own account of what it
showed); ``taken_by`` names the first console that showed it live, which is what ``call incoming --wait``
reports. A pop no console showed live is a missed call until the operator marks it done.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class ScreenPop(SQLModel, table=True):
    __tablename__ = "screen_pop"

    id: int | None = Field(default=None, primary_key=True)
    operator_login: str = Field(max_length=64, index=True)
    number: str = Field(max_length=100)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    consumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the first console showed it as a live call (None: no console did)."""
    taken_by: str | None = Field(default=None, max_length=200)
    """That console, as ``call incoming --wait`` reports it (host, process, start time)."""
    dismissed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """A missed call the operator marked done (called back): it leaves the missed-calls list."""


class ChangeSignal(SQLModel, table=True):
    """One counter per kind of change (``screen_pop``, ``reminder``), bumped in the writing transaction.

    SQLite only: a console watches ``PRAGMA data_version`` and reads this tiny table when it moves, so it
    learns what changed without scanning anything. PostgreSQL uses LISTEN/NOTIFY instead.
    """

    __tablename__ = "change_signal"

    channel: str = Field(primary_key=True, max_length=40)
    version: int = 0
