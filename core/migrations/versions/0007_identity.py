"""identity and the audit trail (issue 12): which PostgreSQL role is which operator, where each audit
entry came from, and an audit trail that cannot be changed.

``operator.db_role``: the database role PostgreSQL authenticates for this operator (none: the login).
``audit_entry.via``: ``cli: hotline …``, ``console``, ``poller``, ``cron: …``.
Indexes to read a client's or a ticket's history and one actor's entries; triggers refuse UPDATE and
DELETE of audit entries on both backends (PostgreSQL grants add the same for the application roles).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION hotline_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.add_column(sa.Column("db_role", sa.String(length=63), nullable=True))
        batch.create_index("ix_operator_db_role", ["db_role"], unique=True)
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("via", sa.String(length=200), nullable=True))
        batch.create_index("ix_audit_entry_entity", ["entity", "entity_id"], unique=False)
        batch.create_index("ix_audit_entry_actor", ["actor"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry"
            " FOR EACH ROW EXECUTE FUNCTION hotline_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry"
                " BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS hotline_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index("ix_audit_entry_actor")
        batch.drop_index("ix_audit_entry_entity")
        batch.drop_column("via")
    with op.batch_alter_table("operator") as batch:
        batch.drop_index("ix_operator_db_role")
        batch.drop_column("db_role")
