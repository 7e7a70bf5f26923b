"""Reminders: follow-ups and birthdays that pop up for an operator on time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class Reminder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", ondelete="CASCADE", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", ondelete="CASCADE", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="CASCADE")
    kind: str = Field(max_length=16, default="manual")
    text: str = Field(max_length=1000)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: str = Field(max_length=16, default="pending")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
