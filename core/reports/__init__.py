"""Reports for supervisors and admins: who does what, where clients and inquiries come from, how the
queues and the SLA fare.

Each report is one module with ``build(uow, request)`` (one unit of work, a :class:`Report` of plain
values that the faces render as a table, CSV, XLSX or JSON) and ``EXPLAIN``, how its numbers are
computed (``hotline report NAME --explain``). Every report takes the period and the filters by queue,
operator, group and source; a filter that cannot apply to a report is refused, never ignored.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hotline.core.errors import InvalidInput

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.reports.base import Filters, Period, Report, ReportRequest, parse_day

# name → (module, one line for the help)
REPORTS: dict[str, tuple[str, str]] = {
    "operators": ("operators", "Calls handled and average handle time per operator."),
    "aging": ("aging", "Open tickets by age bucket per queue (--from/--to limit by creation day)."),
    "sla": ("sla", "SLA breaches (first response, resolution) by queue and priority."),
    "calls": ("calls", "Calls per day and hour (in the configured time zone)."),
    "clients": ("new_clients", "New clients by source and campaign, with the campaign's cost per client."),
    "inquiries": ("inquiries", "Inquiries (incoming calls, tickets) by channel, topic, source and hour."),
    "performance": (
        "performance",
        "Per operator: calls, talk and handle time, resolved, FCR, SLA, reopened.",
    ),
    "queues": ("queues", "Per queue: volume and its trend, resolved, backlog, SLA compliance."),
    "time-spent": ("time_spent", "Time spent per ticket: the calls and notes on it."),
    "renewals": ("renewals", "Contract renewals due: contracts ending in the period (default: 30 days)."),
}
REPORT_NAMES = tuple(REPORTS)

__all__ = [
    "REPORT_NAMES",
    "Filters",
    "Period",
    "Report",
    "ReportRequest",
    "explain_report",
    "parse_day",
    "run_report",
]


def __getattr__(attribute: str) -> Any:
    """The report types load the tables: only when asked for (``hotline report --help`` stays quick)."""
    if attribute in {"Filters", "Period", "Report", "ReportRequest", "parse_day"}:
        from hotline.core.reports import base

        return getattr(base, attribute)
    raise AttributeError(attribute)


def _module(name: str) -> ModuleType:
    if name not in REPORTS:
        raise InvalidInput(f"unknown report {name!r} (one of: {', '.join(REPORT_NAMES)})", where="REPORT")
    return importlib.import_module(f"hotline.core.reports.{REPORTS[name][0]}")


def run_report(
    uow: UnitOfWork, *, name: str, period: Period | None = None, request: ReportRequest | None = None
) -> Report:
    """Build the report called ``name`` over ``request`` (or just ``period``); supervisors and admins only."""
    from hotline.core.reports.base import ReportRequest

    uow.authorize("report", entity="report", entity_id=name)
    module = _module(name)
    if request is None:
        if period is None:
            raise InvalidInput("a report needs a period", where="--from")
        request = ReportRequest(period=period)
    request.filters.check(uow, sources=request.attributions.sources if request.attributions else ())
    report = module.build(uow, request)
    report.generated_at = report.generated_at or uow.now()
    report.filters = request.filters.given()
    return report


def explain_report(name: str) -> str:
    """How the report's numbers are computed: its ``EXPLAIN`` with each paragraph on one line."""
    paragraphs = str(_module(name).EXPLAIN).strip().split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
