"""Webhook events already taken, kept in the database: a replay is refused after the listener restarts,
and of two listeners taking the same event exactly one takes it.

One row of the named counters (``counter``, no table of its own) per event: ``webhook:<digest of the
event's key>``, the minute it was taken as its value; rows past the replay window are deleted.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from hotline.core.models import Counter

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

PREFIX = "webhook:"


def _name(key: str) -> str:
    return PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:42]


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def take_event(uow: UnitOfWork, key: str) -> bool:
    """Note the event ``key`` as taken now; False when it was taken before (by any listener), and then
    nothing is written. Two transactions racing: one inserts, the other waits for it and gets False."""
    uow.authorize("call.import", entity="call_record")
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Counter)
        .values(name=_name(key), value=_minute(uow.now()))
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Counter.name)
    )
    return uow.session.execute(statement).scalar_one_or_none() is not None


def forget_events_before(uow: UnitOfWork, moment: datetime) -> int:
    """Delete the events taken before ``moment`` (a replay of them is refused by its time); how many."""
    uow.authorize("call.import", entity="call_record")
    statement = delete(Counter).where(
        col(Counter.name).like(f"{PREFIX}%"), col(Counter.value) < _minute(moment)
    )
    return uow.session.execute(statement).rowcount  # type: ignore[attr-defined]
