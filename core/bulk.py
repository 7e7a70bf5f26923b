"""Inserting many rows of a table in one statement, and having them back as objects in their order.

SQLAlchemy sends an INSERT … RETURNING of many rows as one statement (its "insertmanyvalues"), but on
SQLite only if the rows may come back in any order: SQLite promises none. A table's new ids there grow
in the order of the VALUES rows (a rowid is the largest one so far plus one, and the rows are inserted
as listed), so sorting the objects by id gives the order of the rows back; PostgreSQL's rows are
sorted by SQLAlchemy itself (``sort_by_parameter_order``). The ticket services, the mail intake and the
outbox use it where a group of mail writes many rows of a kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import insert, inspect

if TYPE_CHECKING:
    from sqlmodel import Session

_Row = TypeVar("_Row")


def insert_objects(session: Session, entity: type[_Row], rows: Sequence[dict[str, Any]]) -> list[_Row]:
    """Insert ``rows`` (every row with the same keys; None is NULL) into ``entity``'s table, whose
    single-column primary key the database assigns; the new objects, held by the session, in the
    order of ``rows``."""
    if not rows:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = insert(entity).returning(entity, sort_by_parameter_order=not sqlite)
    objects = list(session.scalars(statement, list(rows), execution_options={"render_nulls": True}))
    if sqlite:
        [key] = inspect(entity).primary_key
        objects.sort(key=lambda row: getattr(row, key.key))
    return objects


def insert_ids(session: Session, entity: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` as ``insert_objects`` does, without making objects of them (nor reading their
    columns back): the new ids, in the order of ``rows``."""
    if not rows:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    [key] = inspect(entity).primary_key
    statement = insert(entity).returning(key, sort_by_parameter_order=not sqlite)
    ids = list(session.scalars(statement, list(rows), execution_options={"render_nulls": True}))
    return sorted(ids) if sqlite else ids
