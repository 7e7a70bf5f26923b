"""Tickets written through the service: numbering, events, the optimistic lock, status transitions and
exact round trips, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.core.errors import Conflict, InvalidInput
from hotline.core.models import Ticket, TicketEvent
from hotline.core.models.enums import EventKind, Priority, TicketStatus
from hotline.core.services.tickets import add_event, create_ticket, get_ticket, ticket_events, update_ticket
from tests.core.conftest import audit_actions


def test_ticket_numbers_events_and_optimistic_lock(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        first = create_ticket(uow, subject="  One ", queue="Support", body="hello")
        second = create_ticket(uow, subject="Two", queue="Billing", priority=Priority.HIGH)
        numbers = (first.number, second.number)
    assert numbers[1] == numbers[0] + 1
    with uow_factory("olga") as uow:
        ticket = get_ticket(uow, number=numbers[0])
        seen_version = ticket.version
        assert ticket.subject == "One"
    with uow_factory("sue") as uow:
        update_ticket(
            uow,
            number=numbers[0],
            expected_version=seen_version,
            status=TicketStatus.OPEN,
            assignee_login="olga",
        )
    with pytest.raises(Conflict), uow_factory("olga") as uow:
        update_ticket(uow, number=numbers[0], expected_version=seen_version, priority=Priority.URGENT)
    with uow_factory("olga") as uow:
        ticket = get_ticket(uow, number=numbers[0])
        assert ticket.priority == "normal" and ticket.status == "open"
        update_ticket(uow, number=numbers[0], expected_version=ticket.version, priority=Priority.URGENT)
        add_event(uow, ticket=ticket, kind=EventKind.NOTE, body="called back")
    with uow_factory(readonly=True) as uow:
        ticket = get_ticket(uow, number=numbers[0])
        kinds = [event.kind for event in ticket_events(uow, ticket_id=ticket.id)]
        actions = audit_actions(uow)
    assert ticket.version == seen_version + 2
    assert kinds == ["note", "status", "assignment", "priority", "note"]
    assert actions.count("ticket.update") == 2


def test_invalid_status_transition_is_refused(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        number = create_ticket(uow, subject="S", queue="Support").number
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.CLOSED)
    with pytest.raises(InvalidInput), uow_factory("olga") as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.PENDING)


def test_every_table_round_trips(uow_factory, staff) -> None:
    """Events keep their JSON data and Unicode text exactly."""
    with uow_factory("olga") as uow:
        ticket = create_ticket(uow, subject="Ünïcødé ✓ тема", queue="Support")
        add_event(
            uow,
            ticket=ticket,
            kind=EventKind.MESSAGE_IN,
            body="текст\nline 2",
            data={"k": [1, "два"]},
            message_id="<a@b>",
            author="client@x.ru",
        )
    with uow_factory(readonly=True) as uow:
        stored = uow.session.exec(select(Ticket)).one()
        event = uow.session.exec(select(TicketEvent)).one()
    assert stored.subject == "Ünïcødé ✓ тема"
    assert (event.body, event.data, event.message_id, event.author) == (
        "текст\nline 2",
        {"k": [1, "два"]},
        "<a@b>",
        "client@x.ru",
    )
    assert event.created_at.tzinfo is not None


@pytest.mark.parametrize(
    "change",
    [
        {"assignee_login": "olga"},  # taking her own ticket
        {"queue": "Support"},
        {"priority": Priority.NORMAL},
    ],
)
def test_a_deactivated_operators_no_op_change_is_refused_and_audited(uow_factory, staff, change) -> None:
    """A change to what the ticket already is writes nothing, and so asked no one: from a console left open
    after she was deactivated, an operator "took" her own ticket, was told it was assigned to her, and no
    refusal was recorded."""
    from hotline.core.errors import PermissionDenied
    from hotline.core.services.operators import set_operator_active

    with uow_factory("olga") as uow:
        number = create_ticket(uow, subject="S", queue="Support", assignee_login="olga").number
    with uow_factory("admin") as uow:
        set_operator_active(uow, login="olga", active=False)
    with pytest.raises(PermissionDenied, match="deactivated"), uow_factory("olga") as uow:
        update_ticket(uow, number=number, expected_version=None, **change)
    with uow_factory(readonly=True) as uow:
        assert audit_actions(uow)[-1] == "refused:ticket.write"
