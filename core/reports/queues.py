"""Per queue: how much came in (and the trend against the period before), how much was resolved, the
backlog at the end, and how often the SLA was kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, literal, not_, or_, select, true

from hotline.core.models import Queue, Ticket
from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.reports.base import Report, ReportRequest
from hotline.core.reports.sla import breached_sql

if TYPE_CHECKING:
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
    """Counted in the database, one row per queue."""
    period, filters = request.period, request.filters
    ticket, queue = Ticket.__table__, Queue.__table__
    now, end = uow.now(), period.end
    previous = period.previous()

    def inside(column: Any, span: Any) -> Any:
        return and_(true(), *span.where(column))

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    created = inside(ticket.c.created_at, period)
    first_due, resolution_due = ticket.c.first_response_due_at, ticket.c.resolution_due_at
    with_target = and_(created, or_(first_due.is_not(None), resolution_due.is_not(None)))
    kept = and_(
        with_target,
        not_(breached_sql(first_due, ticket.c.first_response_at, now)),
        not_(breached_sql(resolution_due, ticket.c.resolved_at, now)),
    )
    resolved = and_(ticket.c.resolved_at.is_not(None), inside(ticket.c.resolved_at, period))
    still_open = ticket.c.status.in_(_OPEN)
    if end is not None:
        done_at = func.coalesce(ticket.c.resolved_at, ticket.c.closed_at)
        still_open = or_(still_open, and_(done_at.is_not(None), done_at >= end))
    query = (
        select(
            queue.c.name, tally(created),
            tally(inside(ticket.c.created_at, previous)) if previous is not None else literal(None),
            tally(resolved), tally(still_open), tally(with_target), tally(kept),
        )
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(*([ticket.c.created_at < end] if end is not None else []), *filters.tickets(ticket))
        .group_by(queue.c.name)
        .order_by(queue.c.name)
    )  # fmt: skip
    report = Report(name="queues", title="Queues", columns=COLUMNS, period=period, generated_at=now)
    for name, count, before, resolved, backlog, with_sla, met in uow.session.connection().execute(query):
        count, before = int(count or 0), (int(before or 0) if previous is not None else None)
        trend = round(100.0 * (count - before) / before, 1) if before else None
        rate = round(100.0 * int(met or 0) / int(with_sla), 1) if with_sla else None
        report.rows.append(
            [name, count, before, trend, int(resolved or 0), int(backlog or 0), int(with_sla or 0), rate]
        )
    return report
