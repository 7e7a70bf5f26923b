"""Time spent per ticket: the calls logged on it and the notes written on it in the period."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, func, or_, select, text

from hotline.core.models import Interaction, Queue, Ticket, TicketEvent
from hotline.core.reports.base import Filters, Report, ReportRequest, operator_ids

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

COLUMNS = ["ticket", "subject", "queue", "calls", "call_seconds", "notes", "other_seconds", "total_seconds"]

EXPLAIN = """
Per ticket, over the period: calls and call_seconds: the calls logged on the ticket that started in the
period and the sum of their durations; notes: the notes written on it (chronology notes and notes
logged on the client's timeline for the ticket); other_seconds: the durations of the other interactions
logged on it (meetings, timed notes); total_seconds = call_seconds + other_seconds. Tickets with no
call or note in the period are not listed; the most time first. Filters: --queue, --operator (who logged
the call or note), --group (the client's), --source (the ticket's).
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """One query: the interactions and the notes per ticket, summed in subqueries, joined to the tickets."""
    period, filters = request.period, request.filters
    call, ticket, event, queue = (
        Interaction.__table__,
        Ticket.__table__,
        TicketEvent.__table__,
        Queue.__table__,
    )
    operator_only = Filters(operator=filters.operator)
    ticket_only = Filters(queue=filters.queue, group=filters.group, source=filters.source)
    is_call, seconds = call.c.kind == "call", func.coalesce(call.c.duration_seconds, 0)
    logged = (
        select(
            call.c.ticket_id.label("ticket_id"),
            func.sum(case((is_call, 1), else_=0)).label("calls"),
            func.sum(case((is_call, seconds), else_=0)).label("call_seconds"),
            func.sum(case((call.c.kind == "note", 1), else_=0)).label("notes"),
            func.sum(case((is_call, 0), else_=seconds)).label("other_seconds"),
        )
        .select_from(call.join(ticket, ticket.c.id == call.c.ticket_id))
        .where(
            *period.where(call.c.started_at), *operator_only.interactions(call), *ticket_only.tickets(ticket)
        )
        .group_by(call.c.ticket_id)
        .subquery()
    )
    notes = (
        select(event.c.ticket_id.label("ticket_id"), func.count().label("notes"))
        .select_from(event.join(ticket, ticket.c.id == event.c.ticket_id))
        .where(event.c.kind == "note", *period.where(event.c.created_at), *ticket_only.tickets(ticket))
        .group_by(event.c.ticket_id)
    )
    if filters.operator is not None:
        notes = notes.where(event.c.author_id.in_(operator_ids(filters.operator)))
    noted = notes.subquery()
    call_seconds = func.coalesce(logged.c.call_seconds, 0)
    other_seconds = func.coalesce(logged.c.other_seconds, 0)
    query = (
        select(
            ticket.c.number, ticket.c.subject, queue.c.name, func.coalesce(logged.c.calls, 0), call_seconds,
            func.coalesce(logged.c.notes, 0) + func.coalesce(noted.c.notes, 0), other_seconds,
            (call_seconds + other_seconds).label("total"),
        )
        .select_from(
            ticket.join(queue, queue.c.id == ticket.c.queue_id)
            .outerjoin(logged, logged.c.ticket_id == ticket.c.id)
            .outerjoin(noted, noted.c.ticket_id == ticket.c.id)
        )
        .where(or_(logged.c.ticket_id.is_not(None), noted.c.ticket_id.is_not(None)))
        .order_by(text("total DESC"), ticket.c.number)
    )  # fmt: skip
    report = Report(name="time-spent", title="Time spent per ticket", columns=COLUMNS, period=period)
    for number, subject, queue_name, *figures in uow.session.connection().execute(query):
        report.rows.append([number, subject, queue_name, *(int(value) for value in figures)])
    return report
