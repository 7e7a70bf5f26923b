"""A call centre with event rules: staff, queues, shifts, and a unit of work that runs given rules."""

from __future__ import annotations

import tomllib
from collections.abc import Callable

import pytest

from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Role
from hotline.core.rules.book import RuleBook
from hotline.core.rules.config import EventRuleConfig
from hotline.core.services.mail.sending import MailSending
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from tests.conftest import SENDING
from tests.core.escalation.world import setup_from_toml

CALENDAR = """
[calendars.office]
timezone = "Europe/Moscow"
[calendars.office.hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
wed = "09:00-18:00"
thu = "09:00-18:00"
fri = "09:00-18:00"
"""


def book_from(toml_rules: str, *, sending: MailSending = SENDING) -> RuleBook:
    """A rule book from ``[[rules]]`` TOML text (with the office calendar)."""
    data = tomllib.loads(toml_rules)
    rules = [EventRuleConfig(**rule) for rule in data.get("rules", [])]
    return RuleBook(default_region="RU", rules=rules, sla=setup_from_toml(CALENDAR), sending=sending)


RulesUow = Callable[..., UnitOfWork]


@pytest.fixture
def rules_uow(engine, clock) -> Callable[[str], Callable[..., UnitOfWork]]:
    """``rules_uow(TOML)(actor_login=None)``: units of work that run those rules."""

    def with_rules(toml_rules: str) -> Callable[..., UnitOfWork]:
        book = book_from(toml_rules)

        def factory(actor_login: str | None = None, clock_=None) -> UnitOfWork:
            return UnitOfWork(engine, actor_login=actor_login, clock=clock_ or clock, rules=book)

        return factory

    return with_rules


@pytest.fixture
def centre(uow_factory):
    """A supervisor with an address, three operators, queues Support, Network and Billing."""
    with uow_factory() as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR, display_name="Sue", email="sue@example.com")
        for login in ("anna", "boris", "olga"):
            add_operator(uow, login=login, role=Role.OPERATOR, display_name=login.title())
        for queue in ("Support", "Network", "Billing"):
            ensure_queue(uow, name=queue)
