"""lookup index (issue 3): word, phone-digit, email and typo-vocabulary tables; FTS5 trigram / pg_trgm.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from hotline.core.search.schema import create_schema, drop_schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_schema(op.get_bind())


def downgrade() -> None:
    drop_schema(op.get_bind())
