"""Open tickets by age bucket per queue, as of the unit of work's clock."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from hotline.core.models import Queue, Ticket
from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

# (label, upper bound of the age); the last bucket is open-ended.
BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("<1h", timedelta(hours=1)),
    ("1-4h", timedelta(hours=4)),
    ("4-24h", timedelta(days=1)),
    ("1-3d", timedelta(days=3)),
    ("3-7d", timedelta(days=7)),
    (">7d", None),
)


def bucket_of(age: timedelta) -> str:
    """The bucket label of an age: each bucket includes its lower bound and excludes its upper one."""
    for label, upper in BUCKETS:
        if upper is None or age < upper:
            return label
    raise AssertionError("the last bucket is open-ended")


EXPLAIN = """
Open tickets (new, open or pending now) per queue, by their age now: the time since the ticket was
created, in wall-clock time. Each bucket includes its lower bound and excludes its upper one
(exactly 1 hour old is in 1-4h). --from/--to keep the tickets created in those days; --operator the
tickets assigned to that operator, --group those of that group's clients, --source those with that
source. The last line sums the queues.
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """Per queue: how many open (new, open, pending) tickets are how old now; the period limits the
    tickets to those created in it."""
    period = request.period
    ticket, queue = Ticket.__table__, Queue.__table__
    now = uow.now()
    query = (
        select(queue.c.name, ticket.c.created_at)
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(
            ticket.c.status.in_([status.value for status in OPEN_STATUSES]),
            *period.where(ticket.c.created_at),
            *request.filters.tickets(ticket),
        )
    )
    labels = [label for label, _ in BUCKETS]
    counts: dict[str, dict[str, int]] = {}
    for queue_name, created_at in uow.session.connection().execute(query):
        row = counts.setdefault(queue_name, dict.fromkeys(labels, 0))
        row[bucket_of(max(now - created_at, timedelta(0)))] += 1
    report = Report(
        name="aging", title="Open tickets by age", columns=["queue", *labels, "total"], period=period,
        generated_at=now,
    )  # fmt: skip
    for queue_name in sorted(counts):
        values = [counts[queue_name][label] for label in labels]
        report.rows.append([queue_name, *values, sum(values)])
    if report.rows:
        totals = [sum(row[index] for row in report.rows) for index in range(1, len(labels) + 2)]
        report.rows.append(["(all queues)", *totals])
    return report
