"""Queues, tickets, their chronology (events) and attachments, and the escalation steps applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.models.types import JSONList, UTCDateTime


class Queue(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = Field(default="")


class Counter(SQLModel, table=True):
    """Named counters handed out under a row lock (ticket numbers)."""

    name: str = Field(primary_key=True, max_length=50)
    value: int = Field(default=0)


class Ticket(SQLModel, table=True):
    # Both carry what the wallboard's figures need, so it reads them without the table (migration 0012).
    __table_args__ = (
        Index("ix_ticket_status_queue", "status", "queue_id", "created_at", "first_response_at",
              "first_response_due_at", "resolution_due_at"),
        Index("ix_ticket_created_at", "created_at", "queue_id", "first_response_due_at", "first_response_at",
              "resolution_due_at", "resolved_at"),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    subject: str = Field(max_length=500)
    status: str = Field(max_length=16, default="new")
    priority: str = Field(max_length=16, default="normal")
    queue_id: int = Field(foreign_key="queue.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", ondelete="SET NULL", index=True)
    requester: str | None = Field(default=None, max_length=320)
    assignee_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="SET NULL", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)
    tags: list[Any] = Field(default_factory=list, sa_type=JSONList)
    """Custom tags (set by people and by event rules; ``contract-expired`` flags a lapsed contract)."""
    source: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=100)


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's unlimited chronology."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket_created", "ticket_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    author_id: int | None = Field(default=None, foreign_key="operator.id", ondelete="SET NULL")
    author: str = Field(max_length=320, default="")
    body: str = Field(default="")
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    message_id: str | None = Field(default=None, max_length=998, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="ticket_event.id", ondelete="CASCADE", index=True)
    filename: str = Field(max_length=500)
    content_type: str = Field(max_length=200)
    size: int
    content: bytes | None = Field(default=None, sa_type=LargeBinary)


class EscalationStep(SQLModel, table=True):
    """A rule level applied to a ticket; the unique key makes every step happen exactly once."""

    __tablename__ = "escalation_step"
    __table_args__ = (UniqueConstraint("ticket_id", "rule", "level", name="uq_escalation_step"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", ondelete="CASCADE")
    rule: str = Field(max_length=200)
    level: str = Field(max_length=50, default="")
    actions: list[Any] = Field(default_factory=list, sa_type=JSON)
    applied_at: datetime = Field(sa_type=UTCDateTime)
