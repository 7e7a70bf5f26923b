"""The audit trail: who changed or exported what, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
