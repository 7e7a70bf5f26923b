"""Who wrote: the sender's address, the client it belongs to, or a new client for a person.

A person unknown to us becomes a client with that address; a machine (a bounce, a list, a no-reply
sender) does not. An auto-reply comes from a person's mailbox, so its sender does.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlmodel import col, select

from hotline.core.bulk import insert_objects
from hotline.core.emails import normalize_email
from hotline.core.errors import HotlineError
from hotline.core.models import Client, ClientEmail, Ticket
from hotline.core.models.enums import ClientKind
from hotline.core.rules.engine import conduct
from hotline.core.services.audit import audit_row, record_audits, snapshot
from hotline.core.services.clients import ClientDraft, create_client, touch_last_interaction

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef

PERSON_KINDS = (None, "auto-reply")
"""Loop verdicts (``IncomingMail.automated_kind``) of mail a person's mailbox sent."""


def normalised_address(address: str) -> str | None:
    """The address as stored on clients, or None when it is not one usable address."""
    try:
        return normalize_email(address)
    except HotlineError:
        return None


def client_by_address(uow: UnitOfWork, address: str | None) -> Client | None:
    """The client with this (normalised) address, the oldest when several share it."""
    if address is None:
        return None
    return uow.session.exec(  # one indexed query (find_clients_by_contact takes two)
        select(Client)
        .join(ClientEmail, col(ClientEmail.client_id) == col(Client.id))
        .where(ClientEmail.address == address)
        .order_by(col(Client.id))
        .limit(1)
    ).first()


@functools.lru_cache(maxsize=32)
def our_addresses(mailbox: MailboxRef) -> frozenset[str]:
    """The normalised from addresses of the mailbox's account and the installation's other accounts
    (asked for each message: kept per mailbox)."""
    found = (normalised_address(address) for address in (mailbox.from_address, *mailbox.other_addresses))
    return frozenset(address for address in found if address is not None)


def is_person(address: str | None, mail: IncomingMail, *, ours: Collection[str] = ()) -> bool:
    """Whether the sender of ``mail`` (at ``address``) is one to make a client for: a person's mailbox
    with a usable address, not a machine, and not one of ``ours``, our accounts' own addresses (spam
    forges them; another account's mail to this one is hotline's, not a client's)."""
    return address is not None and address not in ours and mail.automated_kind in PERSON_KINDS


def new_client_for(
    uow: UnitOfWork,
    *,
    address: str | None,
    mail: IncomingMail,
    default_region: str,
    index: bool = True,
    ours: Collection[str] = (),
) -> Client | None:
    """A new client for an unknown person writing from ``address``; None for a machine or for one of
    our own addresses (``ours``).

    ``index=False``: the caller indexes it for the search itself (``reindex_clients``) before its
    transaction ends, together with the other clients it creates (``new_clients_for``). Otherwise as
    ``create_client`` (audit entry, ``client.created``)."""
    if address is None or not is_person(address, mail, ours=ours):
        return None
    if index:
        return create_client(
            uow, draft=ClientDraft(name=_name(address, mail), emails=[address]), default_region=default_region
        )
    return new_clients_for(uow, [(address, mail)])[0]


def new_clients_for(uow: UnitOfWork, people: Sequence[tuple[str, IncomingMail]]) -> list[Client]:
    """New clients for unknown persons (each ``is_person``), one per (address, mail), in order: one
    INSERT for the clients, one for their addresses and one for their audit entries, then
    ``client.created`` for each. Not indexed for the search: the caller indexes them
    (``reindex_clients``) before its transaction ends, one set of statements for all."""
    if not people:
        return []
    now = uow.now()
    rows = [
        {  # its mail is its first interaction (``note_contact`` then has nothing to update)
            "kind": ClientKind.PERSON.value,
            "name": _name(address, mail),
            "first_name": None,
            "middle_name": None,
            "last_name": None,
            "organisation_id": None,
            "group_id": None,
            "owner_id": None,
            "birthday": None,
            "notes": "",
            "tags": [],
            "created_at": now,
            "updated_at": now,
            "last_interaction_at": now,
            "source": None,
            "campaign": None,
        }
        for address, mail in people
    ]
    session = uow.session
    clients = insert_objects(session, Client, rows)
    pairs = list(zip(clients, (address for address, _ in people), strict=True))
    session.execute(
        insert(ClientEmail.__table__),  # type: ignore[attr-defined]
        [{"client_id": client.id, "address": address} for client, address in pairs],
    )
    audits = []
    for client, address in pairs:
        after = snapshot(client)
        after["phones"], after["emails"] = [], [address]
        audits.append(
            audit_row(uow, action="client.create", entity="client", entity_id=client.id, after=after)
        )
    record_audits(uow, audits)
    for client, address in pairs:
        conduct(uow, "client.created", client_id=client.id, sender=address)
    return clients


def _name(address: str, mail: IncomingMail) -> str:
    return (mail.from_name.strip() or address)[:300].strip() or address


def note_contact(uow: UnitOfWork, *, client: Client, ticket: Ticket) -> None:
    """The client wrote about this ticket: a ticket without a client becomes theirs, and their last
    interaction moves to now."""
    if ticket.client_id is None:
        ticket.client_id = client.id
        uow.session.add(ticket)
    touch_last_interaction(uow, client=client, at=uow.now())
