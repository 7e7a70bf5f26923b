"""Mail bookkeeping: per-account IMAP state, what was processed or failed, and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.core.models.types import JSONList, UTCDateTime


class MailAccountState(SQLModel, table=True):
    __tablename__ = "mail_account_state"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=100, unique=True)
    uidvalidity: int | None = Field(default=None)
    last_uid: int = Field(default=0)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedMessage(SQLModel, table=True):
    """A message turned into a ticket or event; the keys make a re-run a no-op."""

    __tablename__ = "processed_message"
    __table_args__ = (UniqueConstraint("account", "uidvalidity", "uid", name="uq_processed_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=100)
    uidvalidity: int
    uid: int
    message_id: str | None = Field(default=None, max_length=998, index=True)
    content_digest: str | None = Field(default=None, max_length=64)
    """The message's content digest: the same Message-ID with another one is another message (None on
    records from before digests, which match by Message-ID alone)."""
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="SET NULL")
    event_id: int | None = Field(default=None, foreign_key="ticket_event.id", ondelete="SET NULL")
    processed_at: datetime = Field(sa_type=UTCDateTime)


class FailedMessage(SQLModel, table=True):
    """A message that could not be converted: kept whole, visible to supervisors, never dropped."""

    __tablename__ = "failed_message"
    __table_args__ = (UniqueConstraint("account", "uidvalidity", "uid", name="uq_failed_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=100)
    uidvalidity: int
    uid: int
    message_id: str | None = Field(default=None, max_length=998)
    reason: str
    raw: bytes | None = Field(default=None, sa_type=LargeBinary)
    received_at: datetime = Field(sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """Outbound mail waiting, sent or failed; committed together with the event that caused it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    account: str | None = Field(default=None, max_length=100)
    to_addrs: list[Any] = Field(default_factory=list, sa_type=JSONList)
    subject: str = Field(max_length=998)
    """The subject's first 998 characters (what lists show); a longer one is whole in ``headers``
    under ``Subject``, which the sender sends (folded)."""
    body: str
    message_id: str = Field(max_length=998, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: str | None = Field(default=None)
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", ondelete="SET NULL", index=True)
    event_id: int | None = Field(default=None, foreign_key="ticket_event.id", ondelete="SET NULL")
    status: str = Field(max_length=16, default="pending", index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When it failed for good: refused, out of retries, or bounced (a DSN matched to it)."""


class OutboxFile(SQLModel, table=True):
    """A file that goes out with an outbox message not about a ticket (a mailed report)."""

    __tablename__ = "outbox_file"

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", ondelete="CASCADE", index=True)
    filename: str = Field(max_length=500)
    content_type: str = Field(max_length=200)
    content: bytes = Field(sa_type=LargeBinary)
