"""The permission table and the unit of work's checks: roles in order, refusals audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.core.authority import PERMISSIONS, RANK, allows, checked_login
from hotline.core.db import UnitOfWork
from hotline.core.errors import PermissionDenied
from hotline.core.models import AuditEntry
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator


def test_each_role_may_what_the_ones_below_may() -> None:
    for operation in PERMISSIONS:
        allowed = [allows(role, operation) for role in sorted(RANK, key=RANK.__getitem__)]
        assert allowed == sorted(allowed), operation  # once allowed, allowed for every higher role
        assert allows("admin", operation)
    assert not allows("nobody", "read")


@pytest.mark.parametrize("login", ["", "  ", "a\x1bb", "a\nb", "a b", "\u202eadmin"])
def test_hostile_logins_are_refused(login: str) -> None:
    with pytest.raises(PermissionDenied):
        checked_login(login)


def test_refusals_by_operation_and_by_role_are_audited(engine, clock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR)
    console = UnitOfWork(engine, actor_login="olga", clock=clock, readonly=True, via="console")
    with pytest.raises(PermissionDenied, match=r"client\.export needs admin"), console as uow:
        uow.authorize("client.export", entity="client")
    system_run = UnitOfWork(engine, actor_login="olga", clock=clock)
    with pytest.raises(PermissionDenied, match="this needs supervisor"), system_run as uow:
        uow.require_role(Role.SUPERVISOR)
    with UnitOfWork(engine, readonly=True) as uow:
        refused = list(uow.session.exec(select(AuditEntry.action, AuditEntry.actor, AuditEntry.via)).all())
    assert ("refused:client.export", "olga", "console") in refused
    assert ("refused:role", "olga", "system") in refused
