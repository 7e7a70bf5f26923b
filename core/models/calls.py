"""Call records from the phone system: one row per PBX call, idempotent by the PBX's call id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class CallRecord(SQLModel, table=True):
    """What the PBX (AMI, a webhook, a CDR line, ``call log``) said about one call.

    ``interaction_id`` is the operator's logged call it belongs to; a finished call without one is
    "unlogged" on the client's timeline until an operator adds a note to it.
    """

    __tablename__ = "call_record"
    __table_args__ = (Index("ix_call_record_client_started", "client_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    pbx_call_id: str = Field(max_length=128, unique=True)
    source: str = Field(max_length=16)
    direction: str = Field(max_length=8)
    number: str = Field(max_length=100)
    client_id: int | None = Field(default=None, foreign_key="client.id", ondelete="SET NULL")
    operator_login: str | None = Field(default=None, max_length=64, index=True)
    extension: str | None = Field(default=None, max_length=32)
    state: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_seconds: int | None = Field(default=None)
    outcome: str | None = Field(default=None, max_length=50)
    recording: str | None = Field(default=None, max_length=500)
    transferred_to: str | None = Field(default=None, max_length=64)
    interaction_id: int | None = Field(
        default=None, foreign_key="interaction.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
