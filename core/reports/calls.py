"""Calls per day and hour, in the configured time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from hotline.core.models import Interaction
from hotline.core.reports.base import Period, Report, ReportRequest, local_time_text

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

    Grouped in the database by local time (see ``local_time_text``); in Python when SQLite cannot.
    """
    period = request.period
    call = Interaction.__table__
    conditions = [
        call.c.kind == "call",
        *period.where(call.c.started_at),
        *request.filters.interactions(call),
    ]
    report = Report(
        name="calls",
        title="Calls per day and hour",
        columns=["day", "hour", "calls", "inbound", "outbound", "average_seconds"],
        period=period,
    )
    bucket = local_time_text(uow, call.c.started_at, period, "day hour")
    if bucket is None:
        buckets = _buckets_in_python(uow, conditions, period)
    else:
        query = (
            select(
                bucket.label("bucket"),
                func.count(),
                func.sum(case((call.c.direction == "in", 1), else_=0)),
                func.sum(case((call.c.direction == "out", 1), else_=0)),
                func.count(call.c.duration_seconds),
                func.coalesce(func.sum(call.c.duration_seconds), 0),
            )
            .where(*conditions)
            .group_by(bucket)
        )
        buckets = {
            (text[:10], int(text[11:13])): [int(value) for value in values]
            for text, *values in uow.session.connection().execute(query)
        }
    for (day, hour), (calls, inbound, outbound, timed, seconds) in sorted(buckets.items()):
        report.rows.append(
            [day, hour, calls, inbound, outbound, round(seconds / timed, 1) if timed else None]
        )
    return report


def _buckets_in_python(uow: UnitOfWork, conditions: list, period: Period) -> dict[tuple[str, int], list[int]]:
    call = Interaction.__table__
    query = select(call.c.started_at, call.c.direction, call.c.duration_seconds).where(*conditions)
    buckets: dict[tuple[str, int], list[int]] = {}
    for started_at, direction, duration in uow.session.connection().execute(
        query.execution_options(yield_per=5000)
    ):
        local = started_at.astimezone(period.zone)
        bucket = buckets.setdefault((local.date().isoformat(), local.hour), [0, 0, 0, 0, 0])
        bucket[0] += 1
        bucket[1] += direction == "in"
        bucket[2] += direction == "out"
        if duration is not None:
            bucket[3] += 1
            bucket[4] += duration
    return buckets
