"""The queue and ticket screens' reads: views, status filter, due-time order, counts, the chronology."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.errors import NotFound
from hotline.core.models import Attachment, Ticket
from hotline.core.models.enums import EventKind, Priority, Role, TicketStatus
from hotline.core.services.operators import add_operator, operator_choices
from hotline.core.services.queues import ensure_queue, queue_names
from hotline.core.services.tickets import (
    QueueView,
    add_event,
    create_ticket,
    queue_counts,
    queue_tickets,
    ticket_detail,
    update_ticket,
)


@pytest.fixture
def tickets(engine, clock):
    """Support: #1 anna overdue, #2 unassigned due in 2h, #3 boris no due, #4 unassigned urgent no due,
    #5 resolved; Sales: #6 anna due in 30 min; Empty: no tickets."""
    now = clock.now()
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR, display_name="Anna Petrova")
        add_operator(uow, login="boris", role=Role.OPERATOR, display_name="Boris Orlov")
        for name in ("Support", "Sales", "Empty"):
            ensure_queue(uow, name=name)
        specs = [
            ("Support", "anna", Priority.NORMAL, -timedelta(minutes=5)),
            ("Support", None, Priority.NORMAL, timedelta(hours=2)),
            ("Support", "boris", Priority.LOW, None),
            ("Support", None, Priority.URGENT, None),
            ("Support", "anna", Priority.HIGH, timedelta(hours=1)),
            ("Sales", "anna", Priority.NORMAL, timedelta(minutes=30)),
        ]
        numbers = []
        for index, (queue, assignee, priority, due_in) in enumerate(specs, start=1):
            ticket = create_ticket(
                uow,
                subject=f"ticket {index}",
                queue=queue,
                priority=priority,
                assignee_login=assignee,
                body=f"body {index}",
            )
            if due_in is not None:
                ticket.first_response_due_at = now + due_in
                ticket.resolution_due_at = now + due_in + timedelta(hours=8)
                uow.session.add(ticket)
            numbers.append(ticket.number)
        uow.session.flush()
    with UnitOfWork(engine, clock=clock) as uow:
        update_ticket(uow, number=numbers[4], expected_version=None, status=TicketStatus.RESOLVED)
    return numbers


def numbers_of(listing):
    return [row.number for row in listing.rows]


def test_open_tickets_of_a_queue_next_deadline_first(engine, clock, tickets):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        listing = queue_tickets(uow, operator_login="anna", now=clock.now(), queue="Support")
    n1, n2, n3, n4, _resolved, _sales = tickets
    # due times first (overdue, then 2h), then no deadline by priority (urgent before low)
    assert numbers_of(listing) == [n1, n2, n4, n3]
    assert listing.total == 4
    first = listing.rows[0]
    assert first.queue == "Support" and first.assignee_login == "anna"
    assert first.due_at == clock.now() - timedelta(minutes=5)
    assert first.due_at.tzinfo is not None
    assert first.version >= 1 and first.clock_started_at == clock.now()


def test_views_mine_unassigned_breaching(engine, clock, tickets):
    n1, n2, n3, n4, _resolved, sales = tickets
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:

        def listing(view, queue=None):
            return numbers_of(
                queue_tickets(uow, operator_login="anna", now=clock.now(), queue=queue, view=view)
            )

        assert listing(QueueView.MINE) == [n1, sales]
        assert listing(QueueView.MINE, "Sales") == [sales]
        assert listing(QueueView.UNASSIGNED) == [n2, n4]
        assert listing(QueueView.BREACHING) == [n1]
        assert listing(QueueView.ALL) == [n1, sales, n2, n4, n3]
        later = clock.now() + timedelta(hours=3)
        breaching_later = queue_tickets(uow, operator_login="anna", now=later, view=QueueView.BREACHING)
        assert numbers_of(breaching_later) == [n1, sales, n2]


def test_status_filter_shows_done_tickets_without_deadline(engine, clock, tickets):
    resolved = tickets[4]
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        listing = queue_tickets(uow, operator_login="anna", now=clock.now(), status=TicketStatus.RESOLVED)
        assert numbers_of(listing) == [resolved]
        assert listing.rows[0].due_at is None
        assert numbers_of(
            queue_tickets(uow, operator_login="anna", now=clock.now(), status=TicketStatus.NEW, queue="Sales")
        ) == [tickets[5]]


def test_limit_keeps_the_total(engine, clock, tickets):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        listing = queue_tickets(uow, operator_login="anna", now=clock.now(), limit=2)
    assert len(listing.rows) == 2 and listing.total == 5


def test_unknown_queue_is_not_found(engine, clock, tickets):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow, pytest.raises(NotFound):
        queue_tickets(uow, operator_login="anna", now=clock.now(), queue="Nowhere")


def test_counts_per_queue(engine, clock, tickets):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        counts = {c.queue: c for c in queue_counts(uow, operator_login="anna", now=clock.now())}
        assert queue_names(uow) == ["Empty", "Sales", "Support"]
    assert list(counts) == ["Empty", "Sales", "Support"]
    support, sales, empty = counts["Support"], counts["Sales"], counts["Empty"]
    assert (support.open, support.mine, support.unassigned, support.breaching) == (4, 1, 2, 1)
    assert (sales.open, sales.mine, sales.unassigned, sales.breaching) == (1, 1, 0, 0)
    assert (empty.open, empty.mine, empty.unassigned, empty.breaching) == (0, 0, 0, 0)


def test_ticket_detail_has_the_chronology_and_attachments(engine, clock, tickets):
    number = tickets[0]
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.number == number)).one()
        event = add_event(
            uow, ticket=ticket, kind=EventKind.MESSAGE_IN, body="see attached", author="ivan@example.com"
        )
        uow.session.add(
            Attachment(event_id=event.id, filename="scan.pdf", content_type="application/pdf", size=2048)
        )
        add_event(uow, ticket=ticket, kind=EventKind.NOTE, body="called back")
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        detail = ticket_detail(uow, number=number)
        with pytest.raises(NotFound):
            ticket_detail(uow, number=99999)
    assert detail.number == number and detail.ticket.subject == "ticket 1"
    assert detail.ticket.assignee_name == "Anna Petrova"
    assert [e.kind for e in detail.events] == ["note", "message_in", "note"]
    assert [e.body for e in detail.events] == ["body 1", "see attached", "called back"]
    assert detail.events[2].author == "anna"
    assert detail.events[1].author == "ivan@example.com"
    (attachment,) = detail.events[1].attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "scan.pdf",
        "application/pdf",
        2048,
    )
    assert detail.events[0].attachments == []


def test_operator_choices_are_the_active_operators(engine, clock, tickets):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert operator_choices(uow) == [("anna", "Anna Petrova"), ("boris", "Boris Orlov")]
