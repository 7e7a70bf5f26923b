"""Round trips and audit entries for the foundation services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, func, select

from hotline.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotline.core.models import (
    AuditEntry,
    Client,
    ClientEmail,
    ClientPhone,
    Interaction,
    Operator,
    ScreenPop,
    Ticket,
    TicketEvent,
)
from hotline.core.models.enums import Direction, EventKind, InteractionKind, Priority, Role, TicketStatus
from hotline.core.services.clients import (
    ClientChanges,
    ClientDraft,
    client_card,
    create_client,
    delete_client,
    find_clients_by_contact,
    update_client,
)
from hotline.core.services.interactions import log_call, log_interaction, timeline_page
from hotline.core.services.operators import add_operator, list_operators, set_operator_role
from hotline.core.services.queues import ensure_queue
from hotline.core.services.screen_pop import request_screen_pop, take_screen_pops
from hotline.core.services.tickets import add_event, create_ticket, get_ticket, ticket_events, update_ticket


@pytest.fixture
def staff(uow_factory):
    """An admin, a supervisor, an operator and two queues."""
    with uow_factory() as uow:
        add_operator(uow, login="admin", role=Role.ADMIN, display_name="Ada Admin")
        add_operator(uow, login="sue", role=Role.SUPERVISOR, display_name="Sue Super")
        add_operator(uow, login="olga", role=Role.OPERATOR, display_name="Ольга Оператор")
        for queue in ("Support", "Billing"):
            ensure_queue(uow, name=queue)


def _audit_actions(uow) -> list[str]:
    return list(uow.session.exec(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_operator_round_trip_and_roles(uow_factory, staff) -> None:
    with uow_factory(readonly=True) as uow:
        operators = {o.login: o for o in list_operators(uow)}
    assert operators["olga"].display_name == "Ольга Оператор"
    assert operators["sue"].role == "supervisor"
    with pytest.raises(PermissionDenied), uow_factory("olga") as uow:
        add_operator(uow, login="eve", role=Role.ADMIN)
    with uow_factory("admin") as uow:
        set_operator_role(uow, login="olga", role=Role.SUPERVISOR)
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Operator.role).where(Operator.login == "olga")).one() == "supervisor"
        actions = _audit_actions(uow)
    assert actions.count("operator.add") == 3
    assert actions[-1] == "operator.role"


def test_duplicate_login_is_a_conflict(uow_factory, staff) -> None:
    with pytest.raises(Conflict), uow_factory("admin") as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR)


def test_client_round_trip_with_contacts_and_audit(uow_factory, staff, clock) -> None:
    with uow_factory("admin") as uow:
        org = create_client(
            uow, draft=ClientDraft(kind="organisation", name="ООО «Ромашка»", phones=["+7 495 111-22-33"])
        )
        person = create_client(
            uow,
            draft=ClientDraft(
                first_name="Иван",
                middle_name="Петрович",
                last_name="Сидоров",
                organisation_id=org.id,
                group="VIP",
                birthday=date(1980, 2, 29),
                tags=["b", "a", "a"],
                phones=["8 (916) 123-45-67", "+7 916 123 45 67"],
                emails=["Ivan@Romashka.RU"],
            ),
        )
        person_id, org_id = person.id, org.id
    with uow_factory(readonly=True) as uow:
        card = client_card(uow, client_id=person_id)
        stored = uow.session.get(Client, person_id)
        assert stored.name == "Иван Петрович Сидоров"
        assert stored.tags == ["a", "b"]
        assert stored.created_at == clock.now()
        assert [p.e164 for p in card.phones] == ["+79161234567"]  # the same number typed twice is one phone
        assert card.as_json()["emails"] == ["ivan@romashka.ru"]
        assert card.as_json()["organisation"] == {"id": org_id, "name": "ООО «Ромашка»"}
        assert card.as_json()["group"]["name"] == "VIP"
        assert card.as_json()["birthday"] == "1980-02-29"
        assert [c.id for c in client_card(uow, client_id=org_id).contacts] == [person_id]
        assert _audit_actions(uow).count("client.create") == 2


def test_client_update_replaces_contacts_and_records_before_after(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="John Smith", phones=["+44 20 7946 0958"])).id
    with uow_factory("olga") as uow:
        update_client(
            uow, client_id=client_id, changes=ClientChanges(name="John A. Smith", phones=["+1 212 555 0100"])
        )
    with uow_factory(readonly=True) as uow:
        phones = list(uow.session.exec(select(ClientPhone.e164).where(ClientPhone.client_id == client_id)))
        entry = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "client.update")).one()
    assert phones == ["+12125550100"]
    assert entry.actor == "olga"
    assert entry.before["name"] == "John Smith" and entry.after["name"] == "John A. Smith"
    assert entry.before["phones"] == ["+442079460958"]


def test_invalid_client_input_writes_nothing(uow_factory, staff) -> None:
    with pytest.raises(InvalidInput) as error, uow_factory("olga") as uow:
        create_client(uow, draft=ClientDraft(name="Bad Phone", phones=["12"]))
    assert error.value.where == "phone"
    with pytest.raises(InvalidInput), uow_factory("olga") as uow:
        create_client(uow, draft=ClientDraft(name="  "))
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Client)).one() == 0
        assert "client.create" not in _audit_actions(uow)


def test_delete_client_cascades_contacts(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(
            uow, draft=ClientDraft(name="Gone", phones=["+7 916 000 00 01"], emails=["g@x.ru"])
        ).id
        log_call(uow, client_id=client_id, direction=Direction.IN, duration_seconds=30, outcome="resolved")
    with uow_factory("olga") as uow:
        delete_client(uow, client_id=client_id)
    with uow_factory(readonly=True) as uow:
        for table in (ClientPhone, ClientEmail, Interaction):
            assert uow.session.exec(select(func.count()).select_from(table)).one() == 0
        with pytest.raises(NotFound):
            client_card(uow, client_id=client_id)


def test_duplicate_contacts_are_found(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(
            uow, draft=ClientDraft(name="Dup", phones=["+7 916 555 44 33"], emails=["d@x.ru"])
        ).id
    with uow_factory(readonly=True) as uow:
        assert [c.id for c in find_clients_by_contact(uow, e164s=["+79165554433"], emails=[])] == [client_id]
        assert [c.id for c in find_clients_by_contact(uow, e164s=[], emails=["d@x.ru"])] == [client_id]
        assert find_clients_by_contact(uow, e164s=["+70000000000"], emails=["n@x.ru"]) == []


def test_calls_and_timeline_are_paged_newest_first(uow_factory, staff, clock) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Caller")).id
        for minutes in range(7):
            log_call(
                uow,
                client_id=client_id,
                direction=Direction.IN,
                duration_seconds=60 + minutes,
                outcome=f"call {minutes}",
                started_at=clock.now() - timedelta(minutes=minutes),
            )
        ticket = create_ticket(uow, subject="Printer", queue="Support", client_id=client_id, body="It jams")
        log_interaction(uow, client_id=client_id, kind=InteractionKind.NOTE, notes="VIP, be nice")
        number = ticket.number
    with uow_factory(readonly=True) as uow:
        first = timeline_page(uow, client_id=client_id, limit=4)
        cursor = (first[-1].at, first[-1].source, first[-1].id)
        rest = timeline_page(uow, client_id=client_id, before=cursor, limit=100)
        client = uow.session.get(Client, client_id)
    everything = first + rest
    assert len(everything) == 9  # 7 calls, 1 note, 1 ticket event
    assert [item.at for item in everything] == sorted((item.at for item in everything), reverse=True)
    assert len({(item.source, item.id) for item in everything}) == 9
    assert any(item.ticket_number == number for item in everything)
    assert client.last_interaction_at == clock.now()


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
        actions = _audit_actions(uow)
    assert ticket.version == seen_version + 2
    assert kinds == ["note", "status", "assignment", "priority", "note"]
    assert actions.count("ticket.update") == 2


def test_invalid_status_transition_is_refused(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        number = create_ticket(uow, subject="S", queue="Support").number
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.CLOSED)
    with pytest.raises(InvalidInput), uow_factory("olga") as uow:
        update_ticket(uow, number=number, expected_version=None, status=TicketStatus.PENDING)


def test_screen_pops_are_taken_once(uow_factory, staff) -> None:
    with uow_factory() as uow:
        request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67")
    with pytest.raises(NotFound), uow_factory() as uow:
        request_screen_pop(uow, operator_login="nobody", number="123")
    with uow_factory("olga") as uow:
        assert [p.number for p in take_screen_pops(uow, operator_login="olga")] == ["+7 916 123 45 67"]
    with uow_factory("olga") as uow:
        assert take_screen_pops(uow, operator_login="olga") == []
        assert (
            uow.session.exec(
                select(func.count()).select_from(ScreenPop).where(col(ScreenPop.consumed_at).is_not(None))
            ).one()
            == 1
        )


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
