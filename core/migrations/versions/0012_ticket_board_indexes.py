"""the wallboard reads tickets from indexes alone (issue 17): the two ticket indexes it reads by carry the
columns its figures need, so neither the open tickets (by status) nor today's tickets (by creation time)
are looked up in the table. Each replaces the narrower index of the same name: no index is added, and
every query that used the old prefix still can.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STATUS_QUEUE = [
    "status",
    "queue_id",
    "created_at",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
]
CREATED_AT = [
    "created_at",
    "queue_id",
    "first_response_due_at",
    "first_response_at",
    "resolution_due_at",
    "resolved_at",
]


def upgrade() -> None:
    op.drop_index("ix_ticket_status_queue", table_name="ticket")
    op.create_index("ix_ticket_status_queue", "ticket", STATUS_QUEUE)
    op.drop_index("ix_ticket_created_at", table_name="ticket")
    op.create_index("ix_ticket_created_at", "ticket", CREATED_AT)


def downgrade() -> None:
    op.drop_index("ix_ticket_created_at", table_name="ticket")
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    op.drop_index("ix_ticket_status_queue", table_name="ticket")
    op.create_index("ix_ticket_status_queue", "ticket", ["status", "queue_id"])
