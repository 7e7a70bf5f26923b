"""Screen pops: the phone system asks an operator's console to open the caller's card.

Through the database, so it works across processes and, on PostgreSQL, across machines: the console
polls one small indexed table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from hotline.core.errors import InvalidInput
from hotline.core.models import ScreenPop
from hotline.core.phones import digits_of
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def request_screen_pop(
    uow: UnitOfWork, *, operator_login: str, number: str, campaign: str | None = None
) -> ScreenPop:
    """Queue a pop of ``number`` for that operator's running console; ``campaign``: the campaign of
    the number the caller dialled (see ``Attributions.for_dialled``)."""
    if not digits_of(number):
        raise InvalidInput(f"not a phone number: {number[:40]!r}", where="NUMBER")
    get_operator(uow, login=operator_login)
    pop = ScreenPop(
        operator_login=operator_login, number=number.strip(), requested_at=uow.now(), campaign=campaign
    )
    uow.session.add(pop)
    uow.session.flush()
    record_audit(uow, action="screen_pop.request", entity="screen_pop", entity_id=pop.id, after=snapshot(pop))
    return pop


def take_screen_pops(uow: UnitOfWork, *, operator_login: str) -> list[ScreenPop]:
    """The operator's pops not yet shown, oldest first, marked as shown."""
    pops = list(
        uow.session.exec(
            select(ScreenPop)
            .where(ScreenPop.operator_login == operator_login, col(ScreenPop.consumed_at).is_(None))
            .order_by(ScreenPop.id)
        )
    )
    now = uow.now()
    for pop in pops:
        pop.consumed_at = now
        uow.session.add(pop)
    return pops
