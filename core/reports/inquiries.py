"""Inquiries (incoming calls and tickets) by channel, topic, source and hour of the day."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hotline.core.models import Interaction, Queue, Ticket
from hotline.core.reports.base import Report, ReportRequest, local_time_text

if TYPE_CHECKING:
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

    def count(kind: int, channel: str, topic: str, source: str | None, hour: str, times: int) -> None:
        for key in (("channel", channel), ("topic", topic), ("source", source or UNKNOWN), ("hour", hour)):
            counts.setdefault(key, [0, 0])[kind] += times

    # Grouped in the database by everything shown (a few hundred groups), hours in local time.
    call_hour = _hour(uow, call.c.started_at, period)
    calls = (
        select(call.c.outcome, call.c.source, call_hour, func.count())
        .where(call.c.kind == "call", call.c.direction == "in", *period.where(call.c.started_at),
               *filters.interactions(call))
        .group_by(call.c.outcome, call.c.source, call_hour)
    )  # fmt: skip
    for outcome, source, hour, times in connection.execute(calls):
        count(0, "phone", outcome or UNKNOWN, source, _hour_text(hour, period), times)
    ticket_hour = _hour(uow, ticket.c.created_at, period)
    emailed = ticket.c.requester.is_not(None)
    tickets = (
        select(queue.c.name, emailed, ticket.c.source, ticket_hour, func.count())
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(*period.where(ticket.c.created_at), *filters.tickets(ticket))
        .group_by(queue.c.name, emailed, ticket.c.source, ticket_hour)
    )
    for queue_name, by_mail, source, hour, times in connection.execute(tickets):
        count(
            1, "email" if by_mail else "desk", f"queue: {queue_name}", source, _hour_text(hour, period), times
        )
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


def _hour(uow: UnitOfWork, column: Any, period: Any) -> Any:
    """The local hour as text in SQL, or (where SQLite cannot) the instant itself, made local in Python."""
    hour = local_time_text(uow, column, period, "hour")
    return hour if hour is not None else column


def _hour_text(value: Any, period: Any) -> str:
    if isinstance(value, datetime):
        return f"{value.astimezone(period.zone).hour:02d}"
    return str(value)
