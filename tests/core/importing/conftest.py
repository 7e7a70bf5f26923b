"""Fixtures of the import and export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator


@pytest.fixture
def admin(uow_factory) -> str:
    with uow_factory() as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
    return "root"


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path):
    """A SQLite database with an admin ``root`` and an operator ``olga`` (the staged path is SQLite's)."""
    database = tmp_path / "hotline.db"
    database.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{database}")
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
    yield engine
    engine.dispose()
