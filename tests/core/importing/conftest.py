"""Fixtures of the import and export tests."""

from __future__ import annotations

import pytest

from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator


@pytest.fixture
def admin(uow_factory) -> str:
    with uow_factory() as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
    return "root"
