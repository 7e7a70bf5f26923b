"""How each operator is doing: calls, talk and handle time, tickets resolved, first-contact resolution,
SLA met and missed, tickets reopened."""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

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
    period, filters = request.period, request.filters
    connection = uow.session.connection()
    call, ticket, event = Interaction.__table__, Ticket.__table__, TicketEvent.__table__
    figures: dict[int | None, dict[str, Any]] = {}

    def of(operator_id: int | None) -> dict[str, Any]:
        return figures.setdefault(operator_id, dict.fromkeys(COLUMNS[2:], 0) | {"inbound": [], "repeat": 0})

    interactions = select(
        call.c.operator_id,
        call.c.kind,
        call.c.direction,
        call.c.duration_seconds,
        call.c.client_id,
        call.c.started_at,
    ).where(*period.where(call.c.started_at), *filters.interactions(call))
    for operator_id, kind, direction, seconds, client_id, started_at in connection.execute(interactions):
        row = of(operator_id)
        row["handle_seconds"] += seconds or 0
        if kind == "call":
            row["calls"] += 1
            row["talk_seconds"] += seconds or 0
            if direction == "in":
                row["inbound"].append((client_id, started_at))
    _first_contact(connection, period, figures)
    resolved = select(ticket.c.assignee_id, ticket.c.resolved_at, ticket.c.resolution_due_at).where(
        *period.where(ticket.c.resolved_at), *filters.tickets(ticket)
    )
    for assignee_id, resolved_at, due in connection.execute(resolved):
        row = of(assignee_id)
        row["tickets_resolved"] += 1
        if due is not None:
            row["sla_met" if resolved_at <= due else "sla_missed"] += 1
    changes = (
        select(ticket.c.assignee_id, event.c.data)
        .select_from(event.join(ticket, ticket.c.id == event.c.ticket_id))
        .where(event.c.kind == "status", *period.where(event.c.created_at), *filters.tickets(ticket))
    )
    for assignee_id, data in connection.execute(changes):
        if isinstance(data, dict) and data.get("from") in _DONE and data.get("to") in _OPEN:
            of(assignee_id)["reopened"] += 1
    return _report(uow, request, figures)


def _first_contact(connection: Any, period: Any, figures: dict[int | None, dict[str, Any]]) -> None:
    """Count, per operator, the incoming calls followed by another incoming call of the same client
    within ``FCR_WINDOW`` (looking past the period's end)."""
    clients = {client_id for row in figures.values() for client_id, _ in row["inbound"]}
    if not clients:
        return
    call = Interaction.__table__
    conditions = [call.c.kind == "call", call.c.direction == "in"]
    if period.start is not None:
        conditions.append(call.c.started_at > period.start)
    if period.end is not None:
        conditions.append(call.c.started_at < period.end + FCR_WINDOW)
    later: dict[int, list[Any]] = {}
    for client_id, started_at in connection.execute(
        select(call.c.client_id, call.c.started_at).where(*conditions)
    ):
        if client_id in clients:
            later.setdefault(client_id, []).append(started_at)
    for times in later.values():
        times.sort()
    for row in figures.values():
        for client_id, started_at in row["inbound"]:
            times = later.get(client_id, [])
            index = bisect_right(times, started_at)
            if index < len(times) and times[index] <= started_at + FCR_WINDOW:
                row["repeat"] += 1


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
        inbound = len(row["inbound"])
        fcr = round(100.0 * (inbound - row["repeat"]) / inbound, 1) if inbound else None
        values = [row[column] for column in COLUMNS[2:]]
        values[COLUMNS.index("first_contact_resolution") - 2] = fcr
        report.rows.append([login, name, *values])
    report.rows.sort(key=lambda values: (values[0] == "(system)", values[0]))
    return report
