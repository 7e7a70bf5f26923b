"""Interactions: calls, emails, notes and meetings, always tied to a client."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class Interaction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    direction: str | None = Field(default=None, max_length=8)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_seconds: int | None = Field(default=None)
    outcome: str | None = Field(default=None, max_length=50)
    subject: str | None = Field(default=None, max_length=500)
    notes: str = Field(default="")
    operator_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="SET NULL", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="SET NULL", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    source: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=100)
