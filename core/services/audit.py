"""Audit entries: who changed or exported what, with the state before and after; and reading them.

Entries are only ever added: hotline has no operation that changes or deletes one (and the database
refuses UPDATE and DELETE on them, see migration 0006).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select

from hotline.core.errors import InvalidInput
from hotline.core.models import AuditEntry

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def snapshot(record: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a record's columns, for ``before``/``after``, in the model's field order (a
    record's own attribute order depends on how it was built and loaded, so it would vary)."""
    dumped = record.model_dump(exclude=exclude or set())
    ordered = [key for key in type(record).model_fields if key in dumped]
    return {key: _jsonable(dumped[key]) for key in [*ordered, *(key for key in dumped if key not in ordered)]}


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
) -> None:
    """Write an audit entry in the unit of work (it commits with the change it describes).

    Every write records one, so this is also where an unknown or deactivated operator is refused. A
    plain INSERT at once, returning nothing: entries are only ever added and nobody reads one back in
    the same unit of work, so the session need not track it (the mail intake writes thousands).
    """
    uow.session.execute(
        _INSERT_ENTRY,
        audit_row(uow, action=action, entity=entity, entity_id=entity_id, before=before, after=after),
    )


def audit_row(
    uow: UnitOfWork,
    *,
    action: str,
    entity: str,
    entity_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit entry as a row, not yet written: for a caller that writes many in one statement
    (``record_audits``) in the same unit of work. The operator is checked now, as by ``record_audit``."""
    uow.require_active()
    return {
        "at": uow.now(),
        "actor": uow.actor_name,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
        "via": uow.via[:200],
    }


def record_audits(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Write the rows ``audit_row`` made, in one statement."""
    if rows:
        uow.session.execute(_INSERT_ENTRY, rows)


_INSERT_ENTRY = insert(AuditEntry.__table__)  # type: ignore[attr-defined]


LARGEST_ID = 2**31 - 1
"""The largest id a column holds (PostgreSQL's ``integer``)."""


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit trail, newest first; ``more`` when older entries follow."""

    entries: list[AuditEntry]
    more: bool


def parse_entity(text: str, *, where: str = "--entity") -> tuple[str, str | None]:
    """``ticket:42`` → ("ticket", "42"); ``client`` → ("client", None). A number is written as entries
    store it: ``ticket:#42`` (as the CLI prints a ticket) and ``ticket:042`` are ``42``, not nothing found."""
    kind, _, key = text.strip().partition(":")
    if not kind or not kind.replace("_", "").isalnum():
        raise InvalidInput(f"not KIND[:ID] (such as ticket:42 or client:7): {text!r}", where=where)
    key = key.strip()
    number = key.removeprefix("#")
    if number.isascii() and number.isdigit():
        key = number.lstrip("0") or "0"
        if int(key) > LARGEST_ID:  # no entry names one: said, not an empty trail
            raise InvalidInput(f"no id is past {LARGEST_ID}: {text.strip()!r}", where=where)
    return kind.lower(), key or None


def list_audit(
    uow: UnitOfWork,
    *,
    actor: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """The audit trail, newest first, filtered; supervisors and admins only (a refusal is audited)."""
    uow.authorize("audit.read", entity=entity or "audit_entry", entity_id=entity_id)
    query = select(AuditEntry)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        keys = _operator_keys(uow, entity_id) if entity == "operator" else [entity_id]
        query = query.where(col(AuditEntry.entity_id).in_(keys))
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).offset(offset)
    rows = list(uow.session.exec(query.limit(limit + 1)))
    return AuditPage(entries=rows[:limit], more=len(rows) > limit)


def _operator_keys(uow: UnitOfWork, key: str) -> list[str]:
    """Both names an operator's entries go by: her id (added, role, deactivated) and her login (shifts,
    refusals), whichever was typed; ``--entity operator:ivan`` found only the half written by login."""
    from hotline.core.models import Operator

    if key.isascii() and key.isdigit():
        if int(key) > LARGEST_ID:
            return [key]
        login = uow.session.exec(select(Operator.login).where(Operator.id == int(key))).first()
        return [key] if login is None else [key, login]
    found = uow.session.exec(select(Operator.id).where(Operator.login == key)).first()
    return [key] if found is None else [key, str(found)]


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as ``audit list --json`` prints it."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "via": entry.via,
    }


def describe_change(entry: AuditEntry) -> str:
    """One line for a history view: the fields that changed (``status: open → pending``), else what
    was recorded."""
    before, after = entry.before or {}, entry.after or {}
    if before and after:
        changed = [key for key in after if key in before and before[key] != after[key]]
        if changed:
            return "; ".join(f"{key}: {before[key]} → {after[key]}" for key in changed[:6])
    shown = after or before
    return ", ".join(f"{key}={value}" for key, value in list(shown.items())[:4])


def change_in_full(entry: AuditEntry) -> str:
    """Every field of an entry, one a line (``status: open → pending`` when it changed, else
    ``key: value``): what :func:`describe_change` cuts to a few fields on one line."""
    before, after = entry.before or {}, entry.after or {}
    lines = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] != after[key]:
            lines.append(f"{key}: {before[key]} → {after[key]}")
        else:
            lines.append(f"{key}: {after.get(key, before.get(key))}")
    return "\n".join(lines)
