"""Fixtures shared by the service tests: the staff and queues most of them act with."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.core.models import AuditEntry
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue


@pytest.fixture
def staff(uow_factory):
    """An admin, a supervisor, an operator and two queues."""
    with uow_factory() as uow:
        add_operator(uow, login="admin", role=Role.ADMIN, display_name="Ada Admin")
        add_operator(uow, login="sue", role=Role.SUPERVISOR, display_name="Sue Super")
        add_operator(uow, login="olga", role=Role.OPERATOR, display_name="Ольга Оператор")
        for queue in ("Support", "Billing"):
            ensure_queue(uow, name=queue)


def audit_actions(uow) -> list[str]:
    """The actions of the audit entries, oldest first."""
    return list(uow.session.exec(select(AuditEntry.action).order_by(AuditEntry.id)))
