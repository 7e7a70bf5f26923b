"""Calls handled and average handle time per operator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from hotline.core.models import Interaction, Operator
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


EXPLAIN = """
Per operator, the calls they logged that started in the period: inbound, outbound, talk_seconds (the
sum of the logged durations) and average_handle_seconds (talk_seconds divided by the calls that have
a duration). Calls logged by no operator (the system, an import) are one line, "(system)". Filters:
--operator, --queue (calls logged on a ticket of that queue), --group (the client's), --source (the
call's). The performance report adds tickets, first-contact resolution and the SLA.
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """Per operator: calls (in, out), talk time, average handle time in seconds, over calls started in
    the period; calls logged by nobody (the system) are one line of their own."""
    period = request.period
    call = Interaction.__table__
    operator = Operator.__table__
    timed = call.c.duration_seconds.isnot(None)
    query = (
        select(
            operator.c.login,
            operator.c.display_name,
            func.count().label("calls"),
            func.sum(case((call.c.direction == "in", 1), else_=0)).label("inbound"),
            func.sum(case((call.c.direction == "out", 1), else_=0)).label("outbound"),
            func.sum(case((timed, 1), else_=0)).label("timed"),
            func.coalesce(func.sum(call.c.duration_seconds), 0).label("talk_seconds"),
        )
        .select_from(call.outerjoin(operator, operator.c.id == call.c.operator_id))
        .where(call.c.kind == "call", *period.where(call.c.started_at), *request.filters.interactions(call))
        .group_by(operator.c.login, operator.c.display_name)
    )
    report = Report(
        name="operators",
        title="Calls per operator",
        columns=[
            "operator",
            "name",
            "calls",
            "inbound",
            "outbound",
            "talk_seconds",
            "average_handle_seconds",
        ],
        period=period,
    )
    rows = uow.session.connection().execute(query).all()
    for row in sorted(rows, key=lambda r: (-r.calls, r.login or "")):
        average = round(row.talk_seconds / row.timed, 1) if row.timed else None
        report.rows.append(
            [row.login or "(system)", row.display_name or "", row.calls, int(row.inbound), int(row.outbound),
             int(row.talk_seconds), average]
        )  # fmt: skip
    return report
