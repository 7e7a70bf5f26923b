"""SLA breaches by queue and priority: first responses and resolutions that came (or are) too late."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, or_, select

from hotline.core.models import Queue, Ticket
from hotline.core.models.enums import Priority
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from datetime import datetime

    from hotline.core.db import UnitOfWork


def breached(due: datetime | None, done: datetime | None, now: datetime) -> bool:
    """A target was missed: done after it was due, or not done and already overdue."""
    if due is None:
        return False
    return done > due if done is not None else now > due


def breached_sql(due: Any, done: Any, now: datetime) -> Any:
    """:func:`breached` as an SQL condition on columns (the same rule; a test holds them together)."""
    return and_(due.is_not(None), or_(and_(done.is_not(None), done > due), and_(done.is_(None), due < now)))


EXPLAIN = """
Per queue and priority, the tickets created in the period: with_sla counts those with a first-response
or a resolution target; a target is breached when it was met after it was due, or is not met and is
already overdue now (open tickets count). breach_rate is the share of tickets with a target that
breached either, in per cent. Filters: --queue, --operator (the assignee), --group (the client's),
--source (the ticket's).
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """Per queue and priority, over tickets created in the period: how many had SLA targets, how many
    missed the first response, how many missed the resolution (still-open overdue tickets count)."""
    period = request.period
    ticket, queue = Ticket.__table__, Queue.__table__
    now = uow.now()
    first_due, resolution_due = ticket.c.first_response_due_at, ticket.c.resolution_due_at
    first_missed = breached_sql(first_due, ticket.c.first_response_at, now)
    resolution_missed = breached_sql(resolution_due, ticket.c.resolved_at, now)

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            queue.c.name, ticket.c.priority, func.count(),
            tally(or_(first_due.is_not(None), resolution_due.is_not(None))), tally(first_missed),
            tally(resolution_missed), tally(or_(first_missed, resolution_missed)),
        )
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(*period.where(ticket.c.created_at), *request.filters.tickets(ticket))
        .group_by(queue.c.name, ticket.c.priority)
    )  # fmt: skip
    cells = {
        (name, priority): [int(value or 0) for value in values]
        for name, priority, *values in uow.session.connection().execute(query)
    }
    report = Report(
        name="sla",
        title="SLA breaches",
        columns=["queue", "priority", "tickets", "with_sla", "first_response_breaches", "resolution_breaches",
                 "breach_rate"],
        period=period,
        generated_at=now,
    )  # fmt: skip
    rank = {priority.value: priority.rank for priority in Priority}
    for (name, priority), (tickets, with_sla, first, resolution, missed) in sorted(
        cells.items(), key=lambda item: (item[0][0], -rank.get(item[0][1], -1))
    ):
        rate = round(100.0 * missed / with_sla, 1) if with_sla else None  # share of tickets with any breach
        report.rows.append([name, priority, tickets, with_sla, first, resolution, rate])
    return report
