"""The SLA state of a ticket: which policy and calendar it runs on, where its clocks stand.

One row per ticket (``ticket_sla``), kept by the ticket services; ``hotline escalate`` selects on it in
SQL. Tickets written without it (bulk imports, demo data) get it at the next escalation run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from hotline.core.models.types import UTCDateTime


class TicketSla(SQLModel, table=True):
    """Where a ticket's SLA clocks stand.

    ``clock_started_at`` is the effective start of the resolution clock: when a pause ends it moves
    forward by the business time spent paused, so "business time used" is always
    ``elapsed(clock_started_at, now)`` while the clock runs.
    """

    __tablename__ = "ticket_sla"
    __table_args__ = (Index("ix_ticket_sla_calendar_clock", "calendar", "clock_started_at"),)

    ticket_id: int = Field(primary_key=True, foreign_key="ticket.id", ondelete="CASCADE")
    policy: str = Field(default="", max_length=300)
    """Label of the SLA policy applied (queue/priority[/contract]); empty when none applies."""
    calendar: str = Field(default="", max_length=100)
    """Name of the business calendar the clocks count on; empty means wall-clock time."""
    first_response_target: str = Field(default="", max_length=20)
    resolution_target: str = Field(default="", max_length=20)
    pause_when_pending: bool = Field(default=False)
    clock_started_at: datetime = Field(sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_activity_at: datetime = Field(sa_type=UTCDateTime)
    """Last change by a person (operator or client); escalation steps do not count as activity."""
    cycle: int = Field(default=1)
    """Counts reopenings: escalation steps are recorded per cycle, so a reopened ticket can escalate anew."""
