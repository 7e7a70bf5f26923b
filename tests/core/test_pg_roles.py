"""PostgreSQL: the operator is the role PostgreSQL authenticated, and the grants hold even for someone
typing SQL. Real roles, unique per run (a uuid prefix), dropped afterwards; trust auth, ``user=``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hotline.core.db import UnitOfWork, is_permission_denied, make_engine
from hotline.core.errors import InvalidInput
from hotline.core.models import AuditEntry, Operator
from hotline.core.models.enums import Role
from hotline.core.pg_roles import apply_grants, group_role, system_role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from tests.cli.invoke import hotline
from tests.conftest import TEST_ROLE_PREFIX, drop_session_roles, session_roles

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@dataclass
class Roles:
    prefix: str
    anna: str
    sue: str
    cron: str

    def url(self, database_url: str, role: str) -> str:
        return database_url.replace("://postgres@", f"://{role}@")


@pytest.fixture
def roles(backend, engine, clock) -> Iterator[Roles]:
    prefix = f"{TEST_ROLE_PREFIX}{uuid.uuid4().hex[:6]}"  # the session's: its guard sees a role left
    made = Roles(prefix, anna=f"{prefix}-anna", sue=f"{prefix}-sue", cron=f"{prefix}-cron")
    created = [
        made.anna,
        made.sue,
        made.cron,
        *(group_role(r, prefix=prefix) for r in Role),
        system_role(prefix),
    ]
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            apply_grants(uow, prefix=prefix)
            add_operator(uow, login="admin", role=Role.ADMIN)
            ensure_queue(uow, name="Support")
            add_operator(uow, login=made.anna, role=Role.OPERATOR, pg_role_prefix=prefix)
            add_operator(uow, login=made.sue, role=Role.SUPERVISOR, pg_role_prefix=prefix)
            uow.session.connection().exec_driver_sql(
                f'CREATE ROLE "{made.cron}" LOGIN IN ROLE "{system_role(prefix)}"'
            )
        yield made
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for role in created:
                if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')


def _audit(engine, action: str) -> list[AuditEntry]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(
            uow.session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def test_operators_add_creates_the_login_role_in_its_group(roles: Roles, engine) -> None:
    with engine.connect() as connection:
        member = connection.execute(
            text("SELECT pg_has_role(:role, :group, 'MEMBER')"),
            {"role": roles.anna, "group": group_role(Role.OPERATOR, prefix=roles.prefix)},
        ).scalar_one()
    assert member
    with UnitOfWork(engine, readonly=True) as uow:
        anna = uow.session.exec(select(Operator).where(Operator.login == roles.anna)).scalars().one()
    assert anna.db_role == roles.anna


def test_the_authenticated_role_is_the_operator_and_may_not_claim_another(
    roles: Roles, engine, database_url: str
) -> None:
    as_anna = roles.url(database_url, roles.anna)
    created = hotline("--db", as_anna, "tickets", "create", "--subject", "from anna", "--queue", "Support")
    assert created.exit_code == 0, created.output
    [entry] = _audit(engine, "ticket.create")
    assert entry.actor == roles.anna
    claimed = hotline("--db", as_anna, "--operator", roles.sue, "tickets", "list")
    assert claimed.exit_code == 2
    assert "--operator may only narrow the system account" in claimed.output
    refused = hotline("--db", as_anna, "audit", "list")
    assert refused.exit_code == 2
    assert "audit.read needs supervisor or admin" in refused.output
    assert [e.actor for e in _audit(engine, "refused:audit.read")] == [roles.anna]
    assert [e.actor for e in _audit(engine, "refused:login")] == [roles.anna]
    as_sue = roles.url(database_url, roles.sue)
    listed = hotline("--db", as_sue, "audit", "list", "--json")
    assert listed.exit_code == 0, listed.output


def test_the_system_role_narrows_to_an_operator_and_it_is_audited(
    roles: Roles, engine, database_url: str
) -> None:
    as_cron = roles.url(database_url, roles.cron)
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    plain = hotline("--db", as_cron, "tickets", "list", "--json", env=prefix)
    assert plain.exit_code == 0, plain.output
    result = hotline(
        "--db",
        as_cron,
        "--operator",
        roles.anna,
        "tickets",
        "create",
        "--subject",
        "pbx",
        "--queue",
        "Support",
        env=prefix,
    )
    assert result.exit_code == 0, result.output
    [narrowed] = _audit(engine, "identity.narrow")
    assert (narrowed.actor, narrowed.entity_id) == (roles.cron, roles.anna)


def test_sql_cannot_read_the_audit_trail_delete_clients_or_rewrite_history(
    roles: Roles, engine, database_url: str
) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.connection().exec_driver_sql(
            "INSERT INTO client (name, kind, notes, created_at, updated_at, tags) VALUES ('Acme', 'organisation', '', now(), now(), '[]')"
        )
    anna = make_engine(roles.url(database_url, roles.anna))
    sue = make_engine(roles.url(database_url, roles.sue))
    try:
        for statement in (
            "SELECT * FROM audit_entry",
            "DELETE FROM client",
            "UPDATE audit_entry SET actor = 'x'",
            "TRUNCATE client",
            # an operator making herself an admin in hotline's eyes, or taking another's row
            f"UPDATE operator SET role = 'admin' WHERE login = '{roles.anna}'",
            f"UPDATE operator SET db_role = '{roles.anna}x' WHERE login = 'admin'",
            "INSERT INTO operator (login, display_name, role, active, created_at)"
            " VALUES ('mallory', 'm', 'admin', true, now())",
        ):
            with pytest.raises(DBAPIError, match="permission denied"), anna.begin() as connection:
                connection.exec_driver_sql(statement)
        with anna.begin() as connection:  # what the console needs still works
            assert connection.exec_driver_sql("SELECT count(*) FROM client").scalar_one() == 1
        with sue.begin() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM audit_entry").scalar_one() > 0
        for statement in (
            "UPDATE audit_entry SET actor = 'x'",
            "DELETE FROM audit_entry",
            f"UPDATE operator SET role = 'admin' WHERE login = '{roles.sue}'",
        ):
            with pytest.raises(DBAPIError, match="permission denied"), sue.begin() as connection:
                connection.exec_driver_sql(statement)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM audit_entry")  # even the owner: the trigger
    finally:
        anna.dispose()
        sue.dispose()


def test_role_changes_and_deactivation_follow_into_postgresql(roles: Roles, engine, clock) -> None:
    from hotline.core.services.operators import set_operator_active, set_operator_role

    with UnitOfWork(engine, clock=clock) as uow:
        set_operator_role(uow, login=roles.anna, role=Role.SUPERVISOR, pg_role_prefix=roles.prefix)
        set_operator_active(uow, login=roles.sue, active=False)
    with engine.connect() as connection:
        member = connection.execute(
            text("SELECT pg_has_role(:role, :group, 'MEMBER'), pg_has_role(:role, :old, 'USAGE')"),
            {
                "role": roles.anna,
                "group": group_role(Role.SUPERVISOR, prefix=roles.prefix),
                "old": group_role(Role.OPERATOR, prefix=roles.prefix),
            },
        ).one()
        can_login = connection.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"), {"role": roles.sue}
        ).scalar_one()
    assert tuple(member) == (True, True)  # a supervisor inherits the operator group
    assert can_login is False


def test_deactivation_cuts_a_session_already_open_and_reactivation_restores_it(
    roles: Roles, engine, clock, database_url: str
) -> None:
    """``NOLOGIN`` stops new sessions only: anna's console, connected before, kept reading clients. Her
    group roles are revoked too (PostgreSQL checks them at each statement); reactivating grants the group
    of her current role, also when it changed meanwhile (a deactivated role is given no group)."""
    from hotline.core.services.operators import set_operator_active, set_operator_role

    def reads(connection) -> bool:
        """Whether the session may read clients (else PostgreSQL's "permission denied", nothing else)."""
        try:
            connection.exec_driver_sql("SELECT count(*) FROM client").scalar_one()
        except DBAPIError as error:
            if "permission denied for table client" not in str(error):
                raise
            assert is_permission_denied(error)  # noqa: PT017 (what the console locks on)
            return False
        finally:
            connection.rollback()
        return True

    def member(group: Role) -> bool:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT pg_has_role(:role, :group, 'MEMBER')"),
                {"role": roles.anna, "group": group_role(group, prefix=roles.prefix)},
            ).scalar_one()

    anna = make_engine(roles.url(database_url, roles.anna))
    try:
        with pytest.raises(DBAPIError, match="may not write an audit entry as") as forged:
            _insert_entry(anna, "admin", owner=engine)
        assert not is_permission_denied(forged.value)  # a trigger's refusal (0017), not a revoked role
        with anna.connect() as open_session:
            assert reads(open_session)
            with UnitOfWork(engine, actor_login="admin", clock=clock) as uow:
                set_operator_active(uow, login=roles.anna, active=False, pg_role_prefix=roles.prefix)
            assert not reads(open_session)
            with UnitOfWork(engine, actor_login="admin", clock=clock) as uow:
                set_operator_role(uow, login=roles.anna, role=Role.SUPERVISOR, pg_role_prefix=roles.prefix)
            assert not reads(open_session) and not member(Role.OPERATOR)
            with UnitOfWork(engine, actor_login="admin", clock=clock) as uow:
                set_operator_active(uow, login=roles.anna, active=True, pg_role_prefix=roles.prefix)
            assert reads(open_session)
    finally:
        anna.dispose()
    assert member(Role.SUPERVISOR)
    with engine.connect() as connection:
        can_login = connection.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"), {"role": roles.anna}
        ).scalar_one()
    assert can_login is True
    operator_group = group_role(Role.OPERATOR, prefix=roles.prefix)
    supervisor_group = group_role(Role.SUPERVISOR, prefix=roles.prefix)
    [deactivated] = _audit(engine, "operator.deactivate")
    assert deactivated.actor == "admin"
    assert deactivated.after["database"] == [
        f'ALTER ROLE "{roles.anna}" NOLOGIN',
        f'REVOKE "{operator_group}" FROM "{roles.anna}"',
    ]
    [activated] = _audit(engine, "operator.activate")
    assert activated.after["database"] == [
        f'ALTER ROLE "{roles.anna}" LOGIN',
        f'GRANT "{supervisor_group}" TO "{roles.anna}"',
    ]


def test_operators_deactivate_and_activate_move_the_login_role_out_of_its_group_and_back(
    roles: Roles, database_url: str, engine
) -> None:
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    operator_group = group_role(Role.OPERATOR, prefix=roles.prefix)

    def member() -> bool:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT pg_has_role(:role, :group, 'MEMBER')"),
                {"role": roles.anna, "group": operator_group},
            ).scalar_one()

    deactivated = hotline("--db", database_url, "operators", "deactivate", roles.anna, env=prefix)
    assert deactivated.exit_code == 0, deactivated.output
    assert not member()
    activated = hotline("--db", database_url, "operators", "activate", roles.anna, env=prefix)
    assert activated.exit_code == 0, activated.output
    assert activated.output.strip() == f"{roles.anna} activated"
    assert member()


def test_an_admin_who_may_not_manage_roles_is_told_what_is_left_to_revoke(
    roles: Roles, database_url: str, engine
) -> None:
    """An admin whose role has no CREATEROLE deactivates anna in hotline, but cannot take her login role
    out of its group: her open sessions keep reading. She is told so, with what a DBA must run."""
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    boss = f"{roles.prefix}-boss"
    operator_group = group_role(Role.OPERATOR, prefix=roles.prefix)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    try:
        done = hotline(
            "--db", roles.url(database_url, boss), "operators", "deactivate", roles.anna, env=prefix
        )
        assert done.exit_code == 0, done.output
        assert f"{roles.anna} deactivated" in done.output
        assert "a database administrator must run" in done.output, done.output
        assert f'REVOKE "{operator_group}" FROM "{roles.anna}"' in done.output, done.output
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT pg_has_role(:role, :group, 'MEMBER')"),
                {"role": roles.anna, "group": operator_group},
            ).scalar_one()
        again = hotline("--db", database_url, "operators", "deactivate", roles.anna, env=prefix)
        assert again.exit_code == 0 and "must run" not in again.output, again.output  # a superuser could
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{boss}"')
            connection.exec_driver_sql(f'DROP ROLE "{boss}"')


def test_an_admin_who_may_not_manage_roles_is_told_what_a_role_change_leaves(
    roles: Roles, database_url: str, engine
) -> None:
    """Without CREATEROLE, ``operators role sue operator`` said only "is now operator": her login role kept
    reading the audit trail and deleting clients in SQL. ``operators role anna supervisor`` left anna's
    role refused what hotline now let her do (``audit list``: "database error", exit 1); reactivating left
    her NOLOGIN. Each says what a DBA must run, and running it gives the role what the operator has."""
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    boss = f"{roles.prefix}-boss"
    operators, supervisors = (group_role(r, prefix=roles.prefix) for r in (Role.OPERATOR, Role.SUPERVISOR))
    with UnitOfWork(engine) as uow:
        add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    as_boss = roles.url(database_url, boss)
    try:
        demoted = hotline("--db", as_boss, "operators", "role", roles.sue, "operator", env=prefix)
        assert demoted.exit_code == 0, demoted.output
        assert demoted.output.splitlines()[1] == (
            f"her database role {roles.sue!r} is not yet what an operator has (your role may not manage roles:"
            f' CREATEROLE); a database administrator must run: GRANT "{operators}" TO "{roles.sue}";'
            f' REVOKE "{supervisors}" FROM "{roles.sue}"'
        )
        promoted = hotline("--db", as_boss, "operators", "role", roles.anna, "supervisor", env=prefix)
        assert f'GRANT "{supervisors}" TO "{roles.anna}"; REVOKE "{operators}"' in promoted.output
        for statement in (demoted.output + promoted.output).split("must run: ")[1:]:
            with engine.begin() as connection:
                for each in statement.split("\n")[0].split("; "):
                    connection.exec_driver_sql(each)
        listed = hotline("--db", roles.url(database_url, roles.anna), "audit", "list", "--json")
        assert listed.exit_code == 0, listed.output
        with engine.connect() as connection:
            assert not connection.execute(
                text("SELECT has_table_privilege(:role, 'audit_entry', 'SELECT')"), {"role": roles.sue}
            ).scalar_one()
        hotline("--db", database_url, "operators", "deactivate", roles.anna, env=prefix)
        back = hotline("--db", as_boss, "operators", "activate", roles.anna, env=prefix)
        assert back.exit_code == 0, back.output
        assert (
            f'must run: ALTER ROLE "{roles.anna}" LOGIN; GRANT "{supervisors}" TO "{roles.anna}"'
            in back.output
        )
        again = hotline("--db", database_url, "operators", "role", roles.anna, "operator", env=prefix)
        assert again.exit_code == 0 and "must run" not in again.output, again.output  # a superuser could
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{boss}"')
            connection.exec_driver_sql(f'DROP ROLE "{boss}"')


def test_the_consoles_quick_check_proves_an_operator_by_her_role(roles: Roles, database_url: str) -> None:
    """``quick_identity`` (the console, before its first frame) finds the operator by ``db_role`` as the
    full check does, and leaves a narrowing the role may not do to the full check's refusal."""
    from hotline.core.identity import quick_identity, resolve_identity

    anna = make_engine(roles.url(database_url, roles.anna))
    try:
        proven = quick_identity(anna, requested=None, prefix=roles.prefix)
        assert proven == resolve_identity(anna, requested=None, prefix=roles.prefix)
        assert proven is not None and proven.login == roles.anna
        assert quick_identity(anna, requested="admin", prefix=roles.prefix) is None
    finally:
        anna.dispose()


def test_a_group_role_is_never_made_an_operators_login_role(roles: Roles, engine, clock) -> None:
    """``operators add hotline_system`` demoted the system account (REVOKE hotline_admin FROM it), and
    ``operators add hotline_admin`` failed as a database error: both are bad input, and nothing changes."""
    system, admin = system_role(roles.prefix), group_role(Role.ADMIN, prefix=roles.prefix)
    for login, role in ((system, Role.OPERATOR), (admin, Role.ADMIN)):
        with (
            pytest.raises(InvalidInput, match="one of hotline's group roles"),
            UnitOfWork(engine, clock=clock) as uow,
        ):
            add_operator(uow, login=login, role=role, pg_role_prefix=roles.prefix)
    with engine.connect() as connection:
        still_admin = connection.execute(
            text("SELECT pg_has_role(:role, :group, 'MEMBER')"), {"role": system, "group": admin}
        ).scalar_one()
    assert still_admin
    with UnitOfWork(engine, readonly=True) as uow:
        logins = set(uow.session.exec(select(Operator.login)).scalars())
    assert not logins & {system, admin}


def test_a_role_name_postgresql_reserves_is_never_made_an_operators_login_role(
    roles: Roles, engine, database_url: str
) -> None:
    """``operators add public`` (``none``, ``pg_…``) was "database error: role name … is reserved", exit 1;
    ``operators add pg_monitor`` granted the operator group to that predefined role, so every monitoring
    role in it became the operator. Bad input now, exit 2, and nothing granted."""
    env = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    for login in (
        "public",
        "none",
        f"pg_{roles.prefix}",
        "pg_monitor",
        "current_user",
        "session_user",
        "user",
    ):
        added = hotline("--db", database_url, "--operator", "admin", "operators", "add", login, env=env)
        assert added.exit_code == 2, (login, added.output)
        assert added.output == f"hotline: error: LOGIN: {login!r} is a role name PostgreSQL reserves" + (
            " (pg_…, public, none, current_user, session_user, current_role, user), not an operator's\n"
        )
    with engine.connect() as connection:
        granted = connection.execute(
            text("SELECT pg_has_role('pg_monitor', :group, 'MEMBER')"),
            {"group": group_role(Role.OPERATOR, prefix=roles.prefix)},
        ).scalar_one()
        logins = set(connection.execute(text("SELECT login FROM operator")).scalars())
    assert not granted
    assert logins == {"admin", roles.anna, roles.sue}


def test_a_role_that_is_not_hotlines_is_refused_not_sent_to_db_init(
    roles: Roles, engine, database_url: str
) -> None:
    """Without grants it cannot read the schema: that was "empty" (exit 0) and "run `hotline db init`"."""
    stranger = f"{roles.prefix}-stranger"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{stranger}" LOGIN')
    try:
        as_stranger = roles.url(database_url, stranger)
        for command in (["db", "status"], ["db", "init"], ["tickets", "list"]):
            result = hotline("--db", as_stranger, *command)
            assert result.exit_code == 2, (command, result.output)
            said = f"hotline: error: the database role {stranger!r} is not a hotline operator"
            assert result.output.strip() == said + " (it may not read the schema)"
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP ROLE "{stranger}"')


def test_the_call_commands_refuse_a_role_in_no_hotline_group(roles: Roles, engine, database_url: str) -> None:
    """``call incoming`` and ``call dial`` prove who acts before the schema check the other commands make:
    a role PostgreSQL refuses the operator table (a stranger, an operator deactivated by hotline: her
    groups revoked) was "database error: permission denied for table operator", exit 1."""
    stranger = f"{roles.prefix}-stranger"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{stranger}" LOGIN')
    deactivated = hotline(
        "--db", database_url, "--operator", "admin", "operators", "deactivate", roles.anna,
        env={"HOTLINE_PG_ROLE_PREFIX": roles.prefix},
    )  # fmt: skip
    assert deactivated.exit_code == 0, deactivated.output
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'ALTER ROLE "{roles.anna}" LOGIN')  # a session she still had, say
    try:
        for role in (stranger, roles.anna):
            for command in (
                ["call", "incoming", "+7 916 123 45 67"],
                ["call", "incoming", "+7 916 123 45 67", "--operator", roles.sue],
                ["call", "dial", "+7 916 123 45 67"],
            ):
                result = hotline("--db", roles.url(database_url, role), *command)
                assert result.exit_code == 2, (role, command, result.output)
                said = (
                    f"hotline: error: the database role {role!r} is not a hotline operator (it may not read"
                )
                assert result.output.startswith(said), (role, command, result.output)
                assert result.output.count("\n") == 1, (role, command, result.output)
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP ROLE "{stranger}"')


def test_an_operator_role_may_not_set_the_clock_and_the_system_role_may(
    roles: Roles, engine, database_url: str
) -> None:
    """``--now`` would date the operator's audit entries as she pleases; cron's system role replays."""
    backdated = ("--now", "2020-01-01T00:00:00")
    as_anna = roles.url(database_url, roles.anna)
    refused = hotline(
        "--db", as_anna, *backdated, "tickets", "create", "--subject", "x", "--queue", "Support"
    )
    assert refused.exit_code == 2, refused.output
    assert "--now: a fixed clock is for the system account" in refused.output
    assert _audit(engine, "ticket.create") == []
    [entry] = _audit(engine, "refused:login")
    assert entry.actor == roles.anna and entry.at.year > 2020
    as_cron = roles.url(database_url, roles.cron)
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    replay = hotline("--db", as_cron, *backdated, "--operator", roles.anna, "tickets", "list", env=prefix)
    assert replay.exit_code == 0, replay.output


def test_a_login_named_like_a_system_group_is_not_the_system_account(
    roles: Roles, engine, clock, database_url: str
) -> None:
    """The prefix is the caller's setting: ``<x>_system`` must be the group ``db grants`` made, not the
    operator's own login role (she was the system account with the prefix ``x``, then any admin)."""
    login = f"{roles.prefix}ops_system"
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            add_operator(uow, login=login, role=Role.OPERATOR, pg_role_prefix=roles.prefix)
        as_her = roles.url(database_url, login)
        posing = {"HOTLINE_PG_ROLE_PREFIX": f"{roles.prefix}ops"}
        result = hotline("--db", as_her, "--operator", "admin", "clients", "export", env=posing)
        assert result.exit_code == 2, result.output
        assert "--operator may only narrow the system account" in result.output
        assert _audit(engine, "client.export") == []
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{login}"')
            connection.exec_driver_sql(f'DROP ROLE "{login}"')


_FORGED = (
    "INSERT INTO audit_entry (at, actor, action, entity, via)"
    " VALUES (now(), :actor, 'client.export', 'client', 'cli: hotline clients export')"
)


def _insert_entry(as_role, actor: str, *, owner) -> str:
    """Insert an entry naming ``actor`` in SQL as ``as_role``; the actor the database recorded."""
    with as_role.begin() as connection:  # an operator may read back the id only
        entry = connection.execute(text(_FORGED + " RETURNING id"), {"actor": actor}).scalar_one()
    with owner.connect() as connection:
        return connection.execute(
            text("SELECT actor FROM audit_entry WHERE id = :id"), {"id": entry}
        ).scalar_one()


def test_an_operator_role_may_not_write_another_actors_audit_entry_in_sql(
    roles: Roles, engine, database_url: str
) -> None:
    """Anna could INSERT an entry naming the admin (or the system) and forge it; hotline's own entries,
    her writes and her refused attempts, still land as hers, and the system account may name anyone."""
    anna = make_engine(roles.url(database_url, roles.anna))
    try:
        for forged in ("admin", roles.sue):
            with pytest.raises(DBAPIError, match="may not write an audit entry as"):
                _insert_entry(anna, forged, owner=engine)
        assert _insert_entry(anna, roles.anna, owner=engine) == roles.anna
        assert _insert_entry(anna, "system", owner=engine) == roles.anna  # recorded as who wrote it
    finally:
        anna.dispose()
    assert [e.actor for e in _audit(engine, "client.export")] == [roles.anna, roles.anna]
    as_anna = roles.url(database_url, roles.anna)
    created = hotline("--db", as_anna, "tickets", "create", "--subject", "mine", "--queue", "Support")
    assert created.exit_code == 0, created.output
    refused = hotline("--db", as_anna, "clients", "export")
    assert refused.exit_code == 2, refused.output
    assert [e.actor for e in _audit(engine, "ticket.create")] == [roles.anna]
    assert [e.actor for e in _audit(engine, "refused:client.export")] == [roles.anna]
    as_cron = roles.url(database_url, roles.cron)
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    narrowed = hotline(
        "--db", as_cron, "--operator", roles.sue, "tickets", "create", "--subject", "pbx", "--queue",
        "Support", env=prefix,
    )  # fmt: skip
    assert narrowed.exit_code == 0, narrowed.output
    assert [e.actor for e in _audit(engine, "ticket.create")] == [roles.anna, roles.sue]
    cron = make_engine(as_cron)
    try:
        assert _insert_entry(cron, "admin", owner=engine) == "admin"
    finally:
        cron.dispose()


def test_a_database_granted_before_the_actor_trigger_keeps_its_system_account(
    roles: Roles, engine, database_url: str
) -> None:
    """``db upgrade`` past 0017 finds the group ``db grants`` made before (cron keeps writing as the system
    and anna as herself, before grants run again); ``db grants`` then runs as before."""
    from hotline.core import migrate

    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    migrate.downgrade(engine, "0016")
    try:
        granted_early = hotline("--db", database_url, "db", "grants", env=prefix)
        assert granted_early.exit_code == 1 and "run `hotline db upgrade`" in granted_early.output
        upgraded = hotline("--db", database_url, "db", "upgrade", env=prefix)
        assert upgraded.exit_code == 0, upgraded.output
        assert migrate.current_revision(engine) == migrate.head_revision()
        for role, actor, recorded in ((roles.cron, "admin", "admin"), (roles.anna, "system", roles.anna)):
            as_role = make_engine(roles.url(database_url, role))
            try:
                assert _insert_entry(as_role, actor, owner=engine) == recorded
            finally:
                as_role.dispose()
        granted = hotline("--db", database_url, "db", "grants", env=prefix)
        assert granted.exit_code == 0, granted.output
        as_anna = roles.url(database_url, roles.anna)
        created = hotline("--db", as_anna, "tickets", "create", "--subject", "after", "--queue", "Support")
        assert created.exit_code == 0, created.output
    finally:
        migrate.upgrade(engine)


def test_a_role_mapped_to_another_login_writes_as_its_operator(
    roles: Roles, engine, clock, database_url: str
) -> None:
    """The DBA's role for operator ``bob`` (``operator.db_role``) writes bob's entries, not its own name's
    nor anyone else's; refused at login (``--now``, deactivated), hotline's entry names the role and lands."""
    role, bob = f"{roles.prefix}-pg-bob", f"{roles.prefix}bob"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            f'CREATE ROLE "{role}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=roles.prefix)}"'
        )
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            add_operator(uow, login=bob, role=Role.OPERATOR, db_role=role)
        as_bob = roles.url(database_url, role)
        created = hotline("--db", as_bob, "tickets", "create", "--subject", "bob's", "--queue", "Support")
        assert created.exit_code == 0, created.output
        assert [e.actor for e in _audit(engine, "ticket.create")] == [bob]
        bob_engine = make_engine(as_bob)
        try:
            with pytest.raises(DBAPIError, match="may not write an audit entry as"):
                _insert_entry(bob_engine, roles.anna, owner=engine)
        finally:
            bob_engine.dispose()
        backdated = hotline("--db", as_bob, "--now", "2020-01-01T00:00:00", "tickets", "list")
        assert backdated.exit_code == 2 and "--now" in backdated.output, backdated.output
        with engine.begin() as connection:  # deactivated where hotline could not make the role NOLOGIN
            connection.execute(text("UPDATE operator SET active = false WHERE login = :l"), {"l": bob})
        refused = hotline("--db", as_bob, "tickets", "list")
        assert refused.exit_code == 2 and "is deactivated" in refused.output, refused.output
        assert [e.actor for e in _audit(engine, "refused:login")] == [role, role]
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')


def test_a_system_unit_started_by_an_operators_role_is_recorded_as_hers(
    roles: Roles, engine, clock, database_url: str
) -> None:
    """Her console makes the day's birthday reminders as the system (no actor): the entry lands, as hers."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from hotline.core.services.clients import ClientDraft, create_client
    from hotline.core.services.reminders import create_birthday_reminders

    zone = ZoneInfo("Europe/Moscow")
    today = clock.now().astimezone(zone).date()
    with UnitOfWork(engine, clock=clock) as uow:
        create_client(
            uow,
            draft=ClientDraft(
                name="Anna's client", birthday=date(1990, today.month, today.day), owner_login=roles.anna
            ),
            default_region="RU",
        )
    anna = make_engine(roles.url(database_url, roles.anna))
    try:
        with UnitOfWork(anna, clock=clock, via="console") as uow:
            assert len(create_birthday_reminders(uow, zone=zone, catch_up_days=0)) == 1
    finally:
        anna.dispose()
    assert [e.actor for e in _audit(engine, "reminder.create")] == [roles.anna]


def test_a_role_in_an_operator_group_that_is_no_operator_is_refused_and_named(
    roles: Roles, engine, database_url: str
) -> None:
    """Hotline's refusal of a role it cannot map names the role, and lands; in SQL that role may write its
    own name (``system`` becomes it), never an operator's."""
    stray = f"{roles.prefix}-stray"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            f'CREATE ROLE "{stray}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=roles.prefix)}"'
        )
    try:
        refused = hotline("--db", roles.url(database_url, stray), "tickets", "list")
        assert refused.exit_code == 2 and "is not a hotline operator" in refused.output, refused.output
        assert [e.actor for e in _audit(engine, "refused:login")] == [stray]
        as_stray = make_engine(roles.url(database_url, stray))
        try:
            assert _insert_entry(as_stray, "system", owner=engine) == stray
            with pytest.raises(DBAPIError, match="may not write an audit entry as"):
                _insert_entry(as_stray, roles.anna, owner=engine)
        finally:
            as_stray.dispose()
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{stray}"')
            connection.exec_driver_sql(f'DROP ROLE "{stray}"')


def test_a_role_with_capitals_is_refused_saying_why_and_maps_by_db_role(
    roles: Roles, engine, database_url: str
) -> None:
    """PostgreSQL role names are case-sensitive (``"Anna"`` is not ``anna``) and logins lower-case: the role
    is refused with the reason, never taken for the lower-case operator; ``operator.db_role`` maps it."""
    capitalised = f"{roles.prefix}-Anna"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            f'CREATE ROLE "{capitalised}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=roles.prefix)}"'
        )
    try:
        as_capitalised = roles.url(database_url, capitalised)
        env = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
        refused = hotline("--db", as_capitalised, "tickets", "list", env=env)
        assert refused.exit_code == 2, refused.output
        assert refused.output.strip() == (
            f"hotline: error: the database role {capitalised!r} is not a hotline operator (logins are"
            f" lower-case and role names case-sensitive: {capitalised!r} is not {capitalised.lower()!r};"
            " map the role with operator.db_role)"
        )
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE operator SET db_role = :role WHERE login = :login"),
                {"role": capitalised, "login": roles.anna},
            )
        mapped = hotline("--db", as_capitalised, "tickets", "list", env=env)
        assert mapped.exit_code == 0, mapped.output
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{capitalised}"')
            connection.exec_driver_sql(f'DROP ROLE "{capitalised}"')


def test_the_roles_hotline_commands_make_are_dropped_after_the_test(database_url: str, engine) -> None:
    """Roles are the cluster's: ``db grants`` and ``operators add`` in a test made roles that outlived the
    test database (``hotline_*``, ``new-admin``, ``sue``). The session's prefix names the group roles (so
    two xdist workers never share one), and ``database_url`` drops them and the login roles in them."""
    login = f"{TEST_ROLE_PREFIX}-sue"
    groups = [group_role(r, prefix=TEST_ROLE_PREFIX) for r in Role] + [system_role(TEST_ROLE_PREFIX)]
    populated = hotline("--db", database_url, "db", "init")
    assert populated.exit_code == 0, populated.output
    for command in (["db", "grants"], ["operators", "add", login, "--role", "supervisor"]):
        result = hotline("--db", database_url, *command)  # no HOTLINE_PG_ROLE_PREFIX given: the session's
        assert result.exit_code == 0, (command, result.output)
    with engine.connect() as connection:
        assert set(session_roles(connection)) == {login, *groups}
    engine.dispose()
    assert set(drop_session_roles(engine)) == {login, *groups}
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": [login, *groups]}
        )
        assert list(left) == []


def test_an_admin_role_cannot_remap_herself_in_sql(roles: Roles, engine, database_url: str, clock) -> None:
    """Admins may change ``operator`` (``db grants``), but not the row their own role maps to (login, role,
    active, db_role), nor make another row theirs: that would be outside hotline and its audit trail
    (migration 0018). Other rows, and her own display name, stay an admin's to change."""
    ada = f"{roles.prefix}-ada"
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=ada, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    as_ada = make_engine(roles.url(database_url, ada))
    try:
        for statement in (
            f"UPDATE operator SET role = 'operator' WHERE login = '{ada}'",
            f"UPDATE operator SET active = false WHERE login = '{ada}'",
            f"UPDATE operator SET login = '{ada}2' WHERE login = '{ada}'",
            f"UPDATE operator SET db_role = NULL WHERE login = '{ada}'",
            f"DELETE FROM operator WHERE login = '{ada}'",
            f"UPDATE operator SET db_role = '{ada}' WHERE login = 'admin'",  # another row made hers
            f"UPDATE operator SET db_role = NULL, login = '{ada}' WHERE login = 'admin'",
            "INSERT INTO operator (login, display_name, role, active, created_at, db_role)"
            f" VALUES ('mallory', 'm', 'admin', true, now(), '{ada}')",
        ):
            with (
                pytest.raises(
                    DBAPIError, match=r"may not (change its own operator|make operator .* its own)"
                ),
                as_ada.begin() as connection,
            ):
                connection.exec_driver_sql(statement)
        with as_ada.begin() as connection:
            connection.exec_driver_sql(f"UPDATE operator SET display_name = 'Ada' WHERE login = '{ada}'")
            connection.exec_driver_sql(
                f"UPDATE operator SET role = 'supervisor' WHERE login = '{roles.anna}'"
            )
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT login, role FROM operator")).all())
        assert rows[ada] == "admin" and rows[roles.anna] == "supervisor" and "mallory" not in rows
        said = hotline("--db", roles.url(database_url, ada), "operators", "role", ada, "operator")
        assert said.exit_code == 2, said.output
        assert said.output.strip().endswith("cannot change her own role; another admin can"), said.output
        assert "Traceback" not in said.output
    finally:
        as_ada.dispose()


_SHADOWS = {
    "pg_roles": "CREATE TEMP TABLE pg_roles AS SELECT oid, rolname, true AS rolsuper, rolcanlogin"
    " FROM pg_catalog.pg_roles",
    "pg_class": "CREATE TEMP TABLE pg_class AS SELECT c.oid, r.oid AS relowner FROM pg_catalog.pg_class c"
    " CROSS JOIN pg_catalog.pg_roles r WHERE r.rolname = current_user",
}
"""A temporary table named like a catalog the triggers of 0017 and 0018 read: searched before
``pg_catalog`` unless the function's path names ``pg_temp``. Any role may create one (``TEMPORARY``)."""


@pytest.mark.parametrize("shadow", sorted(_SHADOWS))
def test_a_temporary_table_named_like_a_catalog_fools_neither_trigger(
    roles: Roles, engine, database_url: str, clock, shadow: str
) -> None:
    """Anna made herself a superuser (or the table's owner) in a temporary ``pg_roles`` (``pg_class``) and
    wrote the admin's entry; an admin's role remapped itself the same way. Both are refused (0019)."""
    ada = f"{roles.prefix}-ada"
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=ada, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    anna = make_engine(roles.url(database_url, roles.anna))
    as_ada = make_engine(roles.url(database_url, ada))
    try:
        with anna.connect() as connection:
            connection.exec_driver_sql(_SHADOWS[shadow])
            with pytest.raises(DBAPIError, match="may not write an audit entry as"):
                connection.execute(text(_FORGED), {"actor": "admin"})
        with as_ada.connect() as connection:
            connection.exec_driver_sql(_SHADOWS[shadow])
            remap = text("UPDATE operator SET role = 'operator' WHERE login = :ada")
            with pytest.raises(DBAPIError, match="may not change its own operator"):
                connection.execute(remap, {"ada": ada})
    finally:
        anna.dispose()
        as_ada.dispose()
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT role FROM operator WHERE login = :ada"), {"ada": ada}).scalar()
            == "admin"
        )
        assert (
            connection.execute(text("SELECT count(*) FROM audit_entry WHERE actor = 'admin'")).scalar() == 0
        )


def test_no_hotline_role_creates_objects_in_schema_public(
    roles: Roles, engine, database_url: str, clock
) -> None:
    """Before PostgreSQL 15 (and in a database upgraded from one) PUBLIC may ``CREATE`` in ``public``: an
    operator's ``public.lower(varchar)`` then ran, as the superuser, in the superuser's next query that
    lowered a varchar column. ``db grants`` revokes it; the owner keeps creating (``db upgrade``)."""
    hijack = "CREATE FUNCTION public.lower(character varying) RETURNS text LANGUAGE sql AS 'SELECT ''x'''"
    with engine.begin() as connection:
        connection.exec_driver_sql("GRANT CREATE ON SCHEMA public TO PUBLIC")  # what PostgreSQL 14 gives
    anna = make_engine(roles.url(database_url, roles.anna))
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            statements = apply_grants(uow, prefix=roles.prefix)
        with (
            anna.connect() as connection,
            pytest.raises(DBAPIError, match="permission denied for schema public"),
        ):
            connection.exec_driver_sql(hijack)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE public.owner_still_creates (x int)")
            connection.exec_driver_sql("DROP TABLE public.owner_still_creates")
        assert any(s.startswith("REVOKE CREATE ON SCHEMA public FROM PUBLIC") for s in statements)
    finally:
        anna.dispose()
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP FUNCTION IF EXISTS public.lower(character varying)")
            connection.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def test_set_role_to_a_hotline_group_changes_nobody_the_triggers_see(
    roles: Roles, engine, database_url: str, clock
) -> None:
    """``SET ROLE`` to a group the login is a member of made ``current_user`` that group: Anna wrote entries
    as ``<prefix>_operator`` (no operator: "its own name"), and an admin, as ``<prefix>_admin``, gave her own
    role to Sue's row and then acted in hotline as Sue. The triggers check the role that logged in (0019)."""
    ada = f"{roles.prefix}-ada"
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=ada, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    operators = group_role(Role.OPERATOR, prefix=roles.prefix)
    anna = make_engine(roles.url(database_url, roles.anna))
    as_ada = make_engine(roles.url(database_url, ada))
    try:
        with anna.begin() as connection:
            connection.exec_driver_sql(f'SET ROLE "{operators}"')
            entry = connection.execute(text(_FORGED + " RETURNING id"), {"actor": "system"}).scalar_one()
            with (
                pytest.raises(DBAPIError, match="may not write an audit entry as"),
                connection.begin_nested(),
            ):
                connection.execute(text(_FORGED), {"actor": operators})
        with as_ada.connect() as connection:
            connection.exec_driver_sql(f'SET ROLE "{group_role(Role.ADMIN, prefix=roles.prefix)}"')
            free = text("UPDATE operator SET db_role = NULL, login = :old WHERE login = :ada")
            with pytest.raises(DBAPIError, match="may not change its own operator"):
                connection.execute(free, {"old": f"{ada}-old", "ada": ada})
            connection.rollback()
            take = text("UPDATE operator SET db_role = :ada WHERE login = :sue")
            connection.exec_driver_sql(f'SET ROLE "{group_role(Role.ADMIN, prefix=roles.prefix)}"')
            with pytest.raises(DBAPIError, match=r"may not make operator .* its own"):
                connection.execute(take, {"ada": ada, "sue": roles.sue})
    finally:
        anna.dispose()
        as_ada.dispose()
    with engine.connect() as connection:
        actor = connection.execute(
            text("SELECT actor FROM audit_entry WHERE id = :id"), {"id": entry}
        ).scalar()
        rows = dict(connection.execute(text("SELECT login, db_role FROM operator")).all())
    assert actor == roles.anna  # recorded as hers, not the group's
    assert rows[ada] == ada
    assert rows[roles.sue] == roles.sue


def test_a_role_set_in_the_url_is_not_who_acts(roles: Roles, engine, database_url: str) -> None:
    """``options=-c role=<group>`` in the URL made ``current_user`` the operator group: hotline took it for a
    role that is no operator's, and its refusal's audit entry, refused by the trigger (which checks the role
    that logged in), ended as "database error", exit 1. The role that logged in is who acts."""
    group = group_role(Role.OPERATOR, prefix=roles.prefix)
    url = roles.url(database_url, roles.anna) + f"?options=-c%20role%3D{group}"
    created = hotline("--db", url, "tickets", "create", "--subject", "set role", "--queue", "Support")
    assert created.exit_code == 0, created.output
    assert [e.actor for e in _audit(engine, "ticket.create")] == [roles.anna]


def test_db_grants_by_a_role_that_cannot_apply_them_is_refused_first(
    roles: Roles, engine, database_url: str
) -> None:
    """An admin's role (no CREATEROLE, not the tables' owner) and the system account's got "database error:
    must have admin option on role …", exit 1. Refused before any statement, said and audited."""
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    boss = f"{roles.prefix}-boss"
    with UnitOfWork(engine) as uow:
        add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    try:
        for role, actor in ((boss, boss), (roles.cron, "system")):
            refused = hotline("--db", roles.url(database_url, role), "db", "grants", env=prefix)
            assert refused.exit_code == 2, refused.output
            assert refused.output == (
                f"hotline: error: db grants: the database role {role!r} may not apply them; run it as a"
                " superuser or as the owner of hotline's tables with CREATEROLE\n"
            )
            assert _audit(engine, "refused:db.admin")[-1].actor == actor
        assert hotline("--db", database_url, "db", "grants", env=prefix).exit_code == 0
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{boss}"')
            connection.exec_driver_sql(f'DROP ROLE "{boss}"')


def test_a_database_role_that_is_another_operators_is_not_mapped_again(
    roles: Roles, engine, database_url: str, clock
) -> None:
    """Olga's operator row maps the role ``…-ops`` (``db_role``). ``operators add …-ops`` by an admin whose
    role may not create roles added a row mapped to it by its login: the role was then two operators
    (which one acted was the table's row order); by a superuser it failed on a duplicate key, exit 1."""
    ops, boss = f"{roles.prefix}-ops", f"{roles.prefix}-boss"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            f'CREATE ROLE "{ops}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=roles.prefix)}"'
        )
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=f"{roles.prefix}-olga", role=Role.OPERATOR, db_role=ops)
        add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    try:
        said = f"hotline: error: the database role {ops!r} already maps to operator '{roles.prefix}-olga'\n"
        for acting in (
            ["--db", roles.url(database_url, boss)],
            ["--db", database_url, "--operator", "admin"],
        ):
            added = hotline(*acting, "operators", "add", ops, "--role", "admin", env=prefix)
            assert added.exit_code == 1, added.output
            assert added.output == said
        as_ops = hotline("--db", roles.url(database_url, ops), "audit", "list", env=prefix)
        assert as_ops.exit_code == 2, as_ops.output  # Olga, an operator: not an admin by another row
        with engine.connect() as connection:
            assert (
                connection.execute(
                    text("SELECT count(*) FROM operator WHERE login = :ops"), {"ops": ops}
                ).scalar()
                == 0
            )
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for role in (ops, boss):
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')


def test_a_demo_load_by_a_role_that_does_not_own_the_tables_is_refused_first(
    roles: Roles, engine, database_url: str
) -> None:
    """An admin's role (not the tables' owner) got "database error: must be owner of table …", exit 1:
    the load sets keys and indexes aside. Refused before anything, said and audited; the owner loads it."""
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    boss = f"{roles.prefix}-boss"
    with UnitOfWork(engine) as uow:
        add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=roles.prefix)
    try:
        refused = hotline("--db", roles.url(database_url, boss), "demo", "--clients", "1", env=prefix)
        assert refused.exit_code == 2, refused.output
        assert refused.output == (
            f"hotline: error: demo: the database role {boss!r} may not load it (it sets the tables' keys and"
            " indexes aside); run it as a superuser or as the owner of hotline's tables\n"
        )
        assert [e.actor for e in _audit(engine, "refused:demo.load")] == [boss]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM client")).scalar_one() == 0
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{boss}"')
            connection.exec_driver_sql(f'DROP ROLE "{boss}"')


def test_db_upgrade_by_a_role_that_does_not_own_the_schema_is_refused_first(
    roles: Roles, engine, database_url: str
) -> None:
    """A schema one revision behind: an admin's or an operator's login role got "database error: must be
    owner of function …", exit 1. Refused before any change, saying who may; the owner upgrades."""
    prefix = {"HOTLINE_PG_ROLE_PREFIX": roles.prefix}
    with engine.begin() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        before = f"{int(head) - 1:04d}"
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": before})
    try:
        for role in (roles.anna, roles.sue):
            refused = hotline("--db", roles.url(database_url, role), "db", "upgrade", env=prefix)
            assert refused.exit_code == 2, refused.output
            assert refused.output == (
                f"hotline: error: db upgrade: the database role {role!r} may not change the schema; run it as"
                " a superuser or as the owner of hotline's tables\n"
            )
        upgraded = hotline("--db", database_url, "db", "upgrade", env=prefix)
        assert upgraded.exit_code == 0, upgraded.output
        assert f"schema {before} → {head}" in upgraded.output
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


def test_a_role_name_with_a_control_character_is_refused_not_a_database_error(
    roles: Roles, engine, database_url: str
) -> None:
    """A role ``…-e<ESC>[31m`` in the operator group, no operator: the refusal's audit entry names it
    printable, the audit trigger refused that entry, and the refusal was "database error", exit 1."""
    odd = f"{roles.prefix}-e\x1b[31m"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        group = group_role(Role.OPERATOR, prefix=roles.prefix)
        connection.exec_driver_sql(f'CREATE ROLE "{odd}" LOGIN IN ROLE "{group}"')
    try:
        url = roles.url(database_url, quote(odd, safe=""))
        refused = hotline("--db", url, "tickets", "list")
        assert refused.exit_code == 2, refused.output
        assert refused.output == f"hotline: error: the database role {odd!r} is not a hotline operator\n"
        assert "\x1b" not in refused.output
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP ROLE "{odd}"')


_EVENT = (
    "INSERT INTO ticket_event (ticket_id, kind, author_id, author, body, data, created_at)"
    " VALUES (:ticket, 'note', :author_id, :author, 'forged', '{}', now()) RETURNING id"
)
_CALL = (
    "INSERT INTO interaction (client_id, kind, started_at, notes, operator_id, created_at)"
    " VALUES (:client, 'call', now(), 'forged', :operator, now()) RETURNING id"
)


def _ids(engine, *logins: str) -> list[int]:
    with engine.connect() as connection:
        return [
            connection.execute(text("SELECT id FROM operator WHERE login = :l"), {"l": login}).scalar_one()
            for login in logins
        ]


def test_an_operator_role_may_not_name_another_operator_as_an_author_in_sql(
    roles: Roles, engine, clock, database_url: str
) -> None:
    """Anna's role could INSERT a note or a call naming Sue (or the admin) as who wrote it, or UPDATE
    her own line to name Sue; each is refused. Her own lines, a mail sender's address and a rule's
    name still land, a ``system`` line is recorded as hers, and the system account names anyone."""
    from hotline.core.models.enums import InteractionKind
    from hotline.core.services.clients import ClientDraft, create_client
    from hotline.core.services.interactions import log_interaction
    from hotline.core.services.tickets import add_note, create_ticket

    anna_id, sue_id = _ids(engine, roles.anna, roles.sue)
    anna = make_engine(roles.url(database_url, roles.anna))
    cron = make_engine(roles.url(database_url, roles.cron))
    try:
        with UnitOfWork(anna, clock=clock, via="console") as uow:  # the normal flows, as her console
            client = create_client(uow, draft=ClientDraft(name="Ivan"), default_region="RU").id
            log_interaction(uow, client_id=client, kind=InteractionKind.NOTE, notes="hers")
            ticket = create_ticket(uow, subject="hers", queue="Support", body="first", client_id=client)
            add_note(uow, number=ticket.number, expected_version=None, body="a note", sla=None)
            number, ticket_id = ticket.number, ticket.id
        forgeries = [
            (_EVENT, {"ticket": ticket_id, "author_id": sue_id, "author": roles.sue}),
            (_EVENT, {"ticket": ticket_id, "author_id": None, "author": roles.sue}),
            (_EVENT, {"ticket": ticket_id, "author_id": None, "author": f" {roles.sue.upper()} "}),
            (_EVENT, {"ticket": ticket_id, "author_id": anna_id, "author": "admin"}),
            (_EVENT, {"ticket": ticket_id, "author_id": sue_id, "author": roles.anna}),
            (_CALL, {"client": client, "operator": sue_id}),
            (
                "UPDATE ticket_event SET author = :who WHERE ticket_id = :t",
                {"who": roles.sue, "t": ticket_id},
            ),
            ("UPDATE ticket_event SET author_id = :id WHERE ticket_id = :t", {"id": sue_id, "t": ticket_id}),
            ("UPDATE interaction SET operator_id = :id WHERE client_id = :c", {"id": sue_id, "c": client}),
        ]
        for statement, values in forgeries:
            refused = r"may not (write a ticket line|log an interaction) as"
            with pytest.raises(DBAPIError, match=refused), anna.begin() as connection:
                connection.execute(text(statement), values)
        kept = {}
        with anna.begin() as connection:
            for author in (roles.anna, "ivan@example.com", "rule: vip", "system"):
                kept[author] = connection.execute(
                    text(_EVENT), {"ticket": ticket_id, "author_id": None, "author": author}
                ).scalar_one()
            connection.execute(
                text(_EVENT), {"ticket": ticket_id, "author_id": anna_id, "author": roles.anna}
            )
            connection.execute(text(_CALL), {"client": client, "operator": anna_id})
            connection.execute(text(_CALL), {"client": client, "operator": None})
            connection.execute(
                text("UPDATE ticket_event SET body = 'edited' WHERE ticket_id = :t"), {"t": ticket_id}
            )
        with cron.begin() as connection:  # the system account: mail intake names the sender, a PBX the agent
            connection.execute(text(_EVENT), {"ticket": ticket_id, "author_id": sue_id, "author": roles.sue})
            connection.execute(text(_CALL), {"client": client, "operator": sue_id})
    finally:
        anna.dispose()
        cron.dispose()
    with engine.connect() as connection:
        written = dict(
            connection.execute(
                text("SELECT id, author FROM ticket_event WHERE id = ANY(:ids)"), {"ids": list(kept.values())}
            ).all()
        )
        authors = connection.execute(
            text("SELECT author FROM ticket_event WHERE ticket_id = :t ORDER BY id"), {"t": ticket_id}
        ).scalars()
        assert sorted(set(authors)) == sorted({roles.anna, roles.sue, "ivan@example.com", "rule: vip"})
    assert [written[kept[a]] for a in kept] == [roles.anna, "ivan@example.com", "rule: vip", roles.anna]
    as_anna = roles.url(database_url, roles.anna)
    noted = hotline("--db", as_anna, "tickets", "show", str(number))
    assert noted.exit_code == 0, noted.output
