"""the role checks of 0017 and 0018 read the catalog, not a table the inserting role made: their
functions run as the inserting role with ``search_path = pg_catalog, public``, and PostgreSQL searches a
session's temporary schema first for tables when the path does not name it. Any role may create a
temporary table (``TEMPORARY`` on the database is PUBLIC's by default, and hotline's import needs it), so an
operator's role ran ``CREATE TEMP TABLE pg_roles AS SELECT rolname, true AS rolsuper … FROM
pg_catalog.pg_roles`` and the triggers took her for a superuser: an audit entry naming any actor, an admin's
role remapping itself.

Both functions now search ``pg_catalog`` then ``pg_temp`` (never searched for functions or operators) and
nothing else; the tables of ``public`` they read are named with their schema already.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_FUNCTIONS = ("hotline_audit_actor_check()", "hotline_operator_not_oneself()")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = pg_catalog, pg_temp")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = pg_catalog, public")
