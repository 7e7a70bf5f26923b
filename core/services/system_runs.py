"""Runs that act as the system on someone's authority: cron's mail poll and send, schema upgrades.

The command names the run; whether its invoker may start it is the permission table's decision, here
in core (a refusal is an audit entry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

SYSTEM_RUNS = {
    "mail poll": "mail.run",
    "mail send": "mail.run",
    "call listen": "call.import",
    "live relay": "read",
    "escalate": "escalate",
    "db upgrade": "db.admin",
    "db init": "db.admin",
}
"""Run → operation of the permission table."""


def start_system_run(uow: UnitOfWork, *, run: str) -> None:
    """Refuse the run (``PermissionDenied``) unless the invoker's role allows it."""
    uow.authorize(SYSTEM_RUNS[run], entity="run", entity_id=run)


def record_schema_change(uow: UnitOfWork, *, before: str | None, after: str | None) -> None:
    """The audit entry of a schema upgrade (``db init``, ``db upgrade``): written once the schema can say
    who is who again, on the invoker's authority like the run itself. Nothing changed: no entry."""
    from hotline.core.services.audit import record_audit

    if before == after:
        return
    uow.authorize("db.admin", entity="database", entity_id="schema")
    record_audit(
        uow,
        action="db.upgrade",
        entity="database",
        entity_id="schema",
        before={"revision": before},
        after={"revision": after},
    )
