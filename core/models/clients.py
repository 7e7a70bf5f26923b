"""Clients (persons and organisations), their groups and contact points."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from hotline.core.models.types import JSONList, UTCDateTime


class ClientGroup(SQLModel, table=True):
    """A segment of clients with a colour on screen and, optionally, a contract level for SLA overrides."""

    __tablename__ = "client_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    colour: str = Field(max_length=32, default="#808080")
    contract_level: str | None = Field(default=None, max_length=50)


class Client(SQLModel, table=True):
    """A person or an organisation; a person may belong to an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, default="person")
    name: str = Field(max_length=300)
    first_name: str | None = Field(default=None, max_length=100)
    middle_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    organisation_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("client.id", ondelete="SET NULL"), index=True, nullable=True),
    )
    group_id: int | None = Field(default=None, foreign_key="client_group.id", ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="SET NULL")
    birthday: date | None = Field(default=None)
    notes: str = Field(default="")
    tags: list[Any] = Field(default_factory=list, sa_type=JSONList)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    """Indexed: an import's publish asks "any client updated since?" by a range probe (migration 0013)."""
    last_interaction_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    source: str | None = Field(default=None, max_length=100, index=True)
    """How the client heard about us: one of the configured sources."""
    campaign: str | None = Field(default=None, max_length=100, index=True)
    """The code of the campaign that brought the client."""


class ClientPhone(SQLModel, table=True):
    """A phone as typed, its E.164 form and its digits (for suffix matching)."""

    __tablename__ = "client_phone"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    raw: str = Field(max_length=100)
    e164: str = Field(max_length=20, index=True)
    digits: str = Field(max_length=20)
    label: str | None = Field(default=None, max_length=50)


class ClientEmail(SQLModel, table=True):
    """An email address, normalised (lower-case, IDNA domain) for matching."""

    __tablename__ = "client_email"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    address: str = Field(max_length=320, index=True)
