"""The supervisor's reports on SQLite and PostgreSQL, each checked against figures counted by hand from
the week below (16–22 November 2026, Moscow time; the clock is Monday 23 November, 10:00 there)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from hotline.core.attribution import Attributions, CampaignConfig
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, Ticket, TicketEvent
from hotline.core.models.enums import Direction, InteractionKind, Role
from hotline.core.reports import (
    REPORT_NAMES,
    Filters,
    Period,
    Report,
    ReportRequest,
    explain_report,
    run_report,
)
from hotline.core.reports.render import report_bytes, report_csv
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call, log_interaction
from hotline.core.services.operators import add_operator
from hotline.core.services.tickets import create_ticket

MOSCOW = ZoneInfo("Europe/Moscow")
WEEK = (date(2026, 11, 16), date(2026, 11, 22))
CAMPAIGNS = Attributions(
    sources=("TV", "Search", "Friend"), campaigns=(CampaignConfig(code="TV-NOV", source="TV", cost=90000),)
)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


@pytest.fixture
def week(uow_factory) -> dict[str, int]:
    """Clients, calls, tickets and chronology lines of one week; returns the ticket numbers by name."""
    with uow_factory() as uow:
        ids = {login: add_operator(uow, login=login, role=role, display_name=login.title()).id
               for login, role in [("anna", Role.OPERATOR), ("boris", Role.OPERATOR), ("sup", Role.SUPERVISOR)]}  # fmt: skip
        clients = {}
        for name, source, campaign, group, owner, created in [
            ("Ivan", "TV", "TV-NOV", "VIP", "anna", msk(17, 10)),
            ("Olga", "TV", "TV-NOV", None, "boris", msk(18, 12)),
            ("Petr", "Search", None, None, "anna", msk(20, 9)),
            ("Old", None, None, None, "anna", msk(1, 9)),
            ("Late", "Friend", None, None, "boris", msk(22, 23, 30)),
        ]:
            draft = ClientDraft(name=name, source=source, campaign=campaign, group=group, owner_login=owner)
            client = create_client(uow, draft=draft, default_region="RU", attributions=CAMPAIGNS)
            uow.session.execute(update(Client).where(Client.id == client.id).values(created_at=created))
            clients[name] = client.id
        tickets = {}
        for name, queue, client, assignee, requester, source, values in [
            ("T1", "Support", "Ivan", "anna", None, "TV",
             {"created_at": msk(17, 10, 10), "status": "resolved", "resolved_at": msk(18, 10), "resolution_due_at": msk(18, 12)}),
            ("T2", "Support", "Petr", "anna", None, None,
             {"created_at": msk(20, 10), "status": "resolved", "resolved_at": msk(21, 10), "resolution_due_at": msk(20, 18)}),
            ("T3", "Sales", "Olga", "boris", "olga@example.com", "TV",
             {"created_at": msk(18, 13), "status": "open", "resolution_due_at": msk(19, 13)}),
            ("T4", "Support", None, "boris", None, None, {"created_at": msk(10, 9), "status": "open"}),
            ("T5", "Support", None, "boris", None, None,
             {"created_at": msk(12, 9), "status": "resolved", "resolved_at": msk(16, 12)}),
            ("T6", "Sales", None, None, None, None,
             {"created_at": msk(22, 20), "status": "new", "first_response_due_at": msk(23, 12)}),
        ]:  # fmt: skip
            ticket = create_ticket(
                uow, subject=f"{name} subject", queue=queue, client_id=clients.get(client), requester=requester,
                assignee_login=assignee, attribution=CAMPAIGNS.resolve(source=source, campaign=None),
            )  # fmt: skip
            uow.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
            tickets[name] = (ticket.id, ticket.number)
        events = [
            (
                "T2",
                "status",
                ids["anna"],
                msk(19, 9),
                {"from": "resolved", "to": "open"},
            ),  # reopened, in the week
            ("T1", "status", ids["anna"], msk(23, 8), {"from": "resolved", "to": "open"}),  # after the week
            ("T3", "status", ids["boris"], msk(18, 14), {"from": "new", "to": "open"}),  # not a reopening
            ("T2", "note", ids["anna"], msk(20, 10, 30), {}),
            ("T1", "note", ids["boris"], msk(18, 9), {}),
        ]
        for name, kind, author, at, data in events:
            uow.session.add(TicketEvent(ticket_id=tickets[name][0], kind=kind, author_id=author, body="",
                                        data=data, created_at=at))  # fmt: skip
    calls = {
        "anna": [("Ivan", Direction.IN, msk(17, 10, 5), 120, "sale", "TV", "T1"),
                 ("Ivan", Direction.IN, msk(19, 11), 60, "complaint", "TV", None),
                 ("Petr", Direction.OUT, msk(20, 9, 30), 30, "callback", None, None),
                 ("Petr", Direction.IN, msk(21, 14, 10), None, "information", "Search", None)],
        "boris": [("Olga", Direction.IN, msk(18, 12, 10), 300, "sale", "TV", "T3"),
                  ("Olga", Direction.IN, msk(24, 9), 40, "sale", "TV", None),
                  ("Late", Direction.IN, msk(22, 23, 40), 50, "information", "Friend", None)],
    }  # fmt: skip
    for login, items in calls.items():
        with uow_factory(actor_login=login) as uow:
            for client, direction, started, seconds, outcome, source, ticket in items:
                log_call(uow, client_id=clients[client], direction=direction, duration_seconds=seconds,
                         outcome=outcome, started_at=started, ticket_id=tickets[ticket][0] if ticket else None,
                         attribution=CAMPAIGNS.resolve(source=source, campaign=None))  # fmt: skip
    with uow_factory(actor_login="anna") as uow:
        log_interaction(uow, client_id=clients["Ivan"], kind=InteractionKind.MEETING, duration_seconds=600,
                        started_at=msk(19, 15), ticket_id=tickets["T1"][0], notes="on site")  # fmt: skip
    return {name: number for name, (_, number) in tickets.items()}


def report(uow_factory, name: str, *, period=WEEK, **filters):
    request = ReportRequest(Period(*period, MOSCOW), Filters(**filters), CAMPAIGNS)
    with uow_factory(actor_login="sup", readonly=True) as uow:
        return run_report(uow, name=name, request=request)


def test_new_clients_by_source_and_campaign(engine, uow_factory, week) -> None:
    assert report(uow_factory, "clients").rows == [
        ["Friend", "(none)", 1, None, None],
        ["Search", "(none)", 1, None, None],
        ["TV", "TV-NOV", 2, 90000.0, 45000.0],
        ["(all)", "", 4, 90000.0, None],
    ]
    assert report(uow_factory, "clients", group="VIP").rows[0] == ["TV", "TV-NOV", 1, 90000.0, 90000.0]
    assert [row[:3] for row in report(uow_factory, "clients", operator="anna").rows] == [
        ["Search", "(none)", 1], ["TV", "TV-NOV", 1], ["(all)", "", 2],
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="belong to no queue"):
        report(uow_factory, "clients", queue="Support")


def test_a_group_filter_finds_its_group_in_any_case(engine, uow_factory, week) -> None:
    """``--group vip`` was "no group named 'vip'" in a report, while every other command found VIP."""
    assert (
        report(uow_factory, "clients", group="vip").rows == report(uow_factory, "clients", group="VIP").rows
    )


def test_a_campaign_under_two_sources_is_costed_once(engine, uow_factory, week) -> None:
    """A client may give another source than the campaign's: its cost was then shown whole on each row,
    divided by that row's clients only (45,000 and 90,000 a client for one campaign of three clients) and
    summed twice in the last line."""
    with uow_factory() as uow:
        draft = ClientDraft(name="Zoya", source="Friend", campaign="TV-NOV")
        client = create_client(uow, draft=draft, default_region="RU", attributions=CAMPAIGNS)
        uow.session.execute(update(Client).where(Client.id == client.id).values(created_at=msk(19, 9)))
    assert report(uow_factory, "clients").rows == [
        ["Friend", "TV-NOV", 1, 90000.0, 30000.0],
        ["Friend", "(none)", 1, None, None],
        ["Search", "(none)", 1, None, None],
        ["TV", "TV-NOV", 2, 90000.0, 30000.0],
        ["(all)", "", 5, 90000.0, None],
    ]


def test_inquiries_by_channel_topic_source_and_hour(engine, uow_factory, week) -> None:
    assert report(uow_factory, "inquiries").rows == [
        ["channel", "phone", 5, 5, 0], ["channel", "desk", 3, 0, 3], ["channel", "email", 1, 0, 1],
        ["topic", "information", 2, 2, 0], ["topic", "queue: Sales", 2, 0, 2], ["topic", "queue: Support", 2, 0, 2],
        ["topic", "sale", 2, 2, 0], ["topic", "complaint", 1, 1, 0],
        ["source", "TV", 5, 3, 2], ["source", "(unknown)", 2, 0, 2], ["source", "Friend", 1, 1, 0],
        ["source", "Search", 1, 1, 0],
        ["hour", "10", 3, 1, 2], ["hour", "11", 1, 1, 0], ["hour", "12", 1, 1, 0], ["hour", "13", 1, 0, 1],
        ["hour", "14", 1, 1, 0], ["hour", "20", 1, 0, 1], ["hour", "23", 1, 1, 0],
    ]  # fmt: skip
    sales = report(uow_factory, "inquiries", queue="Sales")
    assert [row for row in sales.rows if row[0] == "channel"] == [
        ["channel", "desk", 1, 0, 1], ["channel", "email", 1, 0, 1], ["channel", "phone", 1, 1, 0],
    ]  # fmt: skip


def test_performance_per_operator(engine, uow_factory, week) -> None:
    result = report(uow_factory, "performance")
    assert result.records() == [
        {"operator": "anna", "name": "Anna", "calls": 4, "talk_seconds": 210, "handle_seconds": 810,
         "tickets_resolved": 2, "first_contact_resolution": 66.7, "sla_met": 1, "sla_missed": 1, "reopened": 1},
        {"operator": "boris", "name": "Boris", "calls": 2, "talk_seconds": 350, "handle_seconds": 350,
         "tickets_resolved": 1, "first_contact_resolution": 50.0, "sla_met": 0, "sla_missed": 0, "reopened": 0},
    ]  # fmt: skip
    assert report(uow_factory, "performance", queue="Sales").rows == [
        ["boris", "Boris", 1, 300, 300, 0, 0.0, 0, 0, 0]
    ]
    assert [row[0] for row in report(uow_factory, "performance", operator="anna").rows] == ["anna"]


def test_performance_over_all_time_counts_only_resolved_tickets(engine, uow_factory, week) -> None:
    """Without --from/--to the open tickets (T3, T4 of boris, T6 of nobody) were counted as resolved."""
    assert report(uow_factory, "performance", period=(None, None)).rows == [
        ["anna", "Anna", 4, 210, 810, 2, 66.7, 1, 1, 2],
        ["boris", "Boris", 3, 390, 390, 1, 66.7, 0, 0, 0],
    ]


def test_a_call_again_exactly_seven_days_later_is_a_repeat_on_both_backends(engine, uow_factory) -> None:
    """ "Within 7 days" held its last instant on PostgreSQL and not on SQLite (text compared to the
    millisecond: '…00.000000' sorts after '…00.000'): the same calls gave 50 % there and 100 % here."""
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR, display_name="Anna")
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        client_id = create_client(uow, draft=ClientDraft(name="Ivan"), default_region="RU").id
    with uow_factory(actor_login="anna") as uow:
        for day in (16, 23):
            log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=60, outcome="ok",
                     started_at=msk(day, 10))  # fmt: skip
    result = report(uow_factory, "performance", period=(date(2026, 11, 16), date(2026, 11, 23)))
    assert [row[:3] + row[6:7] for row in result.rows] == [["anna", "Anna", 2, 50.0]]


def test_queues_volume_trend_backlog_and_sla(engine, uow_factory, week) -> None:
    assert report(uow_factory, "queues").rows == [
        ["Sales", 2, 0, None, 0, 2, 2, 50.0],
        ["Support", 2, 2, 0.0, 3, 1, 2, 50.0],
    ]
    assert report(uow_factory, "queues", period=(None, None)).rows == [
        ["Sales", 2, None, None, 0, 2, 2, 50.0],
        ["Support", 4, None, None, 3, 1, 2, 50.0],
    ]


def test_a_falling_trend_is_a_number_in_csv(engine, uow_factory, week) -> None:
    """A negative figure was written as text ('-100.0, the apostrophe that stops a formula)."""
    result = report(uow_factory, "queues", period=(date(2026, 11, 23), date(2026, 11, 29)))
    assert [row[:4] for row in result.rows] == [["Sales", 0, 2, -100.0], ["Support", 0, 2, -100.0]]
    assert report_csv(result).splitlines()[1:] == ["Sales,0,2,-100.0,0,2,0,", "Support,0,2,-100.0,0,1,0,"]
    assert report_csv(Report("x", "X", ["name"], [["-1+2"]])).splitlines()[1] == "'-1+2"


def test_time_spent_per_ticket(engine, uow_factory, week) -> None:
    t1, t2, t3 = week["T1"], week["T2"], week["T3"]
    assert report(uow_factory, "time-spent").rows == [
        [t1, "T1 subject", "Support", 1, 120, 1, 600, 720],
        [t3, "T3 subject", "Sales", 1, 300, 0, 0, 300],
        [t2, "T2 subject", "Support", 0, 0, 1, 0, 0],
    ]
    assert report(uow_factory, "time-spent", operator="anna").rows == [
        [t1, "T1 subject", "Support", 1, 120, 0, 600, 720],
        [t2, "T2 subject", "Support", 0, 0, 1, 0, 0],
    ]


def test_the_first_four_take_the_filters(engine, uow_factory, week) -> None:
    assert report(uow_factory, "calls", source="TV").rows == [
        ["2026-11-17", 10, 1, 1, 0, 120.0], ["2026-11-18", 12, 1, 1, 0, 300.0], ["2026-11-19", 11, 1, 1, 0, 60.0],
    ]  # fmt: skip
    assert [row[:3] for row in report(uow_factory, "operators", group="VIP").rows] == [["anna", "Anna", 2]]
    assert report(uow_factory, "aging", period=(None, None), operator="boris").rows[-1][0] == "(all queues)"
    assert report(uow_factory, "sla", source="TV").rows == [
        ["Sales", "normal", 1, 1, 0, 1, 100.0], ["Support", "normal", 1, 1, 0, 0, 0.0],
    ]  # fmt: skip
    with pytest.raises(NotFound, match="no queue named 'Nowhere'"):
        report(uow_factory, "calls", queue="Nowhere")


def test_every_report_explains_itself_and_renders(engine, uow_factory, week) -> None:
    for name in REPORT_NAMES:
        assert len(explain_report(name)) > 100, name
    result = report(uow_factory, "performance")
    book = load_workbook(io.BytesIO(report_bytes(result, "xlsx")))
    sheet = book["performance"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [result.columns, *result.rows]
    assert report_csv(result).splitlines()[1] == "anna,Anna,4,210,810,2,66.7,1,1,1"
    assert result.as_json()["filters"] == {}
    assert report(uow_factory, "calls", source="TV").as_json()["filters"] == {"source": "TV"}


def test_the_breach_rule_is_the_same_in_sql_and_in_python(engine, uow_factory) -> None:
    from sqlalchemy import literal, select

    from hotline.core.models.types import UTCDateTime
    from hotline.core.reports.sla import breached, breached_sql

    now = datetime(2026, 11, 23, 7, tzinfo=UTC)
    moments = [None, now - timedelta(hours=1), now, now + timedelta(hours=1)]
    with uow_factory(readonly=True) as uow:
        for due in moments:
            for done in moments:
                as_sql = breached_sql(literal(due, UTCDateTime()), literal(done, UTCDateTime()), now)
                assert bool(uow.session.execute(select(as_sql)).scalar()) == breached(due, done, now), (
                    due,
                    done,
                )


def test_local_hours_across_a_change_of_offset(engine, uow_factory) -> None:
    """Berlin leaves summer time on 25 October 2026: the same UTC hour is 09 before and 08 after."""
    berlin = ZoneInfo("Europe/Berlin")
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
        client_id = create_client(uow, draft=ClientDraft(name="C"), default_region="RU").id
    with uow_factory(actor_login="anna") as uow:
        for day in (24, 26):
            log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=60, outcome="ok",
                     started_at=datetime(2026, 10, day, 7, 30, tzinfo=UTC))  # fmt: skip
    request = ReportRequest(Period(date(2026, 10, 20), date(2026, 10, 31), berlin))
    with uow_factory(readonly=True) as uow:
        calls = run_report(uow, name="calls", request=request)
        hours = run_report(uow, name="inquiries", request=request)
    assert [row[:3] for row in calls.rows] == [["2026-10-24", 9, 1], ["2026-10-26", 8, 1]]
    assert [row[1] for row in hours.rows if row[0] == "hour"] == ["08", "09"]
