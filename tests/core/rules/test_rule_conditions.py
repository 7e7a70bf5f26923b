"""Each condition of an event rule, true and false, on SQLite and PostgreSQL: a rule that tags the ticket
``hit`` tells whether it matched, and ``rules explain``'s trace says why not when it did not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.enums import EventKind, Priority
from hotline.core.models import ClientGroup, RuleTrace
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import add_contract
from hotline.core.services.tickets import create_ticket, get_ticket

pytestmark = pytest.mark.usefixtures("centre")

EVENING = FixedClock(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # Monday 20:00 in Moscow


def _rule(when: str) -> str:
    return f"""
[[rules]]
name = "probe"
on = "ticket.created"
when = {{ {when} }}
actions = [{{ tags = ["hit"] }}]
"""


def _open(uow, **fields) -> int:
    values = {"subject": "Hello", "queue": "Support", "body": ""} | fields
    return create_ticket(uow, **values).number


CASES = {
    "queue": ('queue = "Network"', {"queue": "Network"}, {"queue": "Support"}),
    "channel": ('channel = "email"', {"first_event": EventKind.MESSAGE_IN}, {}),
    "priority": ('priority = ["high", "urgent"]', {"priority": Priority.URGENT}, {"priority": Priority.LOW}),
    "status": ('status = "new"', {}, None),
    "sender_domain": (
        'sender_domain = "@Example.COM"',
        {"requester": "ivan@example.com"},
        {"requester": "ivan@other.org"},
    ),
    "words (stems)": ('words = ["роутер"]', {"subject": "Не работает роутера"}, {"subject": "Принтер"}),
    "words (phrase)": (
        'words = ["printer jam"]',
        {"body": "The printers are jammed again"},
        {"body": "The printer works"},
    ),
    "subject_words": ('subject_words = ["invoice"]', {"subject": "Invoices"}, {"body": "invoice"}),
    "body_words": ('body_words = ["invoice"]', {"body": "my invoice"}, {"subject": "invoice"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_condition_matches_and_says_why_not(case, rules_uow) -> None:
    when, matching, other = CASES[case]
    factory = rules_uow(_rule(when))
    with factory() as uow:
        hit = _open(uow, **matching)
        missed = _open(uow, **other) if other is not None else None
    with factory() as uow:
        assert get_ticket(uow, number=hit).tags == ["hit"]
        if missed is not None:
            ticket = get_ticket(uow, number=missed)
            assert ticket.tags == []
            trace = uow.session.exec(select(RuleTrace).where(RuleTrace.ticket_id == ticket.id)).one()
            assert trace.entries[0]["matched"] is False
            assert trace.entries[0]["reason"]


def test_client_group_contract_level_and_tags(rules_uow, clock) -> None:
    toml = _rule('client_group = "Gold", contract_level = "premium", tags = ["vip"]')
    factory = rules_uow(toml)
    with factory() as uow:
        gold = ClientGroup(name="Gold")
        uow.session.add(gold)
        uow.session.flush()
        both = create_client(
            uow, draft=ClientDraft(name="Acme", group="Gold", tags=["vip"]), default_region="RU"
        )
        add_contract(
            uow, client_id=both.id, level="premium", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        )
        plain = create_client(uow, draft=ClientDraft(name="Nobody", group="Gold"), default_region="RU")
        hit = _open(uow, client_id=both.id)
        missed = _open(uow, client_id=plain.id)
    with factory() as uow:
        assert get_ticket(uow, number=hit).tags == ["hit"]
        assert get_ticket(uow, number=missed).tags == []


@pytest.mark.parametrize(
    ("when", "clock_", "matches"),
    [
        ('inside_calendar = "office"', None, True),
        ('inside_calendar = "office"', EVENING, False),
        ('outside_calendar = "office"', EVENING, True),
        ('outside_calendar = "office"', None, False),
    ],
)
def test_calendar_conditions(rules_uow, when, clock_, matches) -> None:
    factory = rules_uow(_rule(when))
    with factory(clock_=clock_) as uow:
        number = _open(uow)
    with factory() as uow:
        assert (get_ticket(uow, number=number).tags == ["hit"]) is matches
