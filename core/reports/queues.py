"""Per queue: how much came in (and the trend against the period before), how much was resolved, the
backlog at the end, and how often the SLA was kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from hotline.core.models import Queue, Ticket
from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.reports.base import Report, ReportRequest
from hotline.core.reports.sla import breached

if TYPE_CHECKING:
    from datetime import datetime

    from hotline.core.db import UnitOfWork

COLUMNS = [
    "queue", "created", "previous_created", "trend_percent", "resolved", "backlog", "with_sla",
    "sla_met_percent",
]  # fmt: skip
_OPEN = {status.value for status in OPEN_STATUSES}

EXPLAIN = """
Per queue: created: tickets created in the period; previous_created: in the period of the same length
just before (only when --from and --to are both given); trend_percent: the change from the one to the
other, in per cent (none when the previous period had none). resolved: tickets resolved in the period.
backlog: tickets created before the period's end that were still open at its end (open now, or resolved
or closed after it; without --to, the tickets open now). with_sla: tickets created in the period with a
first-response or resolution target; sla_met_percent: the share of those that breached neither (the
rule of the sla report: late, or not done and already overdue now). Filters: --queue, --operator (the
assignee), --group (the client's), --source (the ticket's).
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    period, filters = request.period, request.filters
    ticket, queue = Ticket.__table__, Queue.__table__
    now, end = uow.now(), period.end
    previous = period.previous()
    earliest = previous.start if previous is not None else period.start
    conditions = [*filters.tickets(ticket)]
    if end is not None:
        conditions.append(ticket.c.created_at < end)
    query = (
        select(
            queue.c.name, ticket.c.status, ticket.c.created_at, ticket.c.resolved_at, ticket.c.closed_at,
            ticket.c.first_response_due_at, ticket.c.first_response_at, ticket.c.resolution_due_at,
        )
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(*conditions)
        .execution_options(yield_per=5000)
    )  # fmt: skip
    cells: dict[str, dict[str, int]] = {}
    for (
        name,
        status,
        created,
        resolved,
        closed,
        first_due,
        first_at,
        resolution_due,
    ) in uow.session.connection().execute(query):
        cell = cells.setdefault(
            name, dict.fromkeys(("created", "previous", "resolved", "backlog", "sla", "met"), 0)
        )
        done_at = resolved or closed
        if status in _OPEN or (end is not None and done_at is not None and done_at >= end):
            cell["backlog"] += 1
        if resolved is not None and _inside(resolved, period.start, end):
            cell["resolved"] += 1
        if previous is not None and earliest is not None and earliest <= created < period.start:  # type: ignore[operator]
            cell["previous"] += 1
        if not _inside(created, period.start, end):
            continue
        cell["created"] += 1
        if first_due is not None or resolution_due is not None:
            cell["sla"] += 1
            cell["met"] += not (breached(first_due, first_at, now) or breached(resolution_due, resolved, now))
    report = Report(name="queues", title="Queues", columns=COLUMNS, period=period, generated_at=now)
    for name in sorted(cells):
        cell = cells[name]
        before = cell["previous"] if previous is not None else None
        trend = round(100.0 * (cell["created"] - before) / before, 1) if before else None
        met = round(100.0 * cell["met"] / cell["sla"], 1) if cell["sla"] else None
        report.rows.append(
            [name, cell["created"], before, trend, cell["resolved"], cell["backlog"], cell["sla"], met]
        )
    return report


def _inside(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)
