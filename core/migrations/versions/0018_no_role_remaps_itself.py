"""no database role changes who it is (issue 12): on PostgreSQL admins may change the ``operator`` table
(``db grants``), so an admin's role could ``UPDATE operator`` in SQL, outside hotline and its audit trail,
to change her own row (login, role, active, ``db_role``) or point another row (another admin's, a new one)
at her own role. A trigger now refuses, for any role but a superuser, a role owning ``operator`` and a
member of the system group (the exemptions of 0017):

- an INSERT of a row that maps to the acting role (``db_role`` = it, or no ``db_role`` and ``login`` = it);
- an UPDATE of the row that maps to it that changes ``login``, ``role``, ``active`` or ``db_role``, and an
  UPDATE that makes another row map to it;
- a DELETE of the row that maps to it.

Another admin changes her row, through hotline (audited), as hotline itself says (``operators role`` and
``operators deactivate`` refuse the acting operator's own login). Other columns of her own row (display
name, e-mail) stay hers. SQLite has no roles: the file's permissions are its boundary; nothing changes.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION hotline_operator_not_oneself() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    actor name := current_user;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = actor AND rolsuper)
       OR pg_has_role(actor, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
       OR EXISTS (
           SELECT 1 FROM public.system_group_role s JOIN pg_roles g ON g.rolname = s.name
           WHERE NOT g.rolcanlogin AND g.rolname <> actor
             AND has_table_privilege(g.oid, 'public.audit_entry', 'SELECT')
             AND pg_has_role(actor, g.oid, 'MEMBER'))
    THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- who a row maps to, as core.identity reads it: its db_role, else its login (both never NULL then)
    IF TG_OP IN ('UPDATE', 'DELETE') AND coalesce(OLD.db_role, OLD.login) = actor
       AND (TG_OP = 'DELETE' OR (OLD.login, OLD.role, OLD.active, OLD.db_role)
                                IS DISTINCT FROM (NEW.login, NEW.role, NEW.active, NEW.db_role))
    THEN
        RAISE EXCEPTION 'the database role % may not change its own operator %; another admin can',
            actor, OLD.login USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND coalesce(NEW.db_role, NEW.login) = actor
       AND (TG_OP = 'INSERT' OR coalesce(OLD.db_role, OLD.login) <> actor)
    THEN
        RAISE EXCEPTION 'the database role % may not make operator % its own', actor, NEW.login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""

_TRIGGER = (
    "CREATE TRIGGER operator_not_oneself BEFORE INSERT OR UPDATE OR DELETE ON operator"
    " FOR EACH ROW EXECUTE FUNCTION hotline_operator_not_oneself()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS operator_not_oneself ON operator")
    op.execute("DROP FUNCTION IF EXISTS hotline_operator_not_oneself()")
