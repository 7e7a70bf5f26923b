"""New clients by source and campaign, with what each campaign cost per client it brought."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hotline.core.models import Client
from hotline.core.reports.base import Report, ReportRequest

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

UNKNOWN = "(unknown)"
NONE = "(none)"

EXPLAIN = """
Clients created in the period, counted by their source and campaign ("(unknown)" and "(none)" when
they have none). cost is the campaign's whole cost from the configuration (not shared out over days),
and cost_per_client divides it by all the clients the campaign brought in the period: a client may give
another source than the campaign's, and the campaign then has a line per source, each with its whole
cost and the same cost per client. A campaign that brought no client in the period is not listed.
Filters: --operator (the client's owner), --group, --source; clients belong to no queue, so --queue is
refused. The last line sums the clients and the costs (each campaign's once).
"""


def build(uow: UnitOfWork, request: ReportRequest) -> Report:
    client = Client.__table__
    query = (
        select(client.c.source, client.c.campaign, func.count().label("clients"))
        .where(*request.period.where(client.c.created_at), *request.filters.clients(client, report="clients"))
        .group_by(client.c.source, client.c.campaign)
    )
    report = Report(
        name="clients",
        title="New clients by source and campaign",
        columns=["source", "campaign", "new_clients", "cost", "cost_per_client"],
        period=request.period,
    )
    attributions = request.attributions
    rows = uow.session.connection().execute(query).all()
    per_campaign: dict[str, int] = {}  # a campaign's clients over every source they gave
    for row in rows:
        if row.campaign:
            per_campaign[row.campaign] = per_campaign.get(row.campaign, 0) + row.clients
    costs: dict[str, float] = {}
    for source, campaign, clients in sorted(
        rows, key=lambda r: (r.source or "\uffff", r.campaign or "\uffff")
    ):
        known = attributions.campaign(campaign) if attributions and campaign else None
        cost = known.cost if known else None
        if cost is not None:
            costs[campaign] = cost
        report.rows.append(
            [
                source or UNKNOWN,
                campaign or NONE,
                clients,
                cost,
                round(cost / per_campaign[campaign], 2) if cost is not None else None,
            ]
        )
    if report.rows:
        report.rows.append(["(all)", "", sum(row.clients for row in rows), float(sum(costs.values())), None])
    return report
