"""Ticket numbers: the next value of a named counter, taken under the counter row's lock.

Internal to the ticket services (``create_ticket`` calls it); faces never number anything.
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


def next_number(uow: UnitOfWork, counter: str = "ticket") -> int:
    """The next value of ``counter``; no two callers ever get the same one, even concurrently."""
    session = uow.session
    bump = (
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(bump).scalar_one_or_none()  # one statement once the counter exists
    if value is not None:
        return value
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Counter).values(name=counter, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    return session.execute(bump).scalar_one()
