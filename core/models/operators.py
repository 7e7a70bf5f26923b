"""Operators: the people who log in to the console."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class Operator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16, default="operator")
    email: str | None = Field(default=None, max_length=320)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    db_role: str | None = Field(default=None, max_length=63, unique=True, index=True)
    """On PostgreSQL, the database role that authenticates as this operator (default: the login)."""
