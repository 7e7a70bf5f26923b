"""Each action of an event rule, on SQLite and PostgreSQL, audited with the rule's name; and how rules run:
in order, switched off, stopping later rules, one level of re-triggering, a failure kept on the ticket."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from hotline.core.enums import Priority
from hotline.core.models import AuditEntry, OutboxMessage, Reminder, RuleTrace, TicketEvent
from hotline.core.models.enums import Direction
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.interactions import log_call
from hotline.core.services.shifts import join_queue, set_shifts
from hotline.core.services.tickets import change_priority, create_ticket, get_ticket

pytestmark = pytest.mark.usefixtures("centre")


def _rules(*actions: str, on: str = "ticket.created", name: str = "act") -> str:
    return f"""
[[rules]]
name = "{name}"
on = "{on}"
actions = [{", ".join(actions)}]
"""


def _open(uow, **fields) -> int:
    values = {"subject": "Router down", "queue": "Support", "requester": "ivan@client.example"} | fields
    return create_ticket(uow, **values).number


def _rule_audits(uow, rule: str) -> list[dict]:
    entries = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "rule.action")).all()
    return [entry.after for entry in entries if entry.after and entry.after["rule"] == rule]


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ('{ assign = "olga" }', lambda uow, t: t.assignee_id is not None),
        ('{ priority = "urgent" }', lambda uow, t: t.priority == "urgent"),
        ('{ queue = "Network" }', lambda uow, t: t.queue_id == 2),
        ('{ status = "open" }', lambda uow, t: t.status == "open"),
        ('{ tags = ["Router", "network"] }', lambda uow, t: t.tags == ["network", "router"]),
        (
            '{ note = "Routed {ticket.subject} for {rule.name}" }',
            lambda uow, t: (
                uow.session.exec(
                    select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "note")
                )
                .one()
                .body
                == "Routed Router down for act"
            ),
        ),
        (
            '{ mail = { to = "requester", subject = "Got it", body = "Dear {client.name}, #{ticket.number}" } }',
            lambda uow, t: uow.session.exec(select(OutboxMessage)).one().to_addrs == ["ivan@client.example"],
        ),
        (
            '{ reminder = { text = "Call back about {ticket.subject}", after = "2h", who = "supervisor" } }',
            lambda uow, t: uow.session.exec(select(Reminder)).one().text == "Call back about Router down",
        ),
        (
            '{ notify = "supervisor" }',
            lambda uow, t: (
                len(uow.session.exec(select(Reminder)).all()) == 1
                and uow.session.exec(select(OutboxMessage)).one().to_addrs == ["sue@example.com"]
            ),
        ),
    ],
    ids=["assign", "priority", "queue", "status", "tags", "note", "mail", "reminder", "notify"],
)
def test_each_action_is_applied_and_audited_with_the_rule_name(rules_uow, action, check) -> None:
    factory = rules_uow(_rules(action))
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        ticket = get_ticket(uow, number=number)
        assert check(uow, ticket)
        audits = _rule_audits(uow, "act")
        assert len(audits) == 1 and audits[0]["event"] == "ticket.created"


def test_the_mail_template_takes_values_as_data(rules_uow) -> None:
    factory = rules_uow(
        _rules('{ mail = { to = "requester", subject = "Re", body = "{ticket.subject} {{x}}" } }')
    )
    with factory() as uow:
        _open(uow, subject="{client.name} \x1b[31m", typed=False)  # as from mail: typed, it is refused
    with factory() as uow:
        body = uow.session.exec(select(OutboxMessage.body)).one()
    assert body == "{client.name} {x}"  # the value is not read as a template; controls are gone


def test_round_robin_assigns_among_queue_members_on_shift(rules_uow, uow_factory) -> None:
    with uow_factory() as uow:
        for login in ("anna", "boris", "olga"):
            join_queue(uow, login=login, queue="Support")
        for login in ("anna", "boris"):
            set_shifts(uow, login=login, days="all", hours="00:00-24:00", timezone="Europe/Moscow")
    factory = rules_uow(_rules('{ assign = "round-robin" }'))
    with factory() as uow:
        numbers = [_open(uow) for _ in range(4)]
    with factory() as uow:
        assignees = [get_ticket(uow, number=n).assignee_id for n in numbers]
    assert len(set(assignees)) == 2 and assignees[:2] == assignees[2:]


def test_nobody_on_shift_leaves_the_ticket_unassigned_and_says_so(rules_uow) -> None:
    factory = rules_uow(_rules('{ assign = "least-loaded" }'))
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        ticket = get_ticket(uow, number=number)
        assert ticket.assignee_id is None
        trace = uow.session.exec(select(RuleTrace)).one()
        assert "nobody of Support is on shift" in trace.entries[0]["did"][0]


ORDERED = """
[[rules]]
name = "first"
on = "ticket.created"
actions = [{ priority = "high" }]

[[rules]]
name = "off"
on = "ticket.created"
enabled = false
actions = [{ priority = "low" }]

[[rules]]
name = "second stops"
on = "ticket.created"
stop = true
actions = [{ tags = ["seen"] }]

[[rules]]
name = "never"
on = "ticket.created"
actions = [{ priority = "urgent" }]
"""


def test_rules_run_in_order_disabled_ones_skip_and_stop_ends_the_run(rules_uow) -> None:
    factory = rules_uow(ORDERED)
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        ticket = get_ticket(uow, number=number)
        assert (ticket.priority, ticket.tags) == ("high", ["seen"])
        trace = uow.session.exec(select(RuleTrace).where(RuleTrace.event == "ticket.created")).one()
        verdicts = {entry["rule"]: entry for entry in trace.entries}
        assert verdicts["off"]["reason"] == "disabled"
        assert "stops later rules" in verdicts["never"]["reason"]


PING_PONG = """
[[rules]]
name = "ping"
on = "ticket.updated"
when = { priority = "high" }
actions = [{ priority = "normal" }]

[[rules]]
name = "pong"
on = "ticket.updated"
when = { priority = "normal" }
actions = [{ priority = "high" }]
"""


def test_two_rules_undoing_each_other_stop_after_one_level(rules_uow) -> None:
    factory = rules_uow(PING_PONG)
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        change_priority(uow, number=number, expected_version=None, priority=Priority.HIGH, sla=None)
    with factory() as uow:
        traces = uow.session.exec(select(RuleTrace).order_by(col(RuleTrace.id))).all()
        assert {trace.depth for trace in traces} == {0, 1}
        fired = [entry["rule"] for trace in traces for entry in trace.entries if entry["matched"]]
        assert 2 <= len(fired) <= 4
        assert get_ticket(uow, number=number).priority in ("high", "normal")


FAILING = """
[[rules]]
name = "to a ghost"
on = "ticket.created"
actions = [{ priority = "urgent" }, { assign = "ghost" }]

[[rules]]
name = "still runs"
on = "ticket.created"
actions = [{ tags = ["after"] }]
"""


def test_a_failing_rule_is_rolled_back_alone_and_written_on_the_ticket(rules_uow) -> None:
    factory = rules_uow(FAILING)
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        ticket = get_ticket(uow, number=number)
        assert (ticket.priority, ticket.tags) == ("normal", ["after"])
        note = uow.session.exec(select(TicketEvent).where(TicketEvent.kind == "note")).one()
        assert "to a ghost" in note.body and "ghost" in note.data["failed"]
        failed = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "rule.failed")).one()
        assert failed.after["rule"] == "to a ghost"


def test_client_created_and_call_logged_events(rules_uow) -> None:
    toml = _rules('{ tags = ["new"] }', on="client.created", name="welcome") + _rules(
        '{ note = "Call {call.outcome}" }', on="call.logged", name="calls"
    )
    factory = rules_uow(toml)
    with factory() as uow:
        client = create_client(uow, draft=ClientDraft(name="Acme"), default_region="RU")
        ticket = create_ticket(uow, subject="Call me", queue="Support", client_id=client.id)
        log_call(
            uow,
            client_id=client.id,
            direction=Direction.IN,
            duration_seconds=60,
            outcome="solved",
            ticket_id=ticket.id,
        )
        number = ticket.number
    with factory() as uow:
        assert uow.session.get(type(client), client.id).tags == ["new"]
        note = uow.session.exec(select(TicketEvent).where(TicketEvent.kind == "note")).one()
        assert note.body == "Call solved" and note.author == "rule: calls"
        assert get_ticket(uow, number=number).version == 2


MAIL_RULES = """
[[rules]]
name = "routers"
on = "mail.received"
when = { body_words = ["роутер"], sender_domain = "client.example" }
actions = [{ queue = "Network" }]
"""


def test_mail_received_runs_in_the_intake_with_the_message_text(rules_uow) -> None:
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
    from hotline.core.services.mail.intake import take_in

    mailbox = MailboxRef(
        name="support",
        queue="Support",
        from_address="support@example.com",
        acknowledge=False,
        acknowledgements_per_day=3,
        default_region="RU",
    )
    mail = IncomingMail(
        message_id="<m@client.example>",
        subject="Help",
        from_address="ivan@client.example",
        from_name="Ivan",
        new_text="Мой роутера не мигает",
    )
    factory = rules_uow(MAIL_RULES)
    with factory() as uow:
        number = take_in(uow, mailbox=mailbox, uidvalidity=1, uid=1, mail=mail, sla=None).ticket_number
    with factory() as uow:
        ticket = get_ticket(uow, number=number)
        assert ticket.queue_id == 2  # Network
        events = [trace.event for trace in uow.session.exec(select(RuleTrace).order_by(col(RuleTrace.id)))]
        assert events == ["mail.received"]


def test_the_rules_commit_with_the_event_or_not_at_all(rules_uow) -> None:
    factory = rules_uow(_rules('{ reminder = { text = "x", who = "supervisor" } }', '{ tags = ["t"] }'))

    def fail_after_the_event() -> None:
        with factory() as uow:
            _open(uow)
            raise RuntimeError("the unit of work fails after the event")

    with pytest.raises(RuntimeError):
        fail_after_the_event()
    with factory() as uow:
        for model in (Reminder, RuleTrace, TicketEvent):
            assert uow.session.exec(select(model)).all() == []
        assert _rule_audits(uow, "act") == []


def test_a_reminder_for_a_deactivated_person_fails_the_rule_not_the_ticket(rules_uow, uow_factory) -> None:
    """Nobody would see it (her console refuses her): the rule fails, written on the ticket; the ticket stays."""
    from hotline.core.services.operators import set_operator_active

    with uow_factory() as uow:
        set_operator_active(uow, login="anna", active=False)
    factory = rules_uow(_rules('{ reminder = { text = "x", who = "anna" } }', name="remind anna"))
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        assert get_ticket(uow, number=number).subject == "Router down"
        assert uow.session.exec(select(Reminder)).all() == []
        failed = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "rule.failed")).one()
        assert failed.after["rule"] == "remind anna" and "'anna' is deactivated" in failed.after["failed"]


def test_assigning_to_a_deactivated_person_fails_the_rule_not_the_ticket(rules_uow, uow_factory) -> None:
    """``assign = "anna"`` after anna was deactivated gave her the ticket ("assigned to anna"): her
    console is locked, so nobody worked it. Now the rule fails on the ticket, as a reminder for her does;
    a person assigning it by hand is refused the same way."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.operators import set_operator_active
    from hotline.core.services.tickets import assign_ticket

    with uow_factory() as uow:
        set_operator_active(uow, login="anna", active=False)
    factory = rules_uow(_rules('{ assign = "anna" }', name="to anna"))
    with factory() as uow:
        number = _open(uow)
    with factory() as uow:
        assert get_ticket(uow, number=number).assignee_id is None
        failed = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "rule.failed")).one()
        assert failed.after["rule"] == "to anna" and "'anna' is deactivated" in failed.after["failed"]
    with uow_factory() as uow, pytest.raises(InvalidInput, match="'anna' is deactivated"):
        assign_ticket(uow, number=number, expected_version=None, assignee_login="anna", sla=None)
