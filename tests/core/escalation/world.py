"""A small call centre for SLA and escalation tests: operators, a queue, a gold client, a configuration.

The clock of the shared fixtures stands at Monday 2026-11-23 10:00 Moscow time (07:00 UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.models import Client, ClientGroup, EscalationStep, Operator, Ticket, TicketEvent
from hotline.core.models.enums import Priority, Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import create_ticket
from hotline.core.sla.config import CalendarConfig, EscalationRuleConfig, SlaPolicyConfig
from hotline.core.sla.policy import SlaSetup

MOSCOW = ZoneInfo("Europe/Moscow")

CONFIG_TOML = """
timezone = "Europe/Moscow"

[calendars.office]
timezone = "Europe/Moscow"
country_holidays = "RU"
breaks = ["13:00-14:00"]

[calendars.office.hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
wed = "09:00-18:00"
thu = "09:00-18:00"
fri = "09:00-18:00"

[[sla]]
queue = "Support"
priority = "*"
calendar = "office"
first_response = "1h"
resolution = "8h"
pause_when_pending = true

[[sla]]
queue = "Support"
priority = "*"
contract = "gold"
calendar = "office"
first_response = "30m"
resolution = "4h"
pause_when_pending = true

[[escalation]]
name = "first response overdue"
queue = "Support"
when = "first_response_overdue"
actions = ["priority:high", "assign:supervisor", "notify:supervisor", "event"]

[[escalation]]
name = "resolution 80"
level = "warn"
when = "resolution_used >= 80%"
actions = ["event"]

[[escalation]]
name = "resolution 100"
level = "escalate"
when = "resolution_used >= 100%"
actions = ["priority:urgent", "event"]

[[escalation]]
name = "resolution 200"
level = "again"
when = "resolution_used >= 200%"
actions = ["queue:Escalated", "notify:ivan", "event"]

[[escalation]]
name = "idle"
when = "idle >= 4h"
actions = ["event"]

[[escalation]]
name = "pending long"
when = "pending >= 3d"
actions = ["assign:ivan", "event"]
"""


def msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MOSCOW)  # type: ignore[misc]


def setup_from_toml(text: str = CONFIG_TOML, *, source: str = "test.toml") -> SlaSetup:
    import tomllib

    data = tomllib.loads(text)
    return SlaSetup(
        calendar_configs={name: CalendarConfig(**c) for name, c in data.get("calendars", {}).items()},
        policies=[SlaPolicyConfig(**p) for p in data.get("sla", [])],
        rules=[EscalationRuleConfig(**r) for r in data.get("escalation", [])],
        source=source,
    )


def populate(engine: Any, clock: FixedClock) -> None:
    """Operators (admin, supervisor with email, operator), queues Support and Escalated, a gold group."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="admin", role=Role.ADMIN)
        add_operator(uow, login="boss", role=Role.SUPERVISOR, email="boss@example.com")
        add_operator(uow, login="ivan", role=Role.OPERATOR, email="ivan@example.com")
        ensure_queue(uow, name="Support")
        ensure_queue(uow, name="Escalated")
        gold = ClientGroup(name="Gold", contract_level="gold")
        uow.session.add(gold)
        uow.session.flush()
        now = clock.now()
        uow.session.add(
            Client(name="Acme", kind="organisation", group_id=gold.id, created_at=now, updated_at=now)
        )
        uow.session.add(Client(name="Пётр Иванов", created_at=now, updated_at=now))


def new_ticket(
    engine: Any,
    clock: FixedClock,
    setup: SlaSetup,
    *,
    subject: str = "Printer on fire",
    client: str | None = None,
    priority: Priority = Priority.NORMAL,
) -> int:
    with UnitOfWork(engine, clock=clock) as uow:
        client_id = None
        if client is not None:
            client_id = uow.session.execute(select(Client.id).where(Client.name == client)).scalar_one()
        ticket = create_ticket(
            uow,
            subject=subject,
            queue="Support",
            priority=priority,
            client_id=client_id,
            requester="client@example.org",
            body="It burns.",
            sla=setup,
        )
        return ticket.number


def load(engine: Any, number: int) -> Ticket:
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()


def counts(engine: Any) -> dict[str, int]:
    with UnitOfWork(engine, readonly=True) as uow:
        return {
            model.__name__: uow.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (EscalationStep, TicketEvent, Ticket, Operator)
        }
