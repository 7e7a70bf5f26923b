"""the supervisor's seat (issue 17): where clients and inquiries come from, and mailed reports.

``client``, ``interaction`` and ``ticket`` get ``source`` (one of the configured sources) and
``campaign`` (a configured campaign's code); the client's are indexed for the client lists; ``ticket.created_at`` is indexed for the reports and the
wallboard ("created today").
``screen_pop.campaign``: the campaign of the number the caller dialled, for the forms the pop opens.
``outbox_file``: files that go out with a mail not about a ticket (a report sent by cron).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ATTRIBUTED = ("client", "interaction", "ticket")


def upgrade() -> None:
    for table in ATTRIBUTED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("source", sa.String(length=100), nullable=True))
            batch.add_column(sa.Column("campaign", sa.String(length=100), nullable=True))
    op.create_index("ix_client_source", "client", ["source"])
    op.create_index("ix_client_campaign", "client", ["campaign"])
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    with op.batch_alter_table("screen_pop") as batch:
        batch.add_column(sa.Column("campaign", sa.String(length=100), nullable=True))
    op.create_table(
        "outbox_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_outbox_file_outbox_id", "outbox_file", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_file_outbox_id", table_name="outbox_file")
    op.drop_table("outbox_file")
    with op.batch_alter_table("screen_pop") as batch:
        batch.drop_column("campaign")
    op.drop_index("ix_ticket_created_at", table_name="ticket")
    op.drop_index("ix_client_campaign", table_name="client")
    op.drop_index("ix_client_source", table_name="client")
    for table in reversed(ATTRIBUTED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("campaign")
            batch.drop_column("source")
