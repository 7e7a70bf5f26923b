"""mail fidelity and honest delivery (issue 14): a content digest beside each processed Message-ID,
and when an outbox message failed (a refusal, the last retry or a bounce).

``processed_message.content_digest``: the same Message-ID with another digest is another message;
rows from before this revision have none and match by Message-ID alone, as they did.
``outbox.failed_at``: the chronology shows queued → sent → failed with their times.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.core.models.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_message") as batch:
        batch.add_column(sa.Column("content_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("failed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failed_at")
    with op.batch_alter_table("processed_message") as batch:
        batch.drop_column("content_digest")
