"""Calls per day and hour, in the configured time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from hotline.core.models import Interaction
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


EXPLAIN = """
Calls (inbound and outbound) by the local day and hour they started, in the configured time zone.
average_seconds averages the calls whose duration was logged; calls without one count as calls but
not in the average. --operator keeps the calls that operator logged, --queue the calls logged on a
ticket of that queue, --group the calls with clients of that group, --source the calls with that source.
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """One row per local (day, hour) that had calls: calls, inbound, outbound, average duration.

    Hours are bucketed in Python after reading the start times, so both backends agree on the zone.
    """
    period = request.period
    call = Interaction.__table__
    query = (
        select(call.c.started_at, call.c.direction, call.c.duration_seconds)
        .where(call.c.kind == "call", *period.where(call.c.started_at), *request.filters.interactions(call))
        .execution_options(yield_per=5000)
    )
    buckets: dict[tuple[str, int], list[int]] = {}
    for started_at, direction, duration in uow.session.connection().execute(query):
        local = started_at.astimezone(period.zone)
        bucket = buckets.setdefault((local.date().isoformat(), local.hour), [0, 0, 0, 0, 0])
        bucket[0] += 1
        bucket[1] += direction == "in"
        bucket[2] += direction == "out"
        if duration is not None:
            bucket[3] += 1
            bucket[4] += duration
    report = Report(
        name="calls",
        title="Calls per day and hour",
        columns=["day", "hour", "calls", "inbound", "outbound", "average_seconds"],
        period=period,
    )
    for (day, hour), (calls, inbound, outbound, timed, seconds) in sorted(buckets.items()):
        report.rows.append(
            [day, hour, calls, inbound, outbound, round(seconds / timed, 1) if timed else None]
        )
    return report
