"""tickets and SLA (issue 5): the SLA state of every ticket.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hotline.core.models.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_sla",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("policy", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("calendar", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("first_response_target", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("resolution_target", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("pause_when_pending", sa.Boolean(), nullable=False),
        sa.Column("clock_started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index("ix_ticket_sla_calendar_clock", "ticket_sla", ["calendar", "clock_started_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_sla_calendar_clock", table_name="ticket_sla")
    op.drop_table("ticket_sla")
