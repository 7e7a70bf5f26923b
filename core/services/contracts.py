"""Clients' contracts: a level, a start and an end date, the queues covered (none listed: all).

The active contract on a day chooses the SLA policy of a ticket opened that day (``contract_level_of``:
the client's own, else its organisation's, else the old group label); a ticket from a client whose
every contract has ended is flagged (tag ``contract-expired``); contracts ending soon are warned of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.core.limits import fits_id
from hotline.core.models import Client, ClientGroup, Contract
from hotline.core.models.enums import Role
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.groups import clean_contract_level
from hotline.core.text import checked_text

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from hotline.core.db import UnitOfWork
    from hotline.core.models import Reminder

EXPIRED_TAG = "contract-expired"
CONTRACTS_LOCK = 0x636E7472  # "cntr": the advisory-lock namespace of a client's contracts (PostgreSQL)
MAX_CHAIN = 3


def _local_day(at: datetime, zone: ZoneInfo | None) -> date:
    return at.astimezone(zone).date() if zone is not None else at.date()


def add_contract(
    uow: UnitOfWork,
    *,
    client_id: int,
    level: str,
    starts_on: date,
    ends_on: date,
    queues: list[str] | None = None,
    reference: str = "",
) -> Contract:
    """A contract for the client (supervisors and admins); the end is the last day covered."""
    uow.authorize("contract.manage", entity="client", entity_id=client_id)
    if not fits_id(client_id) or uow.session.get(Client, client_id) is None:
        raise NotFound(f"no client {client_id}")
    level = clean_contract_level(level, where="--level")  # refused, not cut, as a group's
    if level is None:
        raise InvalidInput("a contract needs a level", where="--level")
    reference = " ".join(reference.split())
    checked_text(reference, what="a contract reference", at_most=100, where="--reference")
    if ends_on < starts_on:
        raise InvalidInput("the contract ends before it starts", where="--end")
    covered = _covered_queues(uow, queues or [])
    _refuse_the_same(uow, client_id, (level, starts_on, ends_on, covered, reference))
    contract = Contract(
        client_id=client_id,
        level=level,
        starts_on=starts_on,
        ends_on=ends_on,
        queues=covered,
        reference=reference,
        created_at=uow.now(),
    )
    uow.session.add(contract)
    uow.session.flush()
    record_audit(
        uow, action="contract.create", entity="contract", entity_id=contract.id, after=snapshot(contract)
    )
    return contract


def _refuse_the_same(uow: UnitOfWork, client_id: int, terms: tuple[str, date, date, list[str], str]) -> None:
    """``Conflict`` when the client has a contract of these very terms: a command run twice (a script
    re-run) made a second one, and ``reminders due`` then warned twice of its end. On PostgreSQL two at
    once queue on an advisory lock of the client, held to the commit (SQLite's BEGIN IMMEDIATE queues
    them already), so the second sees the first."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        uow.session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :client)"),
            {"namespace": CONTRACTS_LOCK, "client": client_id},
        )
    for existing in uow.session.exec(select(Contract).where(Contract.client_id == client_id)):
        same = (existing.level, existing.starts_on, existing.ends_on, sorted(existing.queues or []),
                existing.reference)  # fmt: skip
        if same == terms:
            raise Conflict(f"client {client_id} has this contract already (contract {existing.id})")


def _covered_queues(uow: UnitOfWork, names: list[str]) -> list[str]:
    """The queues a contract covers, each an existing queue: a typo (``Suport``) covered nothing and a
    blank one was dropped, leaving a contract for every queue."""
    from hotline.core.services.queues import get_queue

    covered = set()
    for name in names:
        if not name.strip():
            raise InvalidInput(
                "a blank queue: name one, or leave --queue out to cover every queue", where="--queue"
            )
        try:
            covered.add(get_queue(uow, name=name.strip()).name)
        except NotFound as error:
            raise NotFound(error.message, where="--queue") from None
    return sorted(covered)


def end_contract(uow: UnitOfWork, *, contract_id: int, ends_on: date) -> tuple[Contract, bool]:
    """Move a contract's last day (to end it early or extend it); with whether it moved (the day it
    already ends changes nothing and writes no audit entry)."""
    uow.authorize("contract.manage", entity="contract", entity_id=contract_id)
    contract = uow.session.get(Contract, contract_id) if fits_id(contract_id) else None
    if contract is None:
        raise NotFound(f"no contract {contract_id}")
    if ends_on < contract.starts_on:
        raise InvalidInput("the contract would end before it starts", where="--on")
    if contract.ends_on == ends_on:  # no entry saying it was moved when it was not
        return contract, False
    before = snapshot(contract)
    contract.ends_on = ends_on
    uow.session.add(contract)
    record_audit(
        uow,
        action="contract.update",
        entity="contract",
        entity_id=contract_id,
        before=before,
        after=snapshot(contract),
    )
    return contract, True


def _chain(uow: UnitOfWork, client_id: int | None) -> list[Client]:
    """The client and the organisations above it (at most a few)."""
    return contract_facts(uow, [client_id]).chain(client_id)


@dataclass
class ContractFacts:
    """What decides the contract of some clients' tickets, read at once: each client's chain (the client
    and the organisations above it, at most ``MAX_CHAIN``), the contracts of every client in the chains
    and the contract levels of their groups. The single-client questions below ask it for one client,
    so the rule is written once for one ticket and for a mail group's many."""

    clients: dict[int, Client] = field(default_factory=dict)
    contracts: dict[int, list[Contract]] = field(default_factory=dict)
    """Client id → its contracts, oldest first."""
    group_levels: dict[int, str | None] = field(default_factory=dict)

    def chain(self, client_id: int | None) -> list[Client]:
        found: list[Client] = []
        while client_id is not None and len(found) < MAX_CHAIN:
            client = self.clients.get(client_id)
            if client is None:
                break
            found.append(client)
            client_id = client.organisation_id
        return found

    def active(self, client_id: int | None, *, day: date, queue: str | None = None) -> Contract | None:
        """As ``active_contract``."""
        for client in self.chain(client_id):
            covering = [
                contract
                for contract in self.contracts.get(client.id or 0, [])
                if contract.starts_on <= day <= contract.ends_on
                and (queue is None or not contract.queues or queue in contract.queues)
            ]
            if covering:
                return max(covering, key=lambda contract: (contract.starts_on, contract.id or 0))
        return None

    def level(
        self, client_id: int | None, *, at: datetime, queue: str | None = None, zone: ZoneInfo | None = None
    ) -> str | None:
        """As ``contract_level_of``."""
        contract = self.active(client_id, day=_local_day(at, zone), queue=queue)
        if contract is not None:
            return contract.level
        for client in self.chain(client_id):
            if client.group_id is not None and self.group_levels.get(client.group_id):
                return self.group_levels[client.group_id]
        return None

    def expired(self, client_id: int | None, *, at: datetime, zone: ZoneInfo | None = None) -> bool:
        """As ``contract_expired``."""
        spans = [
            (contract.starts_on, contract.ends_on)
            for client in self.chain(client_id)
            for contract in self.contracts.get(client.id or 0, [])
        ]
        if not spans:
            return False
        day = _local_day(at, zone)
        return not any(starts_on <= day <= ends_on for starts_on, ends_on in spans)


def contract_facts(uow: UnitOfWork, client_ids: Iterable[int | None]) -> ContractFacts:
    """The ``ContractFacts`` of these clients: the chains level by level (clients the session holds
    need no query), then one query for all their contracts and one for their groups' levels."""
    facts = ContractFacts()
    wanted = {client_id for client_id in client_ids if client_id is not None}
    for _ in range(MAX_CHAIN):
        if not wanted:
            break
        _load_clients(uow, facts, wanted)
        wanted = {
            client.organisation_id
            for client_id in wanted
            if (client := facts.clients.get(client_id)) is not None
            and client.organisation_id is not None
            and client.organisation_id not in facts.clients
        }
    if not facts.clients:
        return facts
    for contract in uow.session.exec(
        select(Contract).where(col(Contract.client_id).in_(sorted(facts.clients))).order_by(col(Contract.id))
    ):
        facts.contracts.setdefault(contract.client_id, []).append(contract)
    group_ids = sorted({client.group_id for client in facts.clients.values() if client.group_id is not None})
    if group_ids:
        facts.group_levels.update(
            uow.session.exec(
                select(ClientGroup.id, ClientGroup.contract_level).where(col(ClientGroup.id).in_(group_ids))
            ).all()
        )
    return facts


def _load_clients(uow: UnitOfWork, facts: ContractFacts, client_ids: set[int]) -> None:
    """The clients the session holds from its identity map, the others in one query."""
    session, missing = uow.session, []
    for client_id in client_ids:
        held = session.identity_map.get(identity_key(Client, client_id))
        if held is not None:
            facts.clients[client_id] = held  # type: ignore[assignment]
        else:
            missing.append(client_id)
    if missing:
        for client in session.exec(select(Client).where(col(Client.id).in_(sorted(missing)))):
            facts.clients[client.id] = client  # type: ignore[index]


def active_contract(
    uow: UnitOfWork, client_id: int | None, *, day: date, queue: str | None = None
) -> Contract | None:
    """The contract covering ``day`` (and ``queue``, when given): the client's own before its
    organisation's, the latest started first."""
    return contract_facts(uow, [client_id]).active(client_id, day=day, queue=queue)


def contract_level_of(
    uow: UnitOfWork,
    client_id: int | None,
    *,
    at: datetime,
    queue: str | None = None,
    zone: ZoneInfo | None = None,
) -> str | None:
    """The level that chooses the SLA: the active contract's, else the client's (organisation's) group's."""
    return contract_facts(uow, [client_id]).level(client_id, at=at, queue=queue, zone=zone)


def contract_expired(
    uow: UnitOfWork, client_id: int | None, *, at: datetime, zone: ZoneInfo | None = None
) -> bool:
    """True when the client (or its organisation) has contracts and none covers today."""
    if client_id is None:
        return False
    return contract_facts(uow, [client_id]).expired(client_id, at=at, zone=zone)


@dataclass(frozen=True)
class ContractView:
    id: int
    client_id: int
    client: str
    level: str
    starts_on: date
    ends_on: date
    queues: list[str]
    reference: str
    state: str
    """active, ending (within the warning window), ended or future."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client": {"id": self.client_id, "name": self.client},
            "level": self.level,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "queues": self.queues,
            "reference": self.reference,
            "state": self.state,
        }


def _state(contract: Contract, day: date, warn_days: int) -> str:
    if contract.starts_on > day:
        return "future"
    if contract.ends_on < day:
        return "ended"
    return "ending" if contract.ends_on <= day + timedelta(days=warn_days) else "active"


def list_contracts(
    uow: UnitOfWork, *, day: date, client_id: int | None = None, warn_days: int = 30
) -> list[ContractView]:
    query = select(Contract, Client.name).join(Client, col(Client.id) == col(Contract.client_id))
    if client_id is not None:
        if not fits_id(client_id) or uow.session.get(Client, client_id) is None:
            raise NotFound(f"no client {client_id}", where="--client")  # not an empty list, as if it had none
        query = query.where(Contract.client_id == client_id)
    rows = uow.session.exec(query.order_by(col(Contract.ends_on), col(Contract.id)))
    return [
        ContractView(
            id=contract.id,  # type: ignore[arg-type]
            client_id=contract.client_id,
            client=name,
            level=contract.level,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            queues=list(contract.queues),
            reference=contract.reference,
            state=_state(contract, day, warn_days),
        )
        for contract, name in rows
    ]


def contracts_ending(uow: UnitOfWork, *, day: date, within_days: int) -> list[ContractView]:
    """Contracts in force on ``day`` whose last day is within ``within_days``."""
    return [view for view in list_contracts(uow, day=day, warn_days=within_days) if view.state == "ending"]


def _active(uow: UnitOfWork, operator_id: int) -> bool:
    from hotline.core.models import Operator

    operator = uow.session.get(Operator, operator_id)
    return operator is not None and operator.active


def create_contract_reminders(uow: UnitOfWork, *, zone: ZoneInfo, within_days: int) -> list[Reminder]:
    """A reminder, due now, for each contract ending within ``within_days``: to the client's active owner
    (else its organisation's), else to every active supervisor; once per contract and end date, however often
    this runs (``dedupe_key``), so ``reminders due`` and the console's reminder list warn of it."""
    from hotline.core.models import Operator, Reminder
    from hotline.core.models.enums import ReminderStatus
    from hotline.core.services.reminders import ReminderKind, one_maker_at_a_time

    locked = False
    now = uow.now()
    today = now.astimezone(zone).date()
    supervisors: list[int] | None = None
    created: list[Reminder] = []
    for view in contracts_ending(uow, day=today, within_days=within_days):
        owners = [
            c.owner_id
            for c in _chain(uow, view.client_id)
            if c.owner_id is not None and _active(uow, c.owner_id)  # a deactivated owner sees nothing
        ][:1]
        if not owners:
            if supervisors is None:
                supervisors = list(
                    uow.session.exec(
                        select(Operator.id).where(
                            Operator.role == Role.SUPERVISOR.value, col(Operator.active).is_(True)
                        )
                    )
                )
            owners = supervisors
        days = (view.ends_on - today).days
        text = f"Contract {view.level} of {view.client} ends {view.ends_on.isoformat()} (in {days} days)"
        for operator_id in owners:
            key = f"contract:{view.id}:{view.ends_on.isoformat()}:{operator_id}"
            if uow.session.exec(select(Reminder.id).where(Reminder.dedupe_key == key)).first() is not None:
                continue
            if not locked:  # one to make: wait for another maker, then look again
                one_maker_at_a_time(uow)
                locked = True
                if uow.session.exec(select(Reminder.id).where(Reminder.dedupe_key == key)).first():
                    continue
            reminder = Reminder(
                operator_id=operator_id,
                client_id=view.client_id,
                kind=ReminderKind.CONTRACT.value,
                text=text[:1000],
                due_at=now,
                status=ReminderStatus.PENDING.value,
                dedupe_key=key,
                created_at=now,
            )
            uow.session.add(reminder)
            uow.session.flush()
            record_audit(
                uow,
                action="reminder.create",
                entity="reminder",
                entity_id=reminder.id,
                after=snapshot(reminder),
            )
            created.append(reminder)
    return created
