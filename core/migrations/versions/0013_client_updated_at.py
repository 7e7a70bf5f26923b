"""an import's publish checks what changed by index (issue 13): ``client.updated_at`` gets an index, so
"any client updated since the import read the base" (``importing/staging.py``) and the newest
``updated_at`` (``importing/service.clients_version``) are range probes, not scans of every client,
under SQLite's write lock. Both backends; no data changes.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_client_updated_at", "client", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_client_updated_at", table_name="client")
