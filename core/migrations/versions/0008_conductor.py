"""the conductor (issue 16): event rules' traces, ticket tags, queue members, shifts and their
exceptions, the round-robin cursor, and clients' contracts.

Revision ID: 0010
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hotline.core.models.types import JSONList, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("tags", JSONList(), nullable=False, server_default="[]"))
    op.create_table(
        "rule_trace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("event", _TEXT(length=32), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rule_trace_ticket", "rule_trace", ["ticket_id", "id"])
    op.create_index("ix_rule_trace_client_id", "rule_trace", ["client_id"])
    op.create_table(
        "queue_member",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queue.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "operator_id"),
    )
    op.create_index("ix_queue_member_operator_id", "queue_member", ["operator_id"])
    op.create_table(
        "shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("timezone", _TEXT(length=64), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shift_operator_id", "shift", ["operator_id"])
    op.create_table(
        "shift_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", _TEXT(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("other_operator_id", sa.Integer(), nullable=True),
        sa.Column("note", _TEXT(length=500), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_operator_id"], ["operator.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shift_exception_operator_id", "shift_exception", ["operator_id"])
    op.create_table(
        "routing_cursor",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("last_operator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["queue.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["last_operator_id"], ["operator.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("queue_id"),
    )
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("level", _TEXT(length=50), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("queues", JSONList(), nullable=False),
        sa.Column("reference", _TEXT(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contract_client_id", "contract", ["client_id"])


def downgrade() -> None:
    op.drop_table("contract")
    op.drop_table("routing_cursor")
    op.drop_table("shift_exception")
    op.drop_table("shift")
    op.drop_table("queue_member")
    op.drop_table("rule_trace")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("tags")
