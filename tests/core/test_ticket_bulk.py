"""Many tickets at once (``create_tickets``) and many chronology lines at once (``add_events``) write
exactly what one at a time writes: the same numbers, tags, SLA clocks and deadlines, events (status
lines of a first response or a reopening included), versions and audit entries — on SQLite and
PostgreSQL. Each comparison writes the batch, takes a picture of the database, rolls it back, writes
the same one at a time and compares (ids aside: a rolled-back PostgreSQL sequence does not go back).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import col, select

from hotline.core.models import AuditEntry, Counter, Ticket, TicketEvent
from hotline.core.models.enums import ClientKind, EventKind, Priority, Role, TicketStatus
from hotline.core.models.sla import TicketSla
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import EXPIRED_TAG, add_contract
from hotline.core.services.groups import create_group
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import (
    EventDraft,
    TicketDraft,
    add_events,
    change_status,
    create_ticket,
    create_tickets,
)
from hotline.core.services.tickets._numbering import reserve_numbers
from tests.core.escalation.world import setup_from_toml


class _RolledBack(Exception):
    """Raised inside a unit of work to roll it back after taking its picture."""


@pytest.fixture
def world(uow_factory) -> dict[str, int]:
    """Staff, queues, and clients whose contracts choose different SLA policies: gold by their own
    contract, by their organisation's, by their group's level; a lapsed one; one without any."""
    with uow_factory() as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        for queue in ("Support", "Billing", "Sales"):
            ensure_queue(uow, name=queue)
        create_group(uow, name="Gold", contract_level="gold")

        def client(name: str, **fields: Any) -> int:
            return create_client(uow, draft=ClientDraft(name=name, **fields), default_region="RU").id

        made = {"acme": client("Acme", kind=ClientKind.ORGANISATION)}
        made["worker"] = client("Ann Worker", organisation_id=made["acme"])
        made["lapsed"] = client("Lapsed Ltd")
        made["grouped"] = client("Goldie", group="Gold")
        made["plain"] = client("Nobody")
        add_contract(
            uow, client_id=made["acme"], level="gold", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        )
        add_contract(
            uow, client_id=made["lapsed"], level="gold", starts_on=date(2025, 1, 1), ends_on=date(2026, 11, 1)
        )
    return made


def _drafts(world: dict[str, int]) -> list[TicketDraft]:
    return [
        TicketDraft(
            subject="  Printer\n on fire ", queue="Support", client_id=world["acme"], body="It burns"
        ),
        TicketDraft(subject="Invoice", queue="Billing", priority=Priority.HIGH, client_id=world["worker"]),
        TicketDraft(subject="Lapsed", queue="Support", client_id=world["lapsed"], requester="l@example.com"),
        TicketDraft(
            subject="Group level", queue="Support", client_id=world["grouped"], assignee_login="olga"
        ),
        TicketDraft(
            subject="Called",
            queue="Support",
            client_id=world["plain"],
            first_event=EventKind.CALL,
            body="rang",
        ),
        TicketDraft(subject="Answered", queue="Support", first_event=EventKind.MESSAGE_OUT, body="Done."),
        TicketDraft(subject="New queue", queue="Sales", body="", message_id="<m1@x>", author="A <a@x>"),
        TicketDraft(subject="Anonymous", queue="Support"),
    ]


def _picture(uow) -> dict[str, Any]:
    """The database's tickets, clocks, events and audit entries, without ids (in their order)."""
    session = uow.session
    tickets = session.exec(select(Ticket).order_by(col(Ticket.number))).all()
    numbers = {ticket.id: ticket.number for ticket in tickets}
    clocks = {row.ticket_id: row for row in session.exec(select(TicketSla)).all()}
    events = session.exec(select(TicketEvent).order_by(col(TicketEvent.id))).all()
    audits = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    return {
        "tickets": [ticket.model_dump(exclude={"id"}) for ticket in tickets],
        "clocks": [
            {**clocks[ticket.id].model_dump(exclude={"ticket_id"}), "number": ticket.number}
            for ticket in tickets
            if ticket.id in clocks
        ],
        "events": [
            {**event.model_dump(exclude={"id", "ticket_id"}), "number": numbers[event.ticket_id]}
            for event in events
        ],
        "audits": sorted(
            (
                (entry.action, entry.entity, entry.entity_id, repr(entry.before), repr(_no_ids(entry.after)))
                for entry in audits
            ),
        ),
        "counter": session.exec(select(Counter.value).where(Counter.name == "ticket")).first(),
    }


def _no_ids(after: Any) -> Any:
    return {key: value for key, value in after.items() if key != "id"} if isinstance(after, dict) else after


def _rolled_back(uow_factory, actor: str | None, write) -> dict[str, Any]:
    """Run ``write(uow)`` in a unit of work, take the picture, and roll everything back."""
    uow = uow_factory(actor)
    try:
        with uow:
            write(uow)
            uow.session.flush()
            picture = _picture(uow)
            raise _RolledBack
    except _RolledBack:
        return picture


@pytest.mark.parametrize("actor", ["olga", None])
def test_many_tickets_at_once_are_what_one_at_a_time_makes(uow_factory, world, actor) -> None:
    setup = setup_from_toml()
    drafts = _drafts(world)

    def together(uow) -> None:
        tickets = create_tickets(uow, drafts, sla=setup)
        assert [ticket.subject for ticket in tickets][:2] == ["Printer on fire", "Invoice"]

    def one_by_one(uow) -> None:
        for draft in drafts:
            create_ticket(
                uow,
                subject=draft.subject,
                queue=draft.queue,
                priority=draft.priority,
                client_id=draft.client_id,
                requester=draft.requester,
                body=draft.body,
                assignee_login=draft.assignee_login,
                first_event=draft.first_event,
                message_id=draft.message_id,
                author=draft.author,
                sla=setup,
            )

    bulk, single = _rolled_back(uow_factory, actor, together), _rolled_back(uow_factory, actor, one_by_one)
    assert bulk == single
    by_subject = {ticket["subject"]: ticket for ticket in bulk["tickets"]}
    assert [ticket["number"] for ticket in bulk["tickets"]] == list(range(1, len(drafts) + 1))
    assert EXPIRED_TAG in by_subject["Lapsed"]["tags"]
    policies = {row["number"]: row["policy"] for row in bulk["clocks"]}
    assert policies[by_subject["Printer on fire"]["number"]] == "Support/*/gold"  # its own contract
    assert policies[by_subject["Group level"]["number"]] == "Support/*/gold"  # its group's level
    assert policies[by_subject["Lapsed"]["number"]] == "Support/*"
    gold, plain = by_subject["Printer on fire"], by_subject["Lapsed"]
    assert gold["first_response_due_at"] < plain["first_response_due_at"]  # 30 minutes, not an hour
    if actor == "olga":  # an operator's call or answer is the first response: the ticket is open
        assert by_subject["Called"]["status"] == by_subject["Answered"]["status"] == TicketStatus.OPEN.value
        assert [event["kind"] for event in bulk["events"]].count("status") == 2


def test_nothing_is_written_when_one_draft_is_refused(uow_factory, world) -> None:
    drafts = [TicketDraft(subject="Fine", queue="Support"), TicketDraft(subject=" \n ", queue="Support")]
    with pytest.raises(Exception, match="subject"), uow_factory("olga") as uow:
        create_tickets(uow, drafts)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Ticket)).all() == []


def test_many_lines_at_once_are_what_one_at_a_time_appends(uow_factory, world) -> None:
    """Lines on new, pending and resolved tickets: a client's message takes a pending one back to open
    and reopens a resolved one (a status line after it, the version bumped, audited), an operator's
    answer to a new one is its first response; two lines on one ticket follow each other."""
    setup = setup_from_toml()
    with uow_factory("olga") as uow:
        numbers = [
            create_ticket(uow, subject=f"T{i}", queue="Support", client_id=world["acme"], sla=setup).number
            for i in range(4)
        ]
        change_status(uow, number=numbers[1], expected_version=None, status=TicketStatus.PENDING, sla=setup)
        change_status(uow, number=numbers[2], expected_version=None, status=TicketStatus.OPEN, sla=setup)
        change_status(uow, number=numbers[2], expected_version=None, status=TicketStatus.RESOLVED, sla=setup)

    def lines(uow) -> list[EventDraft]:
        tickets = {t.number: t for t in uow.session.exec(select(Ticket)).all()}
        client = {"kind": EventKind.MESSAGE_IN, "author": "Client <c@example.com>"}
        return [
            EventDraft(ticket=tickets[numbers[0]], body="more", message_id="<a@x>", data={"n": 1}, **client),
            EventDraft(ticket=tickets[numbers[1]], body="back", message_id="<b@x>", **client),
            EventDraft(ticket=tickets[numbers[2]], body="again", **client),
            EventDraft(ticket=tickets[numbers[3]], kind=EventKind.MESSAGE_OUT, body="Answer"),
            EventDraft(ticket=tickets[numbers[3]], kind=EventKind.NOTE, body="noted"),
            EventDraft(ticket=tickets[numbers[1]], body="and more", **client),
        ]

    def together(uow) -> None:
        written = add_events(uow, lines(uow), sla=setup)
        bodies = {event.id: event.body for event in uow.session.exec(select(TicketEvent)).all()}
        assert [bodies[event.id] for event in written] == [
            "more",
            "back",
            "again",
            "Answer",
            "noted",
            "and more",
        ]

    def one_by_one(uow) -> None:
        from hotline.core.services.tickets import add_event

        for line in lines(uow):
            add_event(
                uow,
                ticket=line.ticket,
                kind=line.kind,
                body=line.body,
                data=line.data,
                message_id=line.message_id,
                author=line.author,
                sla=setup,
            )

    bulk = _rolled_back(uow_factory, "olga", together)
    single = _rolled_back(uow_factory, "olga", one_by_one)
    assert bulk == single
    statuses = {ticket["number"]: (ticket["status"], ticket["version"]) for ticket in bulk["tickets"]}
    assert statuses[numbers[1]][0] == statuses[numbers[2]][0] == statuses[numbers[3]][0] == "open"
    actions = [audit[0] for audit in bulk["audits"]]
    assert actions.count("ticket.client_replied") == 1 and actions.count("ticket.reopen") == 1
    kinds = [(event["number"], event["kind"]) for event in bulk["events"][-9:]]
    assert kinds == [
        (numbers[0], "message_in"),
        (numbers[1], "message_in"),
        (numbers[1], "status"),
        (numbers[2], "message_in"),
        (numbers[2], "status"),
        (numbers[3], "message_out"),
        (numbers[3], "status"),
        (numbers[3], "note"),
        (numbers[1], "message_in"),
    ]


def test_reserved_numbers_are_consecutive_and_a_rollback_gives_them_back(uow_factory, world) -> None:
    def reserve(uow) -> None:
        assert list(reserve_numbers(uow, 3)) == [1, 2, 3]

    _rolled_back(uow_factory, None, reserve)
    with uow_factory() as uow:
        assert list(reserve_numbers(uow, 2)) == [1, 2]
        assert list(reserve_numbers(uow, 1)) == [3]
        assert list(reserve_numbers(uow, 0)) == []
