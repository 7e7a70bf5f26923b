"""a ticket's line and a logged call or note name who wrote them: on PostgreSQL an operator's role holds
``INSERT`` and ``UPDATE`` on ``ticket_event`` and ``interaction`` (hotline writes them for her), so in SQL
it could write a note, a reply or a call naming another operator as its author. A trigger now checks, for
any role but a superuser, a role owning the table and a member of the system group (the exemptions of
0017, on ``session_user`` as 0019 made them):

- ``interaction.operator_id``: NULL or the operator the role is mapped to (``operator.db_role``, or the
  login equal to the role name), on INSERT and on an UPDATE that changes it (an UPDATE that keeps it, and
  the ``SET NULL`` of a deleted operator, pass);
- ``ticket_event``: with ``author_id``, that id is her operator's and ``author`` its login (what hotline
  writes for an actor); without, ``author`` is no other operator's login (a mail sender's address and
  ``rule: NAME`` are what hotline writes there). ``system``, what a system run she starts by hand writes,
  is recorded as her login, as 0017 does for audit entries. An UPDATE that changes ``author``, or sets
  ``author_id`` to another value than NULL, is checked the same way.

Anything else is refused (``insufficient_privilege``). SQLite has no roles: the file's permissions are its
boundary; nothing changes there.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION hotline_author_is_the_writer() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    writer name := session_user;
    ids integer[];
    logins text[];
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = writer AND rolsuper)
       OR pg_has_role(writer, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
       OR EXISTS (
           SELECT 1 FROM public.system_group_role s JOIN pg_roles g ON g.rolname = s.name
           WHERE NOT g.rolcanlogin AND g.rolname <> writer
             AND has_table_privilege(g.oid, 'public.audit_entry', 'SELECT')
             AND pg_has_role(writer, g.oid, 'MEMBER'))
    THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(array_agg(id), '{}'), coalesce(array_agg(login), '{}') INTO ids, logins
    FROM public.operator WHERE db_role = writer OR (db_role IS NULL AND login = writer);
    IF TG_TABLE_NAME = 'interaction' THEN
        IF NEW.operator_id IS NULL OR NEW.operator_id = ANY (ids)
           OR (TG_OP = 'UPDATE' AND NEW.operator_id IS NOT DISTINCT FROM OLD.operator_id)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the database role % may not log an interaction as operator id %',
            writer, NEW.operator_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.author IS NOT DISTINCT FROM OLD.author
       AND (NEW.author_id IS NULL OR NEW.author_id IS NOT DISTINCT FROM OLD.author_id)
    THEN
        RETURN NEW;
    END IF;
    IF NEW.author_id IS NULL AND NEW.author = 'system' AND NOT 'system' = ANY (logins) THEN
        NEW.author := coalesce(logins[1], left(writer, 320));
    END IF;
    IF NEW.author_id IS NOT NULL THEN
        IF NEW.author_id = ANY (ids)
           AND NEW.author = (SELECT login FROM public.operator WHERE id = NEW.author_id)
        THEN
            RETURN NEW;
        END IF;
    ELSIF NOT EXISTS (
        SELECT 1 FROM public.operator
        WHERE login = lower(btrim(NEW.author)) AND NOT login = ANY (logins))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the database role % may not write a ticket line as %', writer,
        coalesce(NEW.author_id::text, NEW.author) USING ERRCODE = 'insufficient_privilege';
END $$
"""

_TABLES = ("ticket_event", "interaction")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table in _TABLES:  # run again on a schema stamped one behind (a restore), it is the same
        op.execute(f"DROP TRIGGER IF EXISTS {table}_author_is_the_writer ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_author_is_the_writer BEFORE INSERT OR UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION hotline_author_is_the_writer()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_author_is_the_writer ON {table}")
    op.execute("DROP FUNCTION IF EXISTS hotline_author_is_the_writer()")
