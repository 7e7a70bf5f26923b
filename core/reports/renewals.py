"""Contract renewals due: the contracts ending in the period (by default the next 30 days), soonest first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, select

from hotline.core.models import Client, ClientGroup, Contract, Operator
from hotline.core.reports.base import Period, Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

DEFAULT_DAYS = 30

EXPLAIN = f"""
The contracts whose last covered day (the contract's end) falls in the period, soonest first, then
by client. Without --from/--to the period is today and the {DEFAULT_DAYS} days after it (hotline report
renewals --within N: today and the N days after it); with only --from or only --to it is open on the
other side. Days left is the end day minus today (in the configured time zone): 0 ends today, a
negative number ended already. Renewed is "yes" (else "no") when the same client has a later
contract: one that starts after this one starts and ends after this one ends.

--operator keeps the clients that operator owns, --group those of that group, --source those with that
source. --queue keeps the contracts covering that queue: those listing it and those listing no queue
(a contract without queues covers them all). The last line counts the contracts and the renewed ones.
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    """The contracts ending in the period, with the client, its group and owner, days left, renewed."""
    period = request.period
    today = uow.now().astimezone(period.zone).date()
    if period.first is None and period.last is None:
        period = replace(period, first=today, last=today + timedelta(days=DEFAULT_DAYS))
    contract, client = Contract.__table__, Client.__table__
    group, owner = ClientGroup.__table__, Operator.__table__
    client_filters = replace(request.filters, queue=None)  # a queue is checked on the contract below
    later = contract.alias("later")
    renewed = exists(
        select(later.c.id).where(
            later.c.client_id == contract.c.client_id,
            later.c.starts_on > contract.c.starts_on,
            later.c.ends_on > contract.c.ends_on,
        )
    )
    conditions = [*_days(period, contract.c.ends_on), *client_filters.clients(client, report="renewals")]
    query = (
        select(
            contract.c.ends_on, client.c.id, client.c.name, contract.c.level, contract.c.reference,
            contract.c.starts_on, contract.c.queues, group.c.name, owner.c.login, renewed,
        )
        .select_from(
            contract.join(client, client.c.id == contract.c.client_id)
            .outerjoin(group, group.c.id == client.c.group_id)
            .outerjoin(owner, owner.c.id == client.c.owner_id)
        )
        .where(and_(*conditions))
        .order_by(contract.c.ends_on, client.c.name, contract.c.id)
    )  # fmt: skip
    report = Report(
        name="renewals",
        title="Contract renewals due",
        columns=["ends_on", "days_left", "client_id", "client", "level", "reference", "starts_on", "group",
                 "owner", "renewed"],
        period=period,
        generated_at=uow.now(),
    )  # fmt: skip
    wanted_queue = request.filters.queue
    for (
        ends_on,
        client_id,
        name,
        level,
        reference,
        starts_on,
        queues,
        group_name,
        login,
        is_renewed,
    ) in uow.session.connection().execute(query):
        if wanted_queue is not None and queues and wanted_queue not in queues:
            continue
        report.rows.append([
            ends_on.isoformat(), (ends_on - today).days, client_id, name, level, reference or None,
            starts_on.isoformat(), group_name, login, "yes" if is_renewed else "no",
        ])  # fmt: skip
    if report.rows:
        renewed_count = sum(1 for row in report.rows if row[-1] == "yes")
        report.rows.append(["(all)", None, None, f"{len(report.rows)} contracts", None, None, None, None,
                            None, f"{renewed_count} renewed"])  # fmt: skip
    return report


def _days(period: Period, column: object) -> list[object]:
    """Conditions keeping a date ``column`` within the period's days (both ends included)."""
    conditions = []
    if period.first is not None:
        conditions.append(column >= period.first)  # type: ignore[operator]
    if period.last is not None:
        conditions.append(column <= period.last)  # type: ignore[operator]
    return conditions
