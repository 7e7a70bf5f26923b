"""the role checks of 0017 and 0018 read the catalog, not a table the inserting role made, and check the
role that logged in, not the one it switched to:

- their functions ran as the inserting role with ``search_path = pg_catalog, public``, and PostgreSQL
  searches a session's temporary schema first for tables when the path does not name it. Any role may
  create a temporary table (``TEMPORARY`` on the database is PUBLIC's by default, and hotline's import
  needs it), so an operator's role ran ``CREATE TEMP TABLE pg_roles AS SELECT rolname, true AS rolsuper …``
  and the triggers took her for a superuser: an audit entry naming any actor, an admin's role remapping
  itself. They now search ``pg_catalog`` then ``pg_temp`` (never searched for functions or operators) and
  nothing else; the tables of ``public`` they read are named with their schema already;
- they checked ``current_user``, which ``SET ROLE`` changes to any group the login role is a member of: an
  operator wrote entries as ``hotline_operator`` (no operator, so "its own name"), and an admin, as
  ``hotline_admin``, freed her own row's ``db_role`` and gave it to another operator's row, then acted
  as that operator in hotline, her audit entries in the other's name. They now check ``session_user``,
  the role PostgreSQL authenticated (only a superuser changes it).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_EXEMPT = """
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {who} AND rolsuper)
       OR pg_has_role({who}, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
       OR EXISTS (
           SELECT 1 FROM public.system_group_role s JOIN pg_roles g ON g.rolname = s.name
           WHERE NOT g.rolcanlogin AND g.rolname <> {who}
             AND has_table_privilege(g.oid, {table}, 'SELECT')
             AND pg_has_role({who}, g.oid, 'MEMBER'))
    THEN"""

_AUDIT_ACTOR_CHECK = (
    """
CREATE OR REPLACE FUNCTION hotline_audit_actor_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inserter name := session_user;
    mapped text[];
BEGIN"""
    + _EXEMPT.format(who="inserter", table="TG_RELID")
    + """
        RETURN NEW;
    END IF;
    SELECT array_agg(login) INTO mapped FROM public.operator
    WHERE db_role = inserter OR (db_role IS NULL AND login = inserter);
    IF NEW.actor = 'system' AND NOT NEW.actor = ANY (coalesce(mapped, '{}')) THEN
        NEW.actor := coalesce(mapped[1], left(inserter, 64));
    END IF;
    IF NEW.actor = ANY (coalesce(mapped, '{}'))
       OR (NEW.actor = inserter AND NOT EXISTS (SELECT 1 FROM public.operator WHERE login = NEW.actor))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the database role % may not write an audit entry as %', inserter, NEW.actor
        USING ERRCODE = 'insufficient_privilege';
END $$
"""
)

_OPERATOR_NOT_ONESELF = (
    """
CREATE OR REPLACE FUNCTION hotline_operator_not_oneself() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor name := session_user;
BEGIN"""
    + _EXEMPT.format(who="actor", table="'public.audit_entry'")
    + """
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
)


def _previous(name: str) -> str:
    """The function as an earlier revision made it (for the downgrade)."""
    path = next(Path(__file__).parent.glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"hotline_revision_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module._FUNCTION)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_AUDIT_ACTOR_CHECK)
    op.execute(_OPERATOR_NOT_ONESELF)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_previous("0017"))
    op.execute(_previous("0018"))
