"""Ticket numbers: the next value of a named counter, taken under the counter row's lock.

Internal to the ticket services (``create_tickets`` calls it); faces never number anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from hotline.core.models import Counter

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def reserve_numbers(uow: UnitOfWork, count: int, counter: str = "ticket") -> range:
    """The next ``count`` values of ``counter``, consecutive, taken in one statement; no two callers
    ever get the same one, even concurrently (the counter row stays locked to the end of the
    transaction, and a rollback gives the values back)."""
    if count < 1:
        return range(0)
    session = uow.session
    bump = (
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    last = session.execute(bump).scalar_one_or_none()  # one statement once the counter exists
    if last is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(Counter).values(name=counter, value=0).on_conflict_do_nothing(index_elements=["name"])
        )
        last = session.execute(bump).scalar_one()
    return range(last - count + 1, last + 1)
