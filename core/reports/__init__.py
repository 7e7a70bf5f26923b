"""Reports for supervisors and admins: operators, ticket aging, SLA breaches, call volume.

Each report reads the database in one unit of work and returns a :class:`Report` (columns and rows of
plain values) that the faces render as a table, CSV or JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hotline.core.errors import InvalidInput
from hotline.core.reports.base import Period, Report, parse_day

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

REPORT_NAMES = ("operators", "aging", "sla", "calls")

__all__ = ["REPORT_NAMES", "Period", "Report", "parse_day", "run_report"]


def run_report(uow: UnitOfWork, *, name: str, period: Period) -> Report:
    """Build the report called ``name`` over ``period``; supervisors and admins only."""
    uow.authorize("report", entity="report", entity_id=name)
    builders: dict[str, Callable[..., Report]] = _builders()
    if name not in builders:
        raise InvalidInput(f"unknown report {name!r} (one of: {', '.join(REPORT_NAMES)})", where="REPORT")
    report = builders[name](uow, period=period)
    report.generated_at = report.generated_at or uow.now()
    return report


def _builders() -> dict[str, Callable[..., Report]]:
    from hotline.core.reports.aging import aging_report
    from hotline.core.reports.calls import calls_report
    from hotline.core.reports.operators import operators_report
    from hotline.core.reports.sla import sla_report

    return {"operators": operators_report, "aging": aging_report, "sla": sla_report, "calls": calls_report}
