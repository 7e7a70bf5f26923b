"""Contracts: the one active when a ticket is opened chooses its SLA policy (the client's own, else its
organisation's, only for the queues it covers); a lapsed client's ticket is flagged; contracts ending
soon become reminders, once — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.models import Reminder
from hotline.core.models.enums import ClientKind, Role
from hotline.core.models.sla import TicketSla
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.contracts import (
    EXPIRED_TAG,
    add_contract,
    create_contract_reminders,
    end_contract,
    list_contracts,
)
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import create_ticket
from tests.core.escalation.world import MOSCOW, setup_from_toml

# The shared clock: Monday 2026-11-23.


@pytest.fixture
def clients(uow_factory) -> dict[str, int]:
    with uow_factory() as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        for queue in ("Support", "Billing"):
            ensure_queue(uow, name=queue)
        acme = create_client(
            uow, draft=ClientDraft(name="Acme", kind=ClientKind.ORGANISATION), default_region="RU"
        )
        made = {
            "acme": acme.id,
            "worker": create_client(
                uow, draft=ClientDraft(name="Ann Worker", organisation_id=acme.id), default_region="RU"
            ).id,
            "lapsed": create_client(
                uow, draft=ClientDraft(name="Lapsed Ltd", owner_login="olga"), default_region="RU"
            ).id,
            "billing_only": create_client(uow, draft=ClientDraft(name="Bill"), default_region="RU").id,
            "none": create_client(uow, draft=ClientDraft(name="Nobody"), default_region="RU").id,
        }
        add_contract(
            uow, client_id=made["acme"], level="gold", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 10)
        )
        add_contract(
            uow,
            client_id=made["lapsed"],
            level="gold",
            starts_on=date(2025, 1, 1),
            ends_on=date(2026, 11, 22),
        )
        add_contract(
            uow,
            client_id=made["billing_only"],
            level="gold",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 12, 31),
            queues=["Billing"],
        )
    return made


@pytest.mark.parametrize(
    ("who", "queue", "policy", "flagged"),
    [
        ("acme", "Support", "Support/*/gold", False),
        ("worker", "Support", "Support/*/gold", False),  # the organisation's contract
        ("lapsed", "Support", "Support/*", True),
        ("billing_only", "Support", "Support/*", False),  # the contract does not cover Support
        ("none", "Support", "Support/*", False),
    ],
)
def test_the_active_contract_chooses_the_sla(uow_factory, clients, who, queue, policy, flagged) -> None:
    setup = setup_from_toml()
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Help", queue=queue, client_id=clients[who], sla=setup)
        row = uow.session.get(TicketSla, ticket.id)
        assert row.policy == policy
        assert (EXPIRED_TAG in ticket.tags) is flagged


def test_contracts_ending_soon_become_reminders_once(uow_factory, clients) -> None:
    with uow_factory() as uow:
        states = {
            view.client: view.state for view in list_contracts(uow, day=date(2026, 11, 23), warn_days=30)
        }
        assert states == {"Acme": "ending", "Lapsed Ltd": "ended", "Bill": "active"}
        made = create_contract_reminders(uow, zone=MOSCOW, within_days=30)
        assert [r.text for r in made] == ["Contract gold of Acme ends 2026-12-10 (in 17 days)"]
        assert create_contract_reminders(uow, zone=MOSCOW, within_days=30) == []
        end_contract(uow, contract_id=1, ends_on=date(2026, 12, 1))
        again = create_contract_reminders(uow, zone=MOSCOW, within_days=30)
        assert len(again) == 1 and "2026-12-01" in again[0].text
        assert len(uow.session.exec(select(Reminder)).all()) == 2


def test_bad_contracts_and_who_may_add_them(engine, clock, clients) -> None:
    with UnitOfWork(engine, clock=clock) as uow, pytest.raises(InvalidInput, match="before it starts"):
        add_contract(
            uow, client_id=clients["none"], level="gold", starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1)
        )
    with UnitOfWork(engine, clock=clock, actor_login="olga") as uow, pytest.raises(PermissionDenied):
        add_contract(
            uow, client_id=clients["none"], level="gold", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)
        )


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("level", "g" * 51, "--level"),
        ("level", "gold\x1b[2J", "--level"),
        ("reference", "R" * 101, "--reference"),
        ("reference", "R-1\x07", "--reference"),
    ],
)
def test_a_too_long_or_unprintable_level_or_reference_is_refused(
    uow_factory, clients, field, value, where
) -> None:
    """They were cut to 50 and 100 characters without a word (a cut level no longer matched its [[sla]]
    contract) and an escape sequence was stored as typed: now one clear refusal, and nothing written."""
    given = {"level": "gold", "reference": "", field: value}
    with pytest.raises(InvalidInput) as refused, uow_factory("sue") as uow:
        add_contract(
            uow,
            client_id=clients["none"],
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            **given,
        )
    assert refused.value.where == where
    with uow_factory(readonly=True) as uow:
        assert list_contracts(uow, day=date(2026, 6, 1), client_id=clients["none"]) == []


def test_a_deactivated_owner_is_not_the_one_warned(uow_factory, clients) -> None:
    """The reminder of a contract ending went to the client's owner even when she was deactivated: her
    console is locked, so nobody was warned. Now the supervisors are, as for a client without an owner."""
    from hotline.core.models import Operator
    from hotline.core.services.operators import set_operator_active

    with uow_factory() as uow:
        set_operator_active(uow, login="olga", active=False)
        add_contract(
            uow,
            client_id=clients["lapsed"],
            level="gold",
            starts_on=date(2026, 11, 23),
            ends_on=date(2026, 12, 5),
        )
        made = create_contract_reminders(uow, zone=MOSCOW, within_days=30)
        whose = {
            reminder.text: uow.session.get(Operator, reminder.operator_id).login  # type: ignore[union-attr]
            for reminder in made
        }
        assert whose["Contract gold of Lapsed Ltd ends 2026-12-05 (in 12 days)"] == "sue"


@pytest.mark.parametrize(
    ("local", "policy", "flagged"),
    [
        ("2026-12-01T01:00:00+03:00", "Support/*/gold", False),  # the first day, at one in the morning
        ("2026-11-30T23:00:00+03:00", "Support/*", True),  # the day before: not yet
        ("2026-12-31T23:30:00+03:00", "Support/*/gold", False),  # the last day, late in the evening
        ("2027-01-01T01:00:00+03:00", "Support/*", True),  # the day after
    ],
)
def test_a_contracts_days_are_the_centres_local_days(engine, clients, local, policy, flagged) -> None:
    """A Moscow ticket opened at 01:00 on a contract's first day (22:00 UTC the day before) got no
    contract and was tagged contract-expired; one at 01:00 the day after its last was still covered:
    the days were UTC's, while ``contracts list`` and the README count the centre's."""
    from dataclasses import replace
    from datetime import datetime

    from hotline.core.clock import FixedClock

    setup = replace(setup_from_toml(), zone=MOSCOW)
    with UnitOfWork(engine, clock=FixedClock(datetime.fromisoformat(local))) as uow:
        add_contract(
            uow,
            client_id=clients["lapsed"],
            level="gold",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 31),
        )
        ticket = create_ticket(uow, subject="Help", queue="Support", client_id=clients["lapsed"], sla=setup)
        assert uow.session.get(TicketSla, ticket.id).policy == policy
        assert (EXPIRED_TAG in ticket.tags) is flagged


def test_the_same_contract_added_twice_at_once_is_one_contract(uow_factory, clients) -> None:
    """Two ``contracts add`` of one contract at once on PostgreSQL both found it missing and added it; the
    second now waits for the first and is refused, naming it."""
    import threading

    from hotline.core.errors import Conflict

    terms = {"client_id": clients["none"], "level": "silver", "starts_on": date(2026, 1, 1),
             "ends_on": date(2026, 12, 31)}  # fmt: skip
    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                add_contract(uow, **terms)
        except Conflict as error:
            second["refused"] = error.message

    with uow_factory() as uow:
        first = add_contract(uow, **terms)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert second == {"refused": f"client {clients['none']} has this contract already (contract {first.id})"}
    with uow_factory(readonly=True) as uow:
        assert len(list_contracts(uow, day=date(2026, 11, 23), client_id=clients["none"])) == 1
