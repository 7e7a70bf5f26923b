"""How each operator is doing: calls, talk and handle time, tickets resolved, first-contact resolution,
SLA met and missed, tickets reopened."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Interval, case, exists, func, literal, select

from hotline.core.models import Interaction, Operator, Ticket, TicketEvent
from hotline.core.models.enums import DONE_STATUSES, OPEN_STATUSES
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

FCR_WINDOW = timedelta(days=7)
COLUMNS = [
    "operator", "name", "calls", "talk_seconds", "handle_seconds", "tickets_resolved",
    "first_contact_resolution", "sla_met", "sla_missed", "reopened",
]  # fmt: skip
_DONE = {status.value for status in DONE_STATUSES}
_OPEN = {status.value for status in OPEN_STATUSES}

EXPLAIN = """
Per operator, over the period.

calls: the calls they logged (in and out); talk_seconds: the sum of those calls' durations;
handle_seconds: talk time plus the durations of the other interactions they logged (meetings, notes
with a duration).

tickets_resolved: tickets resolved in the period that are assigned to them; sla_met / sla_missed: of
those, the ones with a resolution target resolved by it / after it.

first_contact_resolution: of their incoming calls, the share (per cent) after which the same client did
not call in again within 7 days (a repeat call after the period's end counts too).

reopened: their tickets that went from resolved or closed back to open in the period.

Filters: --operator, --queue (calls logged on tickets of that queue; tickets of that queue), --group
(the client's), --source (the call's or the ticket's).
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """Every figure is counted in the database, grouped by operator (a few rows come back)."""
    period, filters = request.period, request.filters
    connection = uow.session.connection()
    call, ticket, event = Interaction.__table__, Ticket.__table__, TicketEvent.__table__
    figures: dict[int | None, dict[str, Any]] = {}

    def of(operator_id: int | None) -> dict[str, Any]:
        return figures.setdefault(operator_id, dict.fromkeys(COLUMNS[2:], 0) | {"inbound": 0, "repeat": 0})

    is_call = call.c.kind == "call"
    seconds = func.coalesce(call.c.duration_seconds, 0)
    logged = (
        select(call.c.operator_id, func.sum(case((is_call, 1), else_=0)),
               func.sum(case((is_call, seconds), else_=0)), func.sum(seconds))
        .where(*period.where(call.c.started_at), *filters.interactions(call))
        .group_by(call.c.operator_id)
    )  # fmt: skip
    for operator_id, calls, talk, handle in connection.execute(logged):
        row = of(operator_id)
        row["calls"], row["talk_seconds"], row["handle_seconds"] = (
            int(calls or 0),
            int(talk or 0),
            int(handle or 0),
        )
    for operator_id, inbound, repeat in connection.execute(_first_contact(uow, request)):
        of(operator_id)["inbound"], of(operator_id)["repeat"] = int(inbound), int(repeat or 0)
    due = ticket.c.resolution_due_at
    resolved = (
        select(ticket.c.assignee_id, func.count(), func.sum(case((ticket.c.resolved_at <= due, 1), else_=0)),
               func.sum(case((ticket.c.resolved_at > due, 1), else_=0)))
        .where(ticket.c.resolved_at.is_not(None), *period.where(ticket.c.resolved_at),
               *filters.tickets(ticket))
        .group_by(ticket.c.assignee_id)
    )  # fmt: skip
    for assignee_id, count, met, missed in connection.execute(resolved):
        row = of(assignee_id)
        row["tickets_resolved"], row["sla_met"], row["sla_missed"] = (
            int(count),
            int(met or 0),
            int(missed or 0),
        )
    reopened = (
        select(ticket.c.assignee_id, func.count())
        .select_from(event.join(ticket, ticket.c.id == event.c.ticket_id))
        .where(event.c.kind == "status", *period.where(event.c.created_at), *filters.tickets(ticket),
               event.c.data["from"].as_string().in_(_DONE), event.c.data["to"].as_string().in_(_OPEN))
        .group_by(ticket.c.assignee_id)
    )  # fmt: skip
    for assignee_id, count in connection.execute(reopened):
        of(assignee_id)["reopened"] = int(count)
    return _report(uow, request, figures)


def _first_contact(uow: UnitOfWork, request: ReportRequest) -> Any:
    """Per operator: their incoming calls in the period, and those after which the same client called
    in again within ``FCR_WINDOW`` (looking past the period's end)."""
    call = Interaction.__table__
    later = call.alias("later")
    if uow.session.get_bind().dialect.name == "postgresql":
        window_end: Any = call.c.started_at + literal(FCR_WINDOW, Interval())
    else:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the same instant a week on, to the millisecond
        # ('HH:MM:SS.SSS', padded with 999 so the week's last instant, '….SSS000', compares within it)
        week_on = func.strftime("%Y-%m-%d %H:%M:%f", call.c.started_at, f"+{FCR_WINDOW.days} days")
        window_end = week_on.concat("999")
    repeated = exists(
        select(later.c.id).where(
            later.c.client_id == call.c.client_id, later.c.kind == "call", later.c.direction == "in",
            later.c.started_at > call.c.started_at, later.c.started_at <= window_end,
        )
    )  # fmt: skip
    return (
        select(call.c.operator_id, func.count(), func.sum(case((repeated, 1), else_=0)))
        .where(call.c.kind == "call", call.c.direction == "in", *request.period.where(call.c.started_at),
               *request.filters.interactions(call))
        .group_by(call.c.operator_id)
    )  # fmt: skip


def _report(uow: UnitOfWork, request: ReportRequest, figures: dict[int | None, dict[str, Any]]) -> Report:
    operator = Operator.__table__
    ids = [operator_id for operator_id in figures if operator_id is not None]
    names = {
        row.id: (row.login, row.display_name or "")
        for row in uow.session.connection().execute(
            select(operator.c.id, operator.c.login, operator.c.display_name).where(operator.c.id.in_(ids))
        )
    }
    report = Report(
        name="performance", title="Operators' performance", columns=COLUMNS, period=request.period
    )
    for operator_id, row in figures.items():
        login, name = (
            names.get(operator_id, ("(system)", "")) if operator_id is not None else ("(system)", "")
        )
        inbound = row["inbound"]
        fcr = round(100.0 * (inbound - row["repeat"]) / inbound, 1) if inbound else None
        values = [row[column] for column in COLUMNS[2:]]
        values[COLUMNS.index("first_contact_resolution") - 2] = fcr
        report.rows.append([login, name, *values])
    report.rows.sort(key=lambda values: (values[0] == "(system)", values[0]))
    return report
