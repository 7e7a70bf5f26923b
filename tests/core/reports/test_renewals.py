"""The renewals report on SQLite and PostgreSQL, against figures worked out by hand.

The clock stands at Monday 23 November 2026, 10:00 in Moscow (the conftest's clock): today is the 23rd.
"""

from __future__ import annotations

import io
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from hotline.core.errors import NotFound, PermissionDenied
from hotline.core.models import Queue
from hotline.core.models.enums import Role
from hotline.core.reports import Filters, Period, ReportRequest, explain_report, run_report
from hotline.core.reports.render import report_bytes, report_csv
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import add_contract
from hotline.core.services.operators import add_operator

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def contracts(uow_factory) -> dict[str, int]:
    """Five clients' contracts around today; returns the client ids by name."""
    with uow_factory() as uow:
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        add_operator(uow, login="anna", role=Role.OPERATOR)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        uow.session.add_all([Queue(name="Sales"), Queue(name="Support")])
    ids: dict[str, int] = {}
    with uow_factory(actor_login="sup") as uow:
        for name, group, owner, source in [("Alpha", "VIP", "anna", "TV"), ("Beta", None, "olga", None),
                                           ("Gamma", "VIP", "olga", "TV"), ("Delta", None, None, None),
                                           ("Omega", None, "anna", None)]:  # fmt: skip
            draft = ClientDraft(name=name, group=group, owner_login=owner, source=source)
            ids[name] = create_client(uow, draft=draft, default_region="RU").id
        for name, level, starts, ends, queues, reference in [
            ("Alpha", "Gold", date(2025, 12, 1), date(2026, 11, 30), [], "A-1"),  # 7 days left
            ("Alpha", "Gold", date(2026, 12, 1), date(2027, 11, 30), [], "A-2"),  # renews A-1
            ("Beta", "Silver", date(2026, 1, 1), date(2026, 11, 23), ["Sales"], "B-1"),  # ends today
            ("Gamma", "Bronze", date(2026, 6, 1), date(2026, 12, 23), ["Support"], ""),  # 30 days: in
            ("Delta", "Gold", date(2026, 1, 1), date(2026, 12, 24), [], "D-1"),  # 31 days: out by default
            ("Omega", "Silver", date(2025, 1, 1), date(2026, 11, 22), [], "O-1"),  # ended yesterday
        ]:
            add_contract(uow, client_id=ids[name], level=level, starts_on=starts, ends_on=ends,
                         queues=queues, reference=reference)  # fmt: skip
    return ids


def renewals(uow_factory, first=None, last=None, **filters):
    request = ReportRequest(Period(first, last, MOSCOW), Filters(**filters))
    with uow_factory(actor_login="sup", readonly=True) as uow:
        return run_report(uow, name="renewals", request=request)


def test_the_next_thirty_days_by_default(uow_factory, contracts: dict[str, int]) -> None:
    report = renewals(uow_factory)
    assert report.period.first == date(2026, 11, 23) and report.period.last == date(2026, 12, 23)
    assert report.rows == [
        ["2026-11-23", 0, contracts["Beta"], "Beta", "Silver", "B-1", "2026-01-01", None, "olga", "no"],
        ["2026-11-30", 7, contracts["Alpha"], "Alpha", "Gold", "A-1", "2025-12-01", "VIP", "anna", "yes"],
        ["2026-12-23", 30, contracts["Gamma"], "Gamma", "Bronze", None, "2026-06-01", "VIP", "olga", "no"],
        ["(all)", None, None, "3 contracts", None, None, None, None, None, "1 renewed"],
    ]


def test_a_period_and_the_filters(uow_factory, contracts: dict[str, int]) -> None:
    report = renewals(uow_factory, date(2026, 11, 1), date(2026, 11, 30))
    assert [(row[0], row[1], row[3]) for row in report.rows[:-1]] == [
        ("2026-11-22", -1, "Omega"), ("2026-11-23", 0, "Beta"), ("2026-11-30", 7, "Alpha"),
    ]  # fmt: skip
    assert [row[3] for row in renewals(uow_factory, date(2026, 12, 1), None).rows[:-1]] == [
        "Gamma",
        "Delta",
        "Alpha",
    ]  # fmt: skip (Alpha's next contract ends in 2027)
    assert [row[3] for row in renewals(uow_factory, group="VIP").rows[:-1]] == ["Alpha", "Gamma"]
    assert [row[3] for row in renewals(uow_factory, operator="olga").rows[:-1]] == ["Beta", "Gamma"]
    assert [row[3] for row in renewals(uow_factory, source="TV").rows[:-1]] == ["Alpha", "Gamma"]
    # Sales: Beta lists it, Alpha lists no queue (covers all); Gamma covers Support only.
    assert [row[3] for row in renewals(uow_factory, queue="Sales").rows[:-1]] == ["Beta", "Alpha"]
    assert renewals(uow_factory, date(2030, 1, 1), date(2030, 1, 2)).rows == []
    with pytest.raises(NotFound, match="no group named 'Nobody'"):
        renewals(uow_factory, group="Nobody")


def test_renders_and_explains(uow_factory, contracts: dict[str, int]) -> None:
    report = renewals(uow_factory)
    book = load_workbook(io.BytesIO(report_bytes(report, "xlsx")))
    assert [list(row) for row in book["renewals"].iter_rows(values_only=True)] == [
        report.columns,
        *report.rows,
    ]
    assert report_csv(report).splitlines()[0] == (
        "ends_on,days_left,client_id,client,level,reference,starts_on,group,owner,renewed"
    )
    assert report.as_json()["rows"][1]["renewed"] == "yes"
    assert "renewed" in explain_report("renewals").lower()


def test_operators_may_not(uow_factory, contracts: dict[str, int]) -> None:
    with uow_factory(actor_login="anna", readonly=True) as uow, pytest.raises(PermissionDenied):
        run_report(uow, name="renewals", request=ReportRequest(Period(None, None, MOSCOW)))
