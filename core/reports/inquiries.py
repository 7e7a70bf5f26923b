"""Inquiries (incoming calls and tickets) by channel, topic, source and hour of the day."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from hotline.core.models import Interaction, Queue, Ticket
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from datetime import datetime

    from hotline.core.db import UnitOfWork

DIMENSIONS = ("channel", "topic", "source", "hour")
UNKNOWN = "(unknown)"

EXPLAIN = """
An inquiry is an incoming call (a call logged with direction "in") that started in the period, or a
ticket created in it. Each is counted once under every dimension: channel ("phone" for calls, "email"
for tickets with a requester address, which is how mail opens them, "desk" for tickets opened by an
operator), topic (a call's wrap-up code; a ticket's queue as "queue: NAME", since tickets carry no tags
of their own), source ("(unknown)" when none was given) and the local hour it started (00-23, in the
configured time zone). calls and tickets split the inquiries. Filters: --queue (tickets of that queue
and calls logged on them), --operator (who logged the call, the ticket's assignee), --group (the
client's), --source.
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    period, filters = request.period, request.filters
    call, ticket, queue = Interaction.__table__, Ticket.__table__, Queue.__table__
    connection = uow.session.connection()
    counts: dict[tuple[str, str], list[int]] = {}

    def count(kind: int, channel: str, topic: str, source: str | None, at: datetime) -> None:
        hour = f"{at.astimezone(period.zone).hour:02d}"
        for key in (("channel", channel), ("topic", topic), ("source", source or UNKNOWN), ("hour", hour)):
            cell = counts.setdefault(key, [0, 0])
            cell[kind] += 1

    calls = select(call.c.outcome, call.c.source, call.c.started_at).where(
        call.c.kind == "call",
        call.c.direction == "in",
        *period.where(call.c.started_at),
        *filters.interactions(call),
    )
    for outcome, source, started_at in connection.execute(calls.execution_options(yield_per=5000)):
        count(0, "phone", outcome or UNKNOWN, source, started_at)
    tickets = (
        select(queue.c.name, ticket.c.requester, ticket.c.source, ticket.c.created_at)
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(*period.where(ticket.c.created_at), *filters.tickets(ticket))
    )
    for queue_name, requester, source, created_at in connection.execute(
        tickets.execution_options(yield_per=5000)
    ):
        count(1, "email" if requester else "desk", f"queue: {queue_name}", source, created_at)
    report = Report(
        name="inquiries",
        title="Inquiries by channel, topic, source and hour",
        columns=["by", "value", "inquiries", "calls", "tickets"],
        period=period,
    )
    order = {dimension: index for index, dimension in enumerate(DIMENSIONS)}
    for (dimension, value), (calls_count, tickets_count) in sorted(
        counts.items(),
        key=lambda item: (order[item[0][0]], item[0][0] == "hour" and item[0][1], -sum(item[1]), item[0][1]),
    ):
        report.rows.append([dimension, value, calls_count + tickets_count, calls_count, tickets_count])
    return report
