"""The conductor's tables: what the event rules did (traces), who works a queue and when (members,
shifts, exceptions, the round-robin cursor), and clients' contracts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from hotline.core.models.types import JSONList, UTCDateTime


class RuleTrace(SQLModel, table=True):
    """One event the rules were evaluated on: every rule's verdict, why, and what it did."""

    __tablename__ = "rule_trace"
    __table_args__ = (Index("ix_rule_trace_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="CASCADE")
    client_id: int | None = Field(default=None, foreign_key="client.id", ondelete="CASCADE", index=True)
    event: str = Field(max_length=32)
    depth: int = Field(default=0)
    at: datetime = Field(sa_type=UTCDateTime)
    entries: list[Any] = Field(default_factory=list, sa_type=JSON)
    """``[{rule, matched, reason, did: [..], failed}]`` in rule order."""


class QueueMember(SQLModel, table=True):
    """An operator who works a queue: routing picks among the members on shift."""

    __tablename__ = "queue_member"

    queue_id: int = Field(primary_key=True, foreign_key="queue.id", ondelete="CASCADE")
    operator_id: int = Field(primary_key=True, foreign_key="operator.id", ondelete="CASCADE", index=True)


class Shift(SQLModel, table=True):
    """A weekly working span of an operator; ``end_minute <= start_minute`` runs past midnight."""

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", ondelete="CASCADE", index=True)
    weekday: int = Field(description="0 = Monday … 6 = Sunday: the day the shift starts.")
    start_minute: int
    end_minute: int
    timezone: str = Field(max_length=64)


class ShiftException(SQLModel, table=True):
    """Days an operator's weekly pattern does not hold: vacation, sick day, or a swap with a colleague."""

    __tablename__ = "shift_exception"

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    starts_on: date
    ends_on: date
    other_operator_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="CASCADE")
    note: str = Field(default="", max_length=500)


class RoutingCursor(SQLModel, table=True):
    """Where round-robin stands in a queue: the operator given the last ticket."""

    __tablename__ = "routing_cursor"

    queue_id: int = Field(primary_key=True, foreign_key="queue.id", ondelete="CASCADE")
    last_operator_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="SET NULL")


class Contract(SQLModel, table=True):
    """A client's (or organisation's) service contract: level, dates, the queues it covers (none: all)."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    level: str = Field(max_length=50)
    starts_on: date
    ends_on: date
    queues: list[Any] = Field(default_factory=list, sa_type=JSONList)
    reference: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
