"""Audit entries: who changed or exported what, with the state before and after."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlmodel import SQLModel

from hotline.core.models import AuditEntry

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def snapshot(record: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a record's columns, for ``before``/``after``."""
    return {key: _jsonable(value) for key, value in record.model_dump(exclude=exclude or set()).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def record_audit(
    uow: UnitOfWork,
    *,
    action: str,
    entity: str,
    entity_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the unit of work (it commits with the change it describes).

    Every write records one, so this is also where an unknown or deactivated operator is refused.
    """
    uow.require_active()
    entry = AuditEntry(
        at=uow.now(),
        actor=uow.actor_name,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        via=uow.via[:200],
    )
    uow.session.add(entry)
    return entry
