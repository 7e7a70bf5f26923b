"""the phone system (issue 18): call records from the PBX, idempotent by the PBX's call id.

``call_record``: one row per PBX call (AMI, webhook, CDR import, ``hotline call log``), unique by
``pbx_call_id``; ``interaction_id`` links it to the call an operator logged (none: "unlogged").

Revision ID: 0012
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.core.models.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pbx_call_id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("operator_login", sa.String(length=64), nullable=True),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.Column("recording", sa.String(length=500), nullable=True),
        sa.Column("transferred_to", sa.String(length=64), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["interaction_id"], ["interaction.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pbx_call_id"),
    )
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.create_index("ix_call_record_client_started", ["client_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_record_operator_login"), ["operator_login"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_record_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_record_interaction_id"), ["interaction_id"], unique=False)


def downgrade() -> None:
    op.drop_table("call_record")
