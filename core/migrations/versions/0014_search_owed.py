"""clients owed a rebuild of their lookup-index rows (issue 13): an update import on SQLite commits its
merges in one short hold of the write lock and rebuilds the merged clients' index rows after it; until
then ``search_owed`` names them (with the process rebuilding them), the lookup reads their own rows
instead of their stale index rows, and a process killed before the rebuild leaves the rows for the next
import or ``hotline db upgrade`` (``search/pending.py``). Derived data, like every ``search_`` table.
Both backends; no data changes.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE search_owed (client_id INTEGER PRIMARY KEY, owner INTEGER NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE search_owed")
