"""Operators: adding them, their roles, and the audit entries, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from hotline.core.errors import Conflict, InvalidInput, PermissionDenied
from hotline.core.models import Operator
from hotline.core.models.enums import Role
from hotline.core.services.operators import (
    add_operator,
    list_operators,
    set_operator_active,
    set_operator_role,
)
from tests.core.conftest import audit_actions


def test_operator_round_trip_and_roles(uow_factory, staff) -> None:
    with uow_factory(readonly=True) as uow:
        operators = {o.login: o for o in list_operators(uow)}
    assert operators["olga"].display_name == "Ольга Оператор"
    assert operators["sue"].role == "supervisor"
    with pytest.raises(PermissionDenied), uow_factory("olga") as uow:
        add_operator(uow, login="eve", role=Role.ADMIN)
    with uow_factory("admin") as uow:
        set_operator_role(uow, login="olga", role=Role.SUPERVISOR)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Operator.role).where(Operator.login == "olga")).one() == "supervisor"
        actions = audit_actions(uow)
    assert actions.count("operator.add") == 3
    assert actions[-1] == "operator.role"


def test_duplicate_login_is_a_conflict(uow_factory, staff) -> None:
    with pytest.raises(Conflict), uow_factory("admin") as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR)


def test_an_admin_cannot_deactivate_herself_and_is_told_why(uow_factory, staff) -> None:
    """It said "operator 'admin' is deactivated" (and audited that), while nothing had changed."""
    with (
        pytest.raises(InvalidInput, match="cannot deactivate herself; another admin can"),
        uow_factory("admin") as uow,
    ):
        set_operator_active(uow, login="admin", active=False)
    with uow_factory(readonly=True) as uow:
        admin = uow.session.exec(select(Operator).where(Operator.login == "admin")).one()
        assert admin.active
        assert "refused:read" not in audit_actions(uow)


def test_an_admin_does_not_change_her_own_role(uow_factory, staff) -> None:
    """Another admin does (PostgreSQL refuses it in SQL too, migration 0018): nothing written."""
    refused = pytest.raises(InvalidInput, match="cannot change her own role; another admin can")
    with refused, uow_factory("admin") as uow:
        set_operator_role(uow, login="admin", role=Role.OPERATOR)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Operator.role).where(Operator.login == "admin")).one() == "admin"
        assert "operator.role" not in audit_actions(uow)


@pytest.mark.parametrize("name", ["B\x1b[31mob", "Bob\x00", "n" * 201], ids=["escape", "nul", "201 chars"])
def test_a_display_name_with_a_control_character_or_too_long_is_refused(uow_factory, staff, name) -> None:
    """``operators add --name`` stored an escape sequence, and 5,000 characters on SQLite where PostgreSQL
    failed with a database error (exit 1); now one line naming --name, and nothing added."""
    refusal = pytest.raises(InvalidInput, match="a display name is at most 200 printable characters")
    with refusal as refused, uow_factory("admin") as uow:
        add_operator(uow, login="bob", role=Role.OPERATOR, display_name=name)
    assert refused.value.where == "--name"
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Operator).where(Operator.login == "bob")).first() is None
    with uow_factory("admin") as uow:
        add_operator(uow, login="bob", role=Role.OPERATOR, display_name="Боб " + "n" * 196)


@pytest.mark.parametrize("login", ["system", "System", " SYSTEM "])
def test_system_is_no_login(uow_factory, staff, login: str) -> None:
    """An operator added as ``system`` wrote audit entries under the system account's name (cron, the PBX,
    and on PostgreSQL what any role's ``system`` entry is recorded as): nobody could tell hers apart."""
    refusal = pytest.raises(InvalidInput, match="the audit trail's name for the system account")
    with refusal, uow_factory("admin") as uow:
        add_operator(uow, login=login, role=Role.ADMIN)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Operator).where(Operator.login == "system")).first() is None


@pytest.mark.parametrize("change", ["deactivate", "operator", "supervisor"])
def test_the_last_active_admin_stays_one(uow_factory, staff, change: str) -> None:
    """The system account could deactivate or demote the only admin: nobody could manage operators."""

    def apply(uow, login: str) -> None:
        if change == "deactivate":
            set_operator_active(uow, login=login, active=False)
        else:
            set_operator_role(uow, login=login, role=Role(change))

    with pytest.raises(PermissionDenied, match=r"'admin'.* the last active admin"), uow_factory() as uow:
        apply(uow, "admin")
    with uow_factory(readonly=True) as uow:
        admin = uow.session.exec(select(Operator).where(Operator.login == "admin")).one()
        assert (admin.role, admin.active) == ("admin", True)
        assert audit_actions(uow)[-1] == "refused:operator.manage"
    with uow_factory() as uow:  # with another active admin it goes through
        add_operator(uow, login="ada2", role=Role.ADMIN)
        set_operator_active(uow, login="ada2", active=False)
    with pytest.raises(PermissionDenied, match="last active admin"), uow_factory() as uow:
        apply(uow, "admin")  # a deactivated admin is no admin to fall back on
    with uow_factory() as uow:
        set_operator_active(uow, login="ada2", active=True)
    with uow_factory() as uow:
        apply(uow, "admin")
    with uow_factory(readonly=True) as uow:
        assert audit_actions(uow)[-1] in {"operator.deactivate", "operator.role"}


def test_two_admins_taking_each_other_away_at_once_leave_one(uow_factory, staff, backend: str) -> None:
    """Each saw the other still active and both went through: no admin left (PostgreSQL; SQLite's one
    writer at a time refuses the later write instead)."""
    if backend != "postgresql":
        pytest.skip("SQLite writes one at a time: the second write fails on the stale read")
    import threading

    with uow_factory() as uow:
        add_operator(uow, login="ada2", role=Role.ADMIN)
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            with uow_factory() as uow:
                set_operator_active(uow, login="ada2", active=False)
            outcome.append(None)
        except BaseException as error:  # handed to the test
            outcome.append(error)

    first = uow_factory()
    with first as uow:
        set_operator_active(uow, login="admin", active=False)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waits for the first to commit
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert isinstance(outcome[0], PermissionDenied) and "last active admin" in str(outcome[0])
    with uow_factory(readonly=True) as uow:
        active = uow.session.exec(
            select(Operator.login).where(Operator.role == "admin", col(Operator.active).is_(True))
        ).all()
    assert active == ["ada2"]


def test_the_same_login_added_twice_at_once_says_it_exists(uow_factory, staff) -> None:
    """Two ``operators add nadia`` at once on PostgreSQL: the second failed on the login's unique key,
    "database error: duplicate key value ...", exit 1; it now waits and says the operator exists."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                add_operator(uow, login="nadia", role=Role.OPERATOR)
        except Exception as error:
            second["error"] = error

    with uow_factory() as uow:
        add_operator(uow, login="nadia", role=Role.OPERATOR)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert isinstance(second.get("error"), Conflict), second
    assert str(second["error"]) == "operator 'nadia' exists already"
