"""Screen pops: requested for a known operator, taken once, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from hotline.core.errors import NotFound
from hotline.core.models import ScreenPop
from hotline.core.services.screen_pop import request_screen_pop, take_screen_pops


def test_screen_pops_are_taken_once(uow_factory, staff) -> None:
    with uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67")
    with pytest.raises(NotFound), uow_factory() as uow:
        request_screen_pop(uow, operator_login="nobody", number="123")
    with uow_factory("olga") as uow:
        assert [p.number for p in take_screen_pops(uow, operator_login="olga")] == ["+7 916 123 45 67"]
    with uow_factory("olga") as uow:
        assert take_screen_pops(uow, operator_login="olga") == []
        assert (
            uow.session.exec(
                select(func.count()).select_from(ScreenPop).where(col(ScreenPop.consumed_at).is_not(None))
            ).one()
            == 1
        )
