"""PostgreSQL roles and grants: the database enforces what matters even to someone holding SQL.

One login role per operator (``operators add`` creates it where the acting role has CREATEROLE), in
one group role per hotline role: ``<prefix>_operator`` < ``<prefix>_supervisor`` < ``<prefix>_admin``
(each a member of the next one down), and ``<prefix>_system`` for cron and the PBX. ``db grants``
applies:

- operators read and write the working tables, but cannot read the audit trail (they may only add
  entries), cannot delete clients, cannot change who is an operator with which role (admins only), and
  get no TRUNCATE anywhere; no hotline role creates anything in schema ``public`` (PUBLIC's ``CREATE``
  there, before PostgreSQL 15, is revoked);
- supervisors also read the audit trail and may delete clients;
- nobody below a superuser may UPDATE or DELETE an audit entry (no grant, and a trigger);
- an audit entry names the operator whose role inserts it, unless that role is the system account
  (a trigger, migration 0017: ``db grants`` records which group role that is); the role that logged in
  (``session_user``: ``SET ROLE`` to a group changes nothing) and the catalog, never a temporary table
  shadowing it (migration 0019);
- no role below a superuser, the owner or the system account changes who it is: the login, role,
  active flag or ``db_role`` of the operator row it maps to, nor makes another row map to it (a trigger,
  migration 0018): another admin does, through hotline;
- a deactivated operator's login role is ``NOLOGIN`` and in no hotline group (``set_database_access``),
  so a session she still has open reads nothing more; reactivating grants her current role's group;
- clients' phones and addresses (and their lookup index) are under row security: a role below the
  supervisors' group reads those of clients hotline handed to it, within a budget of clients an hour
  (``contact_handout``, migration 0021; ``db grants --contact-budget``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from hotline.core.contact_handout import DEFAULT_BUDGET, GATED_TABLES, HANDOUT_FUNCTIONS, make_budget_ready
from hotline.core.enums import Role
from hotline.core.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from hotline.core.db import UnitOfWork

DEFAULT_PREFIX = "hotline"
MAX_BUDGET = 10_000_000
_RESERVED_ROLE_NAMES = ("public", "none", "current_user", "session_user", "current_role", "user")
_HANDOUT_TABLES = ("client_handout", "client_read_budget")
"""Migration 0021's: only its functions (the tables' owner) read and write them."""
_APPEND_ONLY = "audit_entry"
_PEOPLE = "operator"
_SYSTEM_GROUP = "system_group_role"
"""Which group role is the system account's (migration 0017): the audit trigger reads it, the owner
writes it (``db grants``), nobody else may."""


def group_role(role: Role | str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The group role of a hotline role: ``hotline_operator``."""
    return f"{prefix}_{Role(role).value}"


def system_role(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}_system"


def _quoted(name: str) -> str:
    if not name or '"' in name or "\x00" in name or len(name) > 63:
        raise InvalidInput(f"not a usable PostgreSQL role name: {name!r}", where="role")
    return f'"{name}"'


def _literal(value: str) -> str:
    """A string as an SQL literal (``db grants`` prints its statements, so they are written out)."""
    return "'" + value.replace("'", "''") + "'"


def _role_exists(connection: Connection, name: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name})
    return found.first() is not None


def may_create_roles(connection: Connection) -> bool:
    """Whether the acting database role may create roles (superuser or CREATEROLE)."""
    row = connection.execute(
        text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).first()
    return bool(row and row[0])


def apply_grants(
    uow: UnitOfWork, *, prefix: str = DEFAULT_PREFIX, contact_budget: int | None = None
) -> list[str]:
    """Create the group roles where missing and grant them what their hotline role may; admins only.

    ``contact_budget``: the clients an hour whose contact points an operator's role may be handed
    (``contact_handout``); None keeps the one set before (``DEFAULT_BUDGET`` the first time).
    Returns the statements run (``db grants`` prints them). Run again after every ``db upgrade``.
    """
    uow.authorize("db.admin", entity="database", entity_id="grants")  # refused before its arguments
    if contact_budget is not None and not 1 <= contact_budget <= MAX_BUDGET:
        raise InvalidInput(
            f"the contact budget is 1 to {MAX_BUDGET:,} clients an hour", where="--contact-budget"
        )
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql":
        raise InvalidInput("grants are for PostgreSQL; on SQLite the file's permissions are the boundary")
    _may_grant(uow, connection)
    operator, supervisor, admin = (_quoted(group_role(role, prefix=prefix)) for role in Role)
    system = _quoted(system_role(prefix))
    statements: list[str] = []
    for name in (operator, supervisor, admin, system):
        if not _role_exists(connection, name.strip('"')):
            statements.append(f"CREATE ROLE {name} NOLOGIN")
    statements += [
        f"GRANT {operator} TO {supervisor}",
        f"GRANT {supervisor} TO {admin}",
        f"GRANT {admin} TO {system}",
    ]
    tables = [
        row[0]
        for row in connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        )
    ]
    kept = (_APPEND_ONLY, "alembic_version", _PEOPLE, _SYSTEM_GROUP, *_HANDOUT_TABLES)
    working = [f'"{t}"' for t in tables if t not in kept]
    deletable = [t for t in working if t != '"client"']
    everyone = ", ".join((operator, supervisor, admin, system))
    statements += _schema_closed(connection, everyone)
    statements += [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, {everyone}",
        f"GRANT USAGE ON SCHEMA public TO {operator}",
        f'GRANT SELECT ON "alembic_version" TO {operator}',
        f"GRANT SELECT, INSERT, UPDATE ON {', '.join(working)} TO {operator}",
        f"GRANT DELETE ON {', '.join(deletable)} TO {operator}",
        f'GRANT DELETE ON "client" TO {supervisor}',
        # Who is an operator, with which role, mapped to which database role: a row an operator could
        # change in SQL would make her an admin in hotline's eyes. Only admins manage operators.
        f'GRANT SELECT ON "{_PEOPLE}" TO {operator}',
        f'GRANT INSERT, UPDATE, DELETE ON "{_PEOPLE}" TO {admin}',
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {operator}",
        # Operators add audit entries (the ORM reads back the new id) but never read the trail.
        f'GRANT INSERT, SELECT (id) ON "{_APPEND_ONLY}" TO {operator}',
        f'GRANT SELECT ON "{_APPEND_ONLY}" TO {supervisor}',
    ]
    if _SYSTEM_GROUP in tables:  # the audit trigger tells the system account by this group (0017)
        statements += [
            f'INSERT INTO "{_SYSTEM_GROUP}" (name) VALUES ({_literal(system_role(prefix))})'
            " ON CONFLICT DO NOTHING",
            f'GRANT SELECT ON "{_SYSTEM_GROUP}" TO {operator}',
        ]
    if _HANDOUT_TABLES[0] in tables:  # migration 0021: contact points are handed out
        statements += _handout_statements(connection, tables, (operator, supervisor, admin), contact_budget)
    for statement in statements:
        connection.exec_driver_sql(statement)
    from hotline.core.services.audit import record_audit

    record_audit(
        uow, action="db.grants", entity="database", after={"prefix": prefix, "statements": statements}
    )
    return statements


def _handout_statements(
    connection: Connection, tables: list[str], groups: tuple[str, str, str], contact_budget: int | None
) -> list[str]:
    """Row security on the contact points (``contact_handout``): a role below the supervisors' group reads
    the rows of clients handed out to it, through 0021's functions (theirs to execute), within its
    budget; the supervisors' group (admins and the system account are in it) has none. Admins read the
    ledger, the budget and the budgets' sequences: a backup (``pg_dump``) reads every table."""
    operator, supervisor, admin = groups
    # who makes the budgets' sequences: the owner of the function that makes them (the role that ran the
    # migration, which may not be the one owning the tables)
    owner = connection.execute(
        text(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc"
            " WHERE oid = to_regprocedure('public.hotline_read_budget_ready(text)')"
        )
    ).scalar_one()
    group = _literal(supervisor.strip('"'))
    per_hour = DEFAULT_BUDGET if contact_budget is None else contact_budget
    keep = "NOTHING" if contact_budget is None else "UPDATE SET per_hour = excluded.per_hour"
    statements = [
        f'DELETE FROM "client_read_budget" WHERE exempt_group <> {group}',
        f'INSERT INTO "client_read_budget" (exempt_group, per_hour) VALUES ({group}, {per_hour})'
        f" ON CONFLICT (exempt_group) DO {keep}",
        *(f"GRANT EXECUTE ON FUNCTION public.{signature} TO {operator}" for signature in HANDOUT_FUNCTIONS),
        f'GRANT SELECT ON "client_read_budget", "client_handout" TO {admin}',
        f"GRANT USAGE ON SCHEMA hotline_budget TO {admin}",
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA hotline_budget TO {admin}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quoted(owner)} IN SCHEMA hotline_budget"
        f" GRANT SELECT ON SEQUENCES TO {admin}",
    ]
    for table in GATED_TABLES:
        if table in tables:
            statements += [
                f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
                f'DROP POLICY IF EXISTS hotline_handed_out ON "{table}"',
                f'CREATE POLICY hotline_handed_out ON "{table}"'
                " USING ((SELECT hotline_reads_unbounded()) OR hotline_handed_out(client_id))",
            ]
    return statements


def owns_the_tables(connection: Connection) -> tuple[str, bool]:
    """The role that logged in, and whether it is a superuser or owns hotline's tables (is, or is in, the
    role owning ``audit_entry``): what DDL needs (a demo load setting keys and indexes aside, the grants)."""
    role, owns = connection.execute(
        text(
            "SELECT session_user, rolsuper OR coalesce(pg_has_role(session_user, (SELECT relowner"
            f" FROM pg_class WHERE oid = to_regclass('public.{_APPEND_ONLY}')), 'USAGE'), false)"
            " FROM pg_roles WHERE rolname = session_user"
        )
    ).one()
    return str(role), bool(owns)


def _may_grant(uow: UnitOfWork, connection: Connection) -> None:
    """Refuse (exit 2, one line, audited) a role that cannot apply the grants, before any of them: they need a
    superuser, or the owner of hotline's tables holding CREATEROLE. An admin's or the system account's
    role got the first statement PostgreSQL refused ("must have admin option on role …"), exit 1."""
    role, owns = owns_the_tables(connection)
    if not (owns and may_create_roles(connection)):
        uow.refuse(
            "db.admin",
            f"db grants: the database role {role!r} may not apply them; run it as a superuser or as the owner"
            " of hotline's tables with CREATEROLE",
            entity="database",
            entity_id="grants",
        )


def _schema_closed(connection: Connection, everyone: str) -> list[str]:
    """No hotline role creates anything in ``public``: PostgreSQL before 15 (and a database upgraded from
    one) grants ``CREATE`` on it to PUBLIC, and a function an operator put there (``public.lower(varchar)``)
    is preferred to the catalog's for the argument types it matches exactly, so it ran as whoever called
    it next: an admin, the superuser running ``db upgrade``. The role owning hotline's tables keeps
    ``CREATE`` (granted by name where it had it only as PUBLIC), so ``db upgrade`` still works. Only the
    schema's owner or a superuser may revoke it: for anyone else there is nothing to run here."""
    may_revoke, tables_owner = connection.execute(
        text(
            "SELECT pg_has_role(current_user, n.nspowner, 'USAGE'), (SELECT pg_get_userbyid(c.relowner)"
            " FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = :table"
            " AND NOT pg_has_role(c.relowner, n.nspowner, 'USAGE'))"
            " FROM pg_namespace n WHERE n.nspname = 'public'"
        ),
        {"table": _APPEND_ONLY},
    ).one()
    if not may_revoke:
        return []
    keep = [] if tables_owner is None else [f"GRANT CREATE ON SCHEMA public TO {_quoted(tables_owner)}"]
    return [*keep, f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {everyone}"]


def ensure_login_role(uow: UnitOfWork, *, login: str, role: Role, prefix: str = DEFAULT_PREFIX) -> str | None:
    """Give the operator ``login`` a database role of that name in its group role, where the acting role
    may (CREATEROLE) and ``db grants`` has made the group roles; the role's name, or ``None`` (then the
    DBA creates it and sets ``operator.db_role``, or the login is the role's name)."""
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    hotline_roles = [group_role(each, prefix=prefix) for each in Role] + [system_role(prefix)]
    if login in hotline_roles:
        # Made an operator's login role, the group would lose its place (``hotline_system`` its admin rights).
        raise InvalidInput(
            f"{login!r} is one of hotline's group roles ({', '.join(hotline_roles)}), not an operator's",
            where="LOGIN",
        )
    if login.startswith("pg_") or login in _RESERVED_ROLE_NAMES:
        # PostgreSQL reserves these: CREATE ROLE failed (exit 1), and an existing one (pg_monitor) is a
        # predefined group, whose members would all have become this operator and her group's grants.
        # A role named "current_user" (or "session_user", "current_role", "user") is made when quoted,
        # but a DBA's unquoted ALTER ROLE current_user … changes whoever runs it, not her.
        raise InvalidInput(
            f"{login!r} is a role name PostgreSQL reserves (pg_…, public, none, current_user,"
            " session_user, current_role, user), not an operator's",
            where="LOGIN",
        )
    if not may_create_roles(connection):
        return None
    group = group_role(role, prefix=prefix)
    if not _role_exists(connection, group):
        return None
    if not _role_exists(connection, login):
        connection.exec_driver_sql(f"CREATE ROLE {_quoted(login)} LOGIN")
    for other in Role:
        if other != role and _role_exists(connection, group_role(other, prefix=prefix)):
            connection.exec_driver_sql(
                f"REVOKE {_quoted(group_role(other, prefix=prefix))} FROM {_quoted(login)}"
            )
    connection.exec_driver_sql(f"GRANT {_quoted(group)} TO {_quoted(login)}")
    if connection.execute(text("SELECT to_regprocedure('public.hotline_read_budget_ready(text)')")).scalar():
        make_budget_ready(connection, login)  # her budget of contact points (0021), with the role
    return login


def set_login_allowed(uow: UnitOfWork, *, role: str, allowed: bool) -> bool:
    """``ALTER ROLE … LOGIN | NOLOGIN`` where the acting role may; whether it did."""
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql" or not may_create_roles(connection):
        return False
    if not _role_exists(connection, role):
        return False
    connection.exec_driver_sql(f"ALTER ROLE {_quoted(role)} {'LOGIN' if allowed else 'NOLOGIN'}")
    return True


def set_database_access(
    uow: UnitOfWork, *, role: str, operator_role: Role, allowed: bool, prefix: str = DEFAULT_PREFIX
) -> list[str]:
    """An operator's login role deactivated or reactivated, where the acting role may (CREATEROLE): the
    statements run (none where it may not, or the role is not there).

    Deactivated: ``NOLOGIN`` (no new session) and every hotline group role it is a direct member of
    revoked, so a session already open reads nothing more either: PostgreSQL checks a role's groups at
    each statement, ``NOLOGIN`` only at connection. Reactivated: ``LOGIN``, and the group of the
    operator's current role granted again. The acting role's own memberships are never touched (nobody
    deactivates herself, ``set_operator_active`` says so first), nor the system group's.
    """
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql" or not may_create_roles(connection):
        return []
    if not _role_exists(connection, role):
        return []
    acting = connection.execute(text("SELECT current_user")).scalar_one()
    hotline_roles = [group_role(each, prefix=prefix) for each in Role]
    if role == acting or role in (*hotline_roles, system_role(prefix)):
        return []
    statements = [f"ALTER ROLE {_quoted(role)} {'LOGIN' if allowed else 'NOLOGIN'}"]
    if allowed:
        group = group_role(operator_role, prefix=prefix)
        if _role_exists(connection, group):
            statements.append(f"GRANT {_quoted(group)} TO {_quoted(role)}")
    else:
        member_of = _groups_of(connection, role, prefix=prefix)
        statements += [f"REVOKE {_quoted(group)} FROM {_quoted(role)}" for group in member_of]
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements


def access_left(
    uow: UnitOfWork, *, role: str | None, prefix: str = DEFAULT_PREFIX, operator_role: Role | None = None
) -> list[str]:
    """What a database administrator must still run, where the acting role could not (no CREATEROLE), so
    that the login role ``role`` has what its operator has: after a deactivation (no ``operator_role``)
    ``NOLOGIN`` and no hotline group, her open sessions reading nothing more; for an active operator of
    ``operator_role`` (a role changed, reactivated) ``LOGIN`` and that group alone. Empty when nothing is
    left (or not on PostgreSQL). Said, not left to be found: a demoted supervisor's role kept reading the
    audit trail and deleting clients in SQL, a promoted one's was refused what hotline now let her do."""
    connection = uow.session.connection()
    if role is None or connection.dialect.name != "postgresql" or not _role_exists(connection, role):
        return []
    if operator_role is not None and may_create_roles(connection):
        return []  # hotline moved her groups itself; a LOGIN a DBA took away is the DBA's
    groups = _groups_of(connection, role, prefix=prefix)
    can_login = connection.execute(
        text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).scalar()
    if operator_role is None:
        left = [f"REVOKE {_quoted(group)} FROM {_quoted(role)}" for group in groups]
        return [f"ALTER ROLE {_quoted(role)} NOLOGIN", *left] if can_login else left
    wanted = group_role(operator_role, prefix=prefix)
    left = [] if can_login else [f"ALTER ROLE {_quoted(role)} LOGIN"]
    if wanted not in groups and _role_exists(connection, wanted):
        left.append(f"GRANT {_quoted(wanted)} TO {_quoted(role)}")
    return left + [f"REVOKE {_quoted(group)} FROM {_quoted(role)}" for group in groups if group != wanted]


def _groups_of(connection: Connection, role: str, *, prefix: str) -> list[str]:
    """The hotline group roles ``role`` is a direct member of."""
    hotline_roles = [group_role(each, prefix=prefix) for each in Role]
    return list(
        connection.execute(
            text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :role AND g.rolname = ANY(:groups)"
                " ORDER BY g.rolname"
            ),
            {"role": role, "groups": hotline_roles},
        ).scalars()
    )
