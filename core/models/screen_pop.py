"""Screen-pop requests: the phone system asks an operator's running console to open a caller's card."""

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
    campaign: str | None = Field(default=None, max_length=100)
    """The campaign of the number the caller dialled (``call incoming --dialled``), if one has it."""
