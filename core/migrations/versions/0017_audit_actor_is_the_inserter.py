"""the audit trail names who wrote it (issue 12): on PostgreSQL an operator's role could ``INSERT`` an audit
entry naming any actor in SQL, forging another operator's entry or the system's. A ``BEFORE INSERT``
trigger now checks the actor against the inserting role (``current_user``, as ``core.identity`` maps it):

- a superuser, a role owning ``audit_entry`` (it could drop the trigger) and a member of the system group
  write any actor (the system account narrows with ``--operator``);
- any other role writes the operator it is mapped to (``operator.db_role``, or the login equal to the role
  name), or its own role name when no operator has that login (hotline's refusal of a role it cannot
  map: unknown, deactivated);
- ``system`` from such a role is what hotline writes for a system run started by hand (``escalate``, the
  console's birthday reminders): the entry is recorded as written by that role's operator, not refused;
- any other actor is refused (``insufficient_privilege``).

The system group is whatever ``db grants`` made for its prefix (``pg_role_prefix`` is a setting the
trigger cannot read): ``db grants`` writes its name into ``system_group_role``, which only the owner may
change. The trigger then asks what ``database_principal`` asks of it: a group role (NOLOGIN) other than
the inserter, that reads this database's audit trail, of which the inserter is a member. A database whose
grants were applied before this migration has its group found here: a NOLOGIN ``<p>_system`` that is a
member of ``<p>_admin`` and reads the audit trail (the shape ``db grants`` gives it).

SQLite has no roles: the database file's permissions are its boundary (``db init`` makes it 0600, or
0660 for one group), and whoever may write the file may write any row. Nothing changes there.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TABLE = "CREATE TABLE system_group_role (name VARCHAR(63) PRIMARY KEY)"

_SEED = r"""
INSERT INTO system_group_role (name)
SELECT s.rolname FROM pg_roles s
JOIN pg_auth_members m ON m.member = s.oid
JOIN pg_roles a ON a.oid = m.roleid
WHERE s.rolname LIKE '%\_system' AND NOT s.rolcanlogin AND NOT a.rolcanlogin
  AND a.rolname = left(s.rolname, -length('_system')) || '_admin'
  AND has_table_privilege(s.oid, 'public.audit_entry', 'SELECT')
ON CONFLICT DO NOTHING
"""

_FUNCTION = """
CREATE OR REPLACE FUNCTION hotline_audit_actor_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    inserter name := current_user;
    mapped text[];
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = inserter AND rolsuper)
       OR pg_has_role(inserter, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
       OR EXISTS (
           SELECT 1 FROM public.system_group_role s JOIN pg_roles g ON g.rolname = s.name
           WHERE NOT g.rolcanlogin AND g.rolname <> inserter
             AND has_table_privilege(g.oid, TG_RELID, 'SELECT')
             AND pg_has_role(inserter, g.oid, 'MEMBER'))
    THEN
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

_TRIGGER = (
    "CREATE TRIGGER audit_entry_actor_is_the_inserter BEFORE INSERT ON audit_entry"
    " FOR EACH ROW EXECUTE FUNCTION hotline_audit_actor_check()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_TABLE)
    op.execute(_SEED)
    # The trigger runs as the inserting role, which reads the table (a role's name, nothing secret);
    # ``db grants`` narrows it to the hotline roles.
    op.execute("GRANT SELECT ON system_group_role TO PUBLIC")
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entry_actor_is_the_inserter ON audit_entry")
    op.execute("DROP FUNCTION IF EXISTS hotline_audit_actor_check()")
    op.execute("DROP TABLE IF EXISTS system_group_role")
