"""live calls (issue 15): per-console screen pops, missed calls and a change counter.

``screen_pop.taken_by``: the console that first showed the pop live (``call incoming --wait`` names it);
``screen_pop.dismissed_at``: a missed call marked done. ``change_signal``: one counter per kind of change,
bumped by the writer, read by SQLite consoles when ``PRAGMA data_version`` moves (PostgreSQL notifies).
The index on (operator_login, requested_at) serves both the live window and the missed-calls list.

Revision ID: 0008
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hotline.core.models.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screen_pop") as batch:
        batch.add_column(sa.Column("taken_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("dismissed_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "change_signal",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_index("ix_screen_pop_operator_requested", "screen_pop", ["operator_login", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_screen_pop_operator_requested", table_name="screen_pop")
    op.drop_table("change_signal")
    with op.batch_alter_table("screen_pop") as batch:
        batch.drop_column("dismissed_at")
        batch.drop_column("taken_by")
