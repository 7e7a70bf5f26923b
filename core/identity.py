"""Who is acting: proven by the operating system (SQLite) or by PostgreSQL, never just claimed.

- SQLite: the operator is the OS user running hotline (the database file's permissions are the
  boundary). ``--operator`` is honoured only when that OS user is an active admin, and is audited;
  root is the system account there (no file permission stops root).
- PostgreSQL: the operator is the role PostgreSQL authenticated (``session_user``), mapped to an
  operator row by ``operator.db_role`` (or, without one, by the login). ``--operator`` may only narrow
  the system account (a superuser or a member of ``hotline_system``: cron, the PBX), and is audited.

Unknown, blank, deactivated and control-character logins are refused (``PermissionDenied``, exit 2),
and the refusal is an audit entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline.core.authority import checked_login, with_article
from hotline.core.clock import FixedClock, SystemClock
from hotline.core.contact_handout import make_budget_ready
from hotline.core.db import UnitOfWork, is_permission_denied
from hotline.core.enums import Role
from hotline.core.errors import NotFound, PermissionDenied
from hotline.core.pg_roles import DEFAULT_PREFIX, system_role
from hotline.core.text import printable

if TYPE_CHECKING:
    from sqlalchemy import Insert
    from sqlalchemy.engine import Connection, Engine, Row

    from hotline.core.clock import Clock
    from hotline.core.models import Operator


def os_principal() -> tuple[str, bool]:
    """The OS user by its user id (not by ``$USER``, which anyone can set), and whether it is root."""
    import pwd

    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name, uid == 0
    except KeyError:
        return str(uid), uid == 0


@dataclass(frozen=True)
class Identity:
    """The proven actor of one command or console session."""

    login: str | None
    """The acting operator's login; ``None`` when the system account acts for itself."""
    authenticated: str
    """What proved it: the OS user (SQLite) or the database role (PostgreSQL)."""
    system: bool = False
    """Authenticated as the system account."""

    @property
    def name(self) -> str:
        return self.login or "system"


def database_principal(engine: Engine, *, prefix: str = DEFAULT_PREFIX) -> tuple[str, bool]:
    """Who the database sees, and whether that is the system account: on SQLite the OS user (root is
    the system account: no file permission stops it); on PostgreSQL ``session_user`` (a superuser or a
    member of ``<prefix>_system`` is): the role that logged in, whatever ``SET ROLE`` or ``options=-c role=…``
    in the URL made ``current_user``, as the audit trail's trigger checks it (migration 0019).

    The prefix is the caller's setting (``HOTLINE_PG_ROLE_PREFIX``), so the group must be what ``db grants``
    made: a group role (NOLOGIN) other than the login itself, that reads this database's audit trail.
    Otherwise an operator whose login is ``ops_system`` was the system account with the prefix ``ops``."""
    if engine.dialect.name == "sqlite":
        return os_principal()
    with engine.connect() as connection:
        role, system, budget_to_make = connection.execute(
            text(
                "SELECT session_user, r.rolsuper OR EXISTS ("
                " SELECT 1 FROM pg_roles g WHERE g.rolname = :group AND NOT g.rolcanlogin AND g.oid <> r.oid"
                " AND has_table_privilege(g.oid, to_regclass('public.audit_entry'), 'SELECT')"
                " AND pg_has_role(session_user, g.oid, 'MEMBER')),"
                # the role has no budget of clients' contact points yet (migration 0021) and may make
                # one (a role in no hotline group may not: the schema check says who it is not); asked
                # here, so that a start that finds one (every start but the first) costs no round trip
                " coalesce(has_function_privilege(to_regprocedure('public.hotline_read_budget_ready(text)'),"
                " 'EXECUTE'), false) AND NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = 'hotline_budget' AND c.relname = 'r' || r.oid)"
                " FROM pg_roles r WHERE r.rolname = session_user"
            ),
            {"group": system_role(prefix)},
        ).one()
        if not system and budget_to_make:
            make_budget_ready(connection)
            connection.commit()  # made: it must be committed before anything is handed out against it
    return str(role), bool(system)


def _operator_for_role(uow: UnitOfWork, role: str) -> Operator | None:
    from sqlmodel import col, or_, select

    from hotline.core.models import Operator

    query = select(Operator).where(
        or_(
            col(Operator.db_role) == role,
            (col(Operator.db_role).is_(None)) & (col(Operator.login) == role),
        )
    )
    return uow.session.exec(query).first()


def resolve_identity(
    engine: Engine,
    *,
    requested: str | None,
    clock: Clock | None = None,
    via: str = "cli",
    prefix: str = DEFAULT_PREFIX,
    where: str = "--operator",
) -> Identity:
    """The proven identity for ``requested`` (``--operator``, or ``None``); refusals are audited, naming
    ``where`` the login came from (``HOTLINE_OPERATOR``, say)."""
    authenticated, system = database_principal(engine, prefix=prefix)
    try:
        return _resolve(engine, authenticated, system, requested=requested, clock=clock, via=via, where=where)
    except DBAPIError as error:
        if not is_permission_denied(error):
            raise
    # PostgreSQL refused the role the operator table (or the audit trail its refusal goes to): in no
    # hotline group, so no operator; said as the schema check says it (nothing to audit it in).
    raise PermissionDenied(
        f"the database role {authenticated!r} is not a hotline operator (it may not read the operator table)"
    )


def _resolve(
    engine: Engine,
    authenticated: str,
    system: bool,
    *,
    requested: str | None,
    clock: Clock | None,
    via: str,
    where: str = "--operator",
) -> Identity:
    with UnitOfWork(engine, clock=clock, readonly=True, via=via) as uow:
        if requested is not None:
            _checked(uow, requested, authenticated, where=where)
        if not system:
            base = _base_operator(uow, authenticated, postgres=engine.dialect.name != "sqlite")
            if _fixed(clock):
                uow.clock = SystemClock()  # the refusal itself is at the real time
                _refuse(uow, authenticated, _FIXED_CLOCK_REFUSED)
            if requested is None or requested == base.login:
                return Identity(base.login, authenticated)
            if engine.dialect.name != "sqlite":
                _refuse(
                    uow,
                    authenticated,
                    f"{where} may only narrow the system account, not {authenticated!r}",
                )
            if base.role != Role.ADMIN.value:
                _refuse(
                    uow,
                    authenticated,
                    f"{where} is for admins; OS user {authenticated!r} is {with_article(base.role)}",
                )
        elif requested is None:
            return Identity(None, authenticated, system=True)
        target = _active_operator(uow, requested, by=authenticated)
        _record_narrowing(uow, authenticated=authenticated, login=target.login)
        return Identity(target.login, authenticated, system=system)


def quick_identity(
    engine: Engine,
    *,
    requested: str | None,
    clock: Clock | None = None,
    via: str = "cli",
    prefix: str = DEFAULT_PREFIX,
) -> Identity | None:
    """The identity ``resolve_identity`` grants, proven with plain SQL (no ORM): None whenever the full
    check must run instead, which then refuses (and audits the refusal) with its own words.

    The console proves its operator before the first frame, and importing the ORM models costs a quarter
    of a second there; they load after the frame. The same rules in the same order decide; a granted
    ``--operator`` is recorded as the same audit entry. Any database error here leaves it to the full check.
    """
    from sqlalchemy.exc import DBAPIError

    if requested is not None:
        try:
            checked_login(requested)
        except PermissionDenied:
            return None
    try:
        authenticated, system = database_principal(engine, prefix=prefix)
        postgres = engine.dialect.name != "sqlite"
        with engine.connect() as connection:
            if not system:
                base = _operator_row(connection, authenticated, by_role=postgres)
                if base is None or not base.active or _fixed(clock):
                    return None
                if requested is None or requested == base.login:
                    return Identity(base.login, authenticated)
                if postgres or base.role != Role.ADMIN.value:
                    return None
            elif requested is None:
                return Identity(None, authenticated, system=True)
            assert requested is not None
            target = _operator_row(connection, requested, by_role=False)
            if target is None or not target.active:
                return None
            at = (clock or _system_clock()).now()
            connection.commit()  # the read ends: the entry is written in a transaction of its own
            connection.execute(
                _narrowing_entry(engine, at=at, authenticated=authenticated, login=target.login, via=via)
            )
            connection.commit()
            return Identity(target.login, authenticated, system=system)
    except DBAPIError:
        return None


_FIXED_CLOCK_REFUSED = (
    "--now: a fixed clock is for the system account (tests and replays); an operator's entries carry the"
    " real time"
)


def _fixed(clock: Clock | None) -> bool:
    """Whether ``clock`` is set by hand (``--now``): only the system account may, or anyone could date the
    audit trail's entries (and tickets, calls, SLA clocks) as they please."""
    return isinstance(clock, FixedClock)


def refuse_foreign_clock(uow: UnitOfWork, identity: Identity, clock: Clock) -> None:
    """A clock a command takes of its own (``escalate --now``) is the system account's, as ``--now`` is:
    anyone else is refused (audited, at the real time), or she would date the steps and entries it writes."""
    if _fixed(clock) and not identity.system:
        uow.clock = SystemClock()
        _refuse(uow, identity.authenticated, _FIXED_CLOCK_REFUSED)


def _system_clock() -> Clock:
    from hotline.core.clock import SystemClock

    return SystemClock()


def _operator_row(connection: Connection, name: str, *, by_role: bool) -> Row[Any] | None:
    """The operator's login, role and active flag: by login, or (PostgreSQL) by the database role as
    ``_operator_for_role`` finds it."""
    from sqlalchemy import and_, column, or_, select, table

    operator = table("operator", column("login"), column("role"), column("active"), column("db_role"))
    found = (
        or_(operator.c.db_role == name, and_(operator.c.db_role.is_(None), operator.c.login == name))
        if by_role
        else operator.c.login == name
    )
    return connection.execute(
        select(operator.c.login, operator.c.role, operator.c.active).where(found).limit(1)
    ).first()


def _narrowing_entry(engine: Engine, *, at: datetime, authenticated: str, login: str, via: str) -> Insert:
    """The audit entry ``_record_narrowing`` adds, as a plain insert: the same columns, the instant bound as
    ``UTCDateTime`` binds it (naive UTC on SQLite), the JSON columns as the ORM writes them."""
    from sqlalchemy import JSON, DateTime, column, insert, table

    audit = table(
        "audit_entry",
        column("at", DateTime(timezone=True)),
        column("actor"),
        column("action"),
        column("entity"),
        column("entity_id"),
        column("before", JSON),
        column("after", JSON),
        column("via"),
    )
    at = at.astimezone(UTC)
    return insert(audit).values(
        at=at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at,
        actor=authenticated[:64],
        action="identity.narrow",
        entity="operator",
        entity_id=login,
        before=None,
        after={"operator": login},
        via=via[:200],
    )


def _checked(uow: UnitOfWork, login: str, authenticated: str, *, where: str = "--operator") -> None:
    try:
        checked_login(login, where=where)
    except PermissionDenied as error:
        _refuse(uow, authenticated, str(error), target=printable(login)[:64])


def _base_operator(uow: UnitOfWork, authenticated: str, *, postgres: bool) -> Operator:
    """The operator the OS user or the database role is; refused unless known and active."""
    operator = _operator_for_role(uow, authenticated) if postgres else _find(uow, authenticated)
    if operator is None:
        what = "database role" if postgres else "OS user"
        _refuse(
            uow,
            authenticated,
            f"the {what} {authenticated!r} is not a hotline operator{_case_note(what, authenticated)}",
        )
    assert operator is not None
    if not operator.active:
        _refuse(uow, authenticated, f"operator {operator.login!r} is deactivated")
    return operator


def _case_note(what: str, name: str) -> str:
    """Why a name with capitals is never an operator: logins are lower-case (``operators add Sue`` adds
    ``sue``), and OS user names and PostgreSQL role names are case-sensitive (``Sue`` and ``sue`` may be
    two people), so mapping them case-insensitively would let one act as the other. Said, not guessed."""
    if name == name.lower():
        return ""
    if what == "OS user":
        return " (logins are lower-case and OS user names case-sensitive: run hotline as a lower-case user)"
    return (
        f" (logins are lower-case and role names case-sensitive: {name!r} is not {name.lower()!r}; map the"
        " role with operator.db_role)"
    )


def _active_operator(uow: UnitOfWork, login: str, *, by: str) -> Operator:
    operator = _find(uow, login)
    if operator is None:
        hint = f" (logins are lower-case: {login.lower()!r}?)" if login != login.lower() else ""
        _refuse(uow, by, f"unknown operator {login!r}{hint}", target=login)
    assert operator is not None
    if not operator.active:
        _refuse(uow, by, f"operator {login!r} is deactivated", target=login)
    return operator


def _find(uow: UnitOfWork, login: str) -> Operator | None:
    try:
        return uow._find_operator(login)
    except NotFound:
        return None


def _refuse(uow: UnitOfWork, authenticated: str, reason: str, *, target: str | None = None) -> None:
    """Refuse the login (``PermissionDenied``), audited where the database takes the entry: a role name
    holding a control character is written printable, so the audit trigger (its own name, or nothing)
    refuses it, and that was "database error", exit 1. The PostgreSQL log keeps that one."""
    uow.invoker_login = None
    uow.actor_login = printable(authenticated)[:64]
    try:
        uow.refuse("login", reason, entity="operator", entity_id=target)
    except DBAPIError as error:
        import psycopg

        if not isinstance(getattr(error, "orig", None), psycopg.errors.InsufficientPrivilege):
            raise
        raise PermissionDenied(reason) from None


def _record_narrowing(uow: UnitOfWork, *, authenticated: str, login: str) -> None:
    """``--operator`` honoured: an audit entry of its own, committed now, in a transaction of its own.

    Not in the read transaction that checked the operator: SQLite refuses a write begun from a read at
    once, without the busy wait, whenever another connection holds the write lock or has committed since
    the read began; a ring during an import's short index transactions then lost try after try. A
    transaction whose first statement writes waits for the lock like any writer."""
    from hotline.core.models import AuditEntry

    uow.session.commit()  # ends the read (nothing to write; loaded objects stay loaded)
    uow.session.add(
        AuditEntry(
            at=uow.now(),
            actor=authenticated[:64],
            action="identity.narrow",
            entity="operator",
            entity_id=login,
            after={"operator": login},
            via=uow.via[:200],
        )
    )
    uow.session.commit()


def check_first_admin(requested: str | None) -> None:
    """Refuse (exit 2) a ``--operator`` login that ``bootstrap_admins`` could not make, before ``db init``
    changes anything: it was refused after the whole schema had gone in, leaving no operator at all."""
    from hotline.core.services.operators import new_login

    if requested is not None:
        new_login(checked_login(requested))


def bootstrap_admins(uow: UnitOfWork, *, requested: str | None, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The first admins of a database without operators (``db init``); their logins.

    SQLite: the OS user, and the ``--operator`` login too when one is named. PostgreSQL: the named
    login or the authenticated role's name; mapped to that role unless it is the system account.
    """
    from hotline.core.services.operators import add_operator

    authenticated, system = database_principal(uow.engine, prefix=prefix)
    if requested is not None:
        checked_login(requested)
    if uow.engine.dialect.name == "sqlite" and not system:
        logins = [authenticated] + ([requested] if requested and requested != authenticated else [])
        for login in logins:
            add_operator(uow, login=login, role=Role.ADMIN, display_name=login)
        return logins
    login = requested or authenticated
    add_operator(
        uow, login=login, role=Role.ADMIN, display_name=login, db_role=None if system else authenticated
    )
    return [login]
