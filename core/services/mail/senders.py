"""Who wrote: the sender's address, the client it belongs to, or a new client for a person.

A person unknown to us becomes a client with that address; a machine (a bounce, a list, a no-reply
sender) does not. An auto-reply comes from a person's mailbox, so its sender does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlmodel import col, select

from hotline.core.emails import normalize_email
from hotline.core.errors import HotlineError
from hotline.core.models import Client, ClientEmail, Ticket
from hotline.core.models.enums import ClientKind
from hotline.core.rules.engine import conduct
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.clients import ClientDraft, create_client, touch_last_interaction

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.mail.incoming import IncomingMail

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


def new_client_for(
    uow: UnitOfWork, *, address: str | None, mail: IncomingMail, default_region: str, index: bool = True
) -> Client | None:
    """A new client for an unknown person writing from ``address``; None for a machine.

    ``index=False``: the caller indexes it for the search itself (``reindex_clients``) before its
    transaction ends, together with the other clients it creates: one set of statements for a group of
    clients instead of one per client. Otherwise as ``create_client`` (audit entry, ``client.created``)."""
    if address is None or mail.automated_kind not in PERSON_KINDS:
        return None
    name = (mail.from_name.strip() or address)[:300].strip() or address
    if index:
        return create_client(
            uow, draft=ClientDraft(name=name, emails=[address]), default_region=default_region
        )
    now = uow.now()
    client = Client(  # its mail is its first interaction (``note_contact`` then has nothing to update)
        kind=ClientKind.PERSON.value,
        name=name,
        tags=[],
        created_at=now,
        updated_at=now,
        last_interaction_at=now,
    )
    uow.session.add(client)
    uow.session.flush()
    uow.session.execute(
        insert(ClientEmail.__table__).values(client_id=client.id, address=address)  # type: ignore[attr-defined]
    )
    after = snapshot(client)
    after["phones"], after["emails"] = [], [address]
    record_audit(uow, action="client.create", entity="client", entity_id=client.id, after=after)
    conduct(uow, "client.created", client_id=client.id, sender=address)
    return client


def note_contact(uow: UnitOfWork, *, client: Client, ticket: Ticket) -> None:
    """The client wrote about this ticket: a ticket without a client becomes theirs, and their last
    interaction moves to now."""
    if ticket.client_id is None:
        ticket.client_id = client.id
        uow.session.add(ticket)
    touch_last_interaction(uow, client=client, at=uow.now())
