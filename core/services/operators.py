"""Operators: adding, listing, changing role, deactivating."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlmodel import col, select

from hotline.core.changes import signal_change
from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.core.models import Operator
from hotline.core.models.enums import Role
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.text import checked_text, is_utf8_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_DISPLAY_NAME_CHARS = 200
SYSTEM_ACTOR = "system"
NEW_LOGINS_LOCK = 0x6F707273  # "oprs": the advisory lock of adding operators (PostgreSQL)


def parse_role(text: str, *, where: str = "--role") -> Role:
    """A role from its name; anything else is ``InvalidInput`` listing the roles."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise InvalidInput(f"unknown role {text!r} (one of: {roles})", where=where) from None


def get_operator(uow: UnitOfWork, *, login: str) -> Operator:
    if not is_utf8_text(login):  # sent to the database, it was a UnicodeEncodeError and its traceback
        raise NotFound(f"unknown operator {login!r}: it is not UTF-8 text")
    operator = uow.session.exec(select(Operator).where(Operator.login == login)).first()
    if operator is None:
        meant = login.strip().lower()  # as ``operators add`` stored it: "unknown" alone misled
        if meant != login and uow.session.exec(select(Operator.id).where(Operator.login == meant)).first():
            raise NotFound(f"unknown operator {login!r} (logins are lower-case: {meant!r}?)")
        raise NotFound(f"unknown operator {login!r}")
    return operator


def get_assignee(uow: UnitOfWork, *, login: str) -> Operator:
    """The operator a ticket may be given to: known and active (a deactivated one's console is locked,
    so nobody would ever work it; a rule that names her fails on the ticket instead)."""
    operator = get_operator(uow, login=login)
    if not operator.active:
        raise InvalidInput(
            f"operator {login!r} is deactivated: nobody would work the ticket", where="assignee"
        )
    return operator


def new_login(login: str) -> str:
    """``login`` as an operator's login is stored (lower case), or ``InvalidInput`` naming LOGIN."""
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise InvalidInput(
            f"a login is lower-case letters, digits, '.', '_' or '-': {login!r}", where="LOGIN"
        )
    if login == SYSTEM_ACTOR:
        # Her entries would read as the system account's (cron, the PBX): no one could tell them apart.
        raise InvalidInput(
            f"{SYSTEM_ACTOR!r} is the audit trail's name for the system account, not a login", where="LOGIN"
        )
    return login


def add_operator(
    uow: UnitOfWork,
    *,
    login: str,
    role: Role,
    display_name: str | None = None,
    email: str | None = None,
    db_role: str | None = None,
    pg_role_prefix: str | None = None,
) -> Operator:
    """Create an operator; only admins may (the system may too, for set-up and demo data).

    With ``pg_role_prefix`` on PostgreSQL, also its login role in the group role of ``role``, where the
    acting database role may create roles (see ``core.pg_roles``).
    """
    uow.authorize("operator.manage", entity="operator", entity_id=login)
    login = new_login(login)
    if display_name is not None:  # stored as typed: a NUL or 5,000 characters were a PostgreSQL error
        display_name = " ".join(display_name.split())
        if not display_name:  # '   ' was stored: a blank line in every list of operators, the roster's
            raise InvalidInput(
                "a blank display name: give one, or leave --name out for the login", where="--name"
            )
        checked_text(display_name, what="a display name", at_most=MAX_DISPLAY_NAME_CHARS, where="--name")
    if uow.session.get_bind().dialect.name == "postgresql":
        # Two adds of one login at once: the second failed on the unique key ("database error", exit 1);
        # it now waits for the first to commit (SQLite's BEGIN IMMEDIATE queues writers already).
        from sqlalchemy import text

        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NEW_LOGINS_LOCK})
    if uow.session.exec(select(Operator.id).where(Operator.login == login)).first() is not None:
        raise Conflict(f"operator {login!r} exists already")
    _refuse_a_taken_database_role(uow, db_role or login)
    operator = Operator(
        login=login,
        role=role.value,
        display_name=display_name or login,
        email=email,
        created_at=uow.now(),
        db_role=db_role,
    )
    if pg_role_prefix is not None and db_role is None:
        from hotline.core.pg_roles import ensure_login_role

        operator.db_role = ensure_login_role(uow, login=login, role=role, prefix=pg_role_prefix)
    uow.session.add(operator)
    uow.session.flush()
    record_audit(
        uow, action="operator.add", entity="operator", entity_id=operator.id, after=snapshot(operator)
    )
    return operator


def _refuse_a_taken_database_role(uow: UnitOfWork, name: str) -> None:
    """The database role the new operator maps to (its ``db_role``, else its login) must be no other
    operator's: ``operators add ops`` where Olga's ``db_role`` is ``ops`` made the role ``ops`` two
    operators (which one it acted as was the table's row order), or failed on a duplicate key (exit 1)."""
    mapped = (col(Operator.db_role) == name) | (
        col(Operator.db_role).is_(None) & (col(Operator.login) == name)
    )
    other = uow.session.exec(select(Operator.login).where(mapped)).first()
    if other is not None:
        raise Conflict(f"the database role {name!r} already maps to operator {other!r}")


def operator_standing(uow: UnitOfWork, *, login: str) -> tuple[str, bool] | None:
    """An operator's role and active flag, or None when no such login: what her open console checks."""
    found = uow.session.exec(select(Operator.role, Operator.active).where(Operator.login == login)).first()
    return None if found is None else (str(found[0]), bool(found[1]))


def has_operators(uow: UnitOfWork) -> bool:
    """Whether any operator exists (``db init`` makes the first admins of an empty database)."""
    return uow.session.exec(select(Operator.id).limit(1)).first() is not None


def list_operators(uow: UnitOfWork, *, include_inactive: bool = True) -> list[Operator]:
    query = select(Operator).order_by(Operator.login)
    if not include_inactive:
        query = query.where(Operator.active)
    return list(uow.session.exec(query))


def operator_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Active operators as (login, display name), by display name: whom a ticket can be assigned to."""
    return [
        (login, name)
        for login, name in uow.session.exec(
            select(Operator.login, Operator.display_name)
            .where(col(Operator.active).is_(True))
            .order_by(col(Operator.display_name), col(Operator.login))
        )
    ]


def _keep_an_active_admin(uow: UnitOfWork, operator: Operator, *, change: str) -> None:
    """Refuse (audited) taking the last active admin away: nobody could manage operators any more (the
    system account, which may act when no admin is named, could demote or deactivate her)."""
    if operator.role != Role.ADMIN.value or not operator.active:
        return
    # Every active admin locked in one order (PostgreSQL): two admins taking each other away at once wait
    # for one another, and the second finds herself the last, instead of both going through.
    admins = select(Operator.id).where(col(Operator.role) == Role.ADMIN.value, col(Operator.active).is_(True))
    locked = uow.session.exec(admins.order_by(col(Operator.id)).with_for_update()).all()
    if not set(locked) - {operator.id}:
        uow.refuse(
            "operator.manage",
            f"cannot {change}: she is the last active admin (make another admin first)",
            entity="operator",
            entity_id=operator.login,
        )


def set_operator_role(
    uow: UnitOfWork, *, login: str, role: Role, pg_role_prefix: str | None = None
) -> Operator:
    """Change the role (admins); on PostgreSQL, move its login role to the new group role too (not a
    deactivated one's: it is in none). Her consoles hear of it (the ``operator`` change)."""
    uow.authorize("operator.manage", entity="operator", entity_id=login)
    operator = get_operator(uow, login=login)
    if operator.login == uow.actor_login and operator.role != role.value:
        # Who may do what is decided by someone else: an admin making herself anything is another
        # admin's change (PostgreSQL refuses it in SQL too, migration 0018), as is deactivating herself.
        raise InvalidInput(f"operator {login!r} cannot change her own role; another admin can", where="LOGIN")
    if role is not Role.ADMIN:
        _keep_an_active_admin(uow, operator, change=f"make {login!r} {role.value}")
    before = snapshot(operator)
    operator.role = role.value
    if pg_role_prefix is not None and operator.db_role is not None:
        from hotline.core.pg_roles import ensure_login_role, set_database_access

        if operator.active:
            ensure_login_role(uow, login=operator.db_role, role=role, prefix=pg_role_prefix)
        else:  # a deactivated operator's role stays out of every group (reactivating grants the new one)
            set_database_access(
                uow, role=operator.db_role, operator_role=role, allowed=False, prefix=pg_role_prefix
            )
    if snapshot(operator) == before:  # she has that role already: no entry saying it changed now
        return operator
    record_audit(
        uow,
        action="operator.role",
        entity="operator",
        entity_id=operator.id,
        before=before,
        after=snapshot(operator),
    )
    signal_change(uow, "operator", [int(operator.id or 0)])
    return operator


def set_operator_active(
    uow: UnitOfWork, *, login: str, active: bool, pg_role_prefix: str | None = None
) -> Operator:
    """Deactivate or reactivate (admins). On PostgreSQL its login role loses or regains LOGIN where the
    acting role may; with ``pg_role_prefix`` also its group roles (``core.pg_roles.set_database_access``):
    a console she has open reads nothing more. Her consoles hear of it (the ``operator`` change)."""
    uow.authorize("operator.manage", entity="operator", entity_id=login)
    operator = get_operator(uow, login=login)
    if not active and operator.login == uow.actor_login:
        # It was refused anyway, as "operator 'x' is deactivated" (its own audit entry saw her so), and
        # rolled back: say why, and that another admin can.
        raise InvalidInput(f"operator {login!r} cannot deactivate herself; another admin can", where="LOGIN")
    if not active:
        _keep_an_active_admin(uow, operator, change=f"deactivate {login!r}")
    before = snapshot(operator)
    operator.active = active
    database: list[str] = []
    if operator.db_role is not None:
        from hotline.core.pg_roles import set_database_access, set_login_allowed

        if pg_role_prefix is None:
            set_login_allowed(uow, role=operator.db_role, allowed=active)
        else:
            database = set_database_access(
                uow,
                role=operator.db_role,
                operator_role=Role(operator.role),
                allowed=active,
                prefix=pg_role_prefix,
            )
    after = snapshot(operator)
    if database:  # what changed in PostgreSQL, beside the row: the trail says so
        after["database"] = database
    if after == before:  # she already was: no entry saying she was deactivated (or activated) now
        return operator
    record_audit(
        uow,
        action="operator.activate" if active else "operator.deactivate",
        entity="operator",
        entity_id=operator.id,
        before=before,
        after=after,
    )
    signal_change(uow, "operator", [int(operator.id or 0)])
    return operator
