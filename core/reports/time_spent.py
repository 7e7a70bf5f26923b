"""Time spent per ticket: the calls logged on it and the notes written on it in the period."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

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
    period, filters = request.period, request.filters
    call, ticket, event = Interaction.__table__, Ticket.__table__, TicketEvent.__table__
    connection = uow.session.connection()
    by_ticket: dict[int, list[int]] = {}  # calls, call_seconds, notes, other_seconds
    operator_only = Filters(operator=filters.operator)
    ticket_only = Filters(queue=filters.queue, group=filters.group, source=filters.source)
    logged = (
        select(
            call.c.ticket_id, call.c.kind, func.count(), func.coalesce(func.sum(call.c.duration_seconds), 0)
        )
        .select_from(call.join(ticket, ticket.c.id == call.c.ticket_id))
        .where(
            *period.where(call.c.started_at), *operator_only.interactions(call), *ticket_only.tickets(ticket)
        )
        .group_by(call.c.ticket_id, call.c.kind)
    )
    for ticket_id, kind, count, seconds in connection.execute(logged):
        cell = by_ticket.setdefault(ticket_id, [0, 0, 0, 0])
        if kind == "call":
            cell[0] += count
            cell[1] += int(seconds)
        else:
            cell[2] += count if kind == "note" else 0
            cell[3] += int(seconds)
    notes = (
        select(event.c.ticket_id, func.count())
        .select_from(event.join(ticket, ticket.c.id == event.c.ticket_id))
        .where(event.c.kind == "note", *period.where(event.c.created_at), *ticket_only.tickets(ticket))
        .group_by(event.c.ticket_id)
    )
    if filters.operator is not None:
        notes = notes.where(event.c.author_id.in_(operator_ids(filters.operator)))
    for ticket_id, count in connection.execute(notes):
        by_ticket.setdefault(ticket_id, [0, 0, 0, 0])[2] += count
    report = Report(name="time-spent", title="Time spent per ticket", columns=COLUMNS, period=period)
    if not by_ticket:
        return report
    queue = Queue.__table__
    about = {
        row.id: row
        for row in connection.execute(
            select(ticket.c.id, ticket.c.number, ticket.c.subject, queue.c.name)
            .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
            .where(ticket.c.id.in_(list(by_ticket)))
        )
    }
    for ticket_id, (calls, call_seconds, note_count, other_seconds) in by_ticket.items():
        row = about[ticket_id]
        report.rows.append(
            [
                row.number,
                row.subject,
                row.name,
                calls,
                call_seconds,
                note_count,
                other_seconds,
                call_seconds + other_seconds,
            ]
        )
    report.rows.sort(key=lambda values: (-values[-1], values[0]))
    return report
