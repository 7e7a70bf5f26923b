"""Clients and their contact points: create, change, delete, and read a client's card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import aliased
from sqlmodel import col, delete, select

from hotline.core.attribution import Attribution, Attributions
from hotline.core.contact_handout import HANDS_OUT, hand_out, hand_out_card
from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, ClientEmail, ClientGroup, ClientPhone, Ticket
from hotline.core.models.enums import OPEN_STATUSES, ClientKind
from hotline.core.phones import normalize_phone
from hotline.core.rules.engine import conduct
from hotline.core.search import reindex_clients
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.groups import create_group, find_group, group_name
from hotline.core.text import MAX_CLIENT_TAGS, MAX_NOTES, MAX_TAG, TAG_SEPARATORS, checked_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


class ClientDraft(BaseModel):
    """What is needed to create a client; phones and emails as typed."""

    kind: ClientKind = ClientKind.PERSON
    name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    organisation_id: int | None = None
    group: str | None = None
    owner_login: str | None = None
    birthday: date | None = None
    notes: str = ""
    tags: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    source: str | None = None
    campaign: str | None = None


class ClientChanges(BaseModel):
    """A partial update: only the fields that were set are applied."""

    name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    organisation_id: int | None = None
    group: str | None = None
    birthday: date | None = None
    notes: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    source: str | None = None
    campaign: str | None = None


def display_name(first: str | None, middle: str | None, last: str | None) -> str:
    """A person's name as shown: ``First Middle Last`` with the empty parts left out."""
    return " ".join(part.strip() for part in (first, middle, last) if part and part.strip())


def attributed(attributions: Attributions | None, *, source: str | None, campaign: str | None) -> Attribution:
    """A source and a campaign checked against the configured lists (when the caller has them)."""
    if attributions is not None:
        return attributions.resolve(source=source, campaign=campaign)
    return Attribution(source=(source or "").strip() or None, campaign=(campaign or "").strip() or None)


def create_client(
    uow: UnitOfWork, *, draft: ClientDraft, default_region: str, attributions: Attributions | None = None
) -> Client:
    """Create a client with its phones and emails (normalised; a bad one is ``InvalidInput``); its
    source and campaign are checked against ``attributions`` (the configured lists) when given."""
    _check_texts(draft.model_dump(include={*_TEXT_FIELDS, "tags"}))
    came_from = attributed(attributions, source=draft.source, campaign=draft.campaign)
    now = uow.now()
    name = (draft.name or display_name(draft.first_name, draft.middle_name, draft.last_name)).strip()
    if not name:
        raise InvalidInput("a client needs a name", where="name")
    checked_text(name, what="a client's name", at_most=300, where="name")  # first+middle+last may be longer
    phones = [normalize_phone(raw, default_region=default_region, where="phone") for raw in draft.phones]
    emails = [normalize_email(raw, where="email") for raw in draft.emails]
    client = Client(
        kind=draft.kind.value,
        name=name,
        first_name=draft.first_name,
        middle_name=draft.middle_name,
        last_name=draft.last_name,
        organisation_id=_checked_organisation(uow, draft.organisation_id),
        group_id=ensure_group(uow, name=draft.group).id if draft.group else None,
        owner_id=_owner_id(uow, draft.owner_login),
        birthday=draft.birthday,
        notes=draft.notes,
        tags=_stored_tags(draft.tags),
        created_at=now,
        updated_at=now,
        source=came_from.source,
        campaign=came_from.campaign,
    )
    uow.session.add(client)
    uow.session.flush()
    hand_out(uow, [client.id])  # its contact points are the role's to write and read back (0021)
    _replace_contacts(uow, client, phones=phones, emails=emails, fresh=True)
    reindex_clients(uow.session, [client.id])
    after = snapshot(client)  # as _full_snapshot, from what was just written (no re-reading)
    after["phones"] = list(dict.fromkeys(phone.e164 for phone in phones))
    after["emails"] = list(dict.fromkeys(emails))
    record_audit(uow, action="client.create", entity="client", entity_id=client.id, after=after)
    conduct(uow, "client.created", client_id=client.id, sender=emails[0] if emails else None)
    return client


def update_client(
    uow: UnitOfWork,
    *,
    client_id: int,
    changes: ClientChanges,
    default_region: str,
    attributions: Attributions | None = None,
) -> Client:
    """Apply the fields set in ``changes``; phones/emails given replace the client's list."""
    client = get_client(uow, client_id=client_id)
    hand_out(uow, [client.id])  # the snapshots and the new contact points read and write them (0021)
    before = _full_snapshot(uow, client)
    values = changes.model_dump(exclude_unset=True)
    _check_texts(values)
    if {"source", "campaign"} & values.keys():
        came_from = attributed(
            attributions,
            source=values.pop("source", client.source),
            campaign=values.pop("campaign", client.campaign),
        )
        client.source, client.campaign = came_from.source, came_from.campaign
    phones = values.pop("phones", None)
    emails = values.pop("emails", None)
    if "group" in values:
        group = values.pop("group")
        client.group_id = ensure_group(uow, name=group).id if group else None
    if "organisation_id" in values:
        client.organisation_id = _checked_organisation(uow, values.pop("organisation_id"), self_id=client.id)
    for key, value in values.items():
        setattr(client, key, _stored_tags(value) if key == "tags" else value)
    if {"first_name", "middle_name", "last_name"} & values.keys() and "name" not in values:
        client.name = display_name(client.first_name, client.middle_name, client.last_name) or client.name
    if not client.name.strip():
        raise InvalidInput("a client needs a name", where="name")
    checked_text(client.name, what="a client's name", at_most=300, where="name")
    if phones is not None or emails is not None:
        _replace_contacts(
            uow,
            client,
            phones=None
            if phones is None
            else [normalize_phone(p, default_region=default_region, where="phone") for p in phones],
            emails=None if emails is None else [normalize_email(e, where="email") for e in emails],
        )
    client.updated_at = uow.now()
    uow.session.add(client)
    uow.session.flush()
    reindex_clients(uow.session, [client.id])
    record_audit(
        uow,
        action="client.update",
        entity="client",
        entity_id=client.id,
        before=before,
        after=_full_snapshot(uow, client),
    )
    return client


def delete_client(uow: UnitOfWork, *, client_id: int) -> None:
    """Delete a client with its contact points and interactions (tickets stay, unlinked); supervisors
    and admins (the permission table's ``client.delete``, as PostgreSQL's grants have it)."""
    uow.authorize("client.delete", entity="client", entity_id=client_id)
    client = get_client(uow, client_id=client_id)
    hand_out(uow, [client.id])  # the snapshots and the new contact points read and write them (0021)
    before = _full_snapshot(uow, client)
    # An organisation's people: their index rows carry its name, and once it is gone (their link set to
    # NULL) nothing leads the reindex to them; "acme" kept finding them by a name their cards no longer show.
    people = uow.session.exec(select(Client.id).where(col(Client.organisation_id) == client_id)).all()
    uow.session.delete(client)
    uow.session.flush()
    reindex_clients(uow.session, [client_id, *people])
    record_audit(uow, action="client.delete", entity="client", entity_id=client_id, before=before)


def get_client(uow: UnitOfWork, *, client_id: int) -> Client:
    client = uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id}")
    return client


def ensure_group(uow: UnitOfWork, *, name: str, colour: str | None = None) -> ClientGroup:
    """The group of that name, created (with ``colour``) when it does not exist yet: creating one is
    managing groups (supervisors and admins), whichever form or import asks for it."""
    name = group_name(name, where="group")
    group = find_group(uow, name=name)
    if group is None:
        group = create_group(uow, name=name, colour=colour)
    return group


def contact_owner_ids(uow: UnitOfWork, *, e164s: list[str], emails: list[str]) -> set[int]:
    """The ids of the clients holding one of these phones (E.164) or addresses, whoever asks: on
    PostgreSQL through 0021's functions, which hand them out to the role."""
    ids: set[int] = set()
    if uow.session.get_bind().dialect.name == "postgresql":
        # through the functions that hand the owners' contact points out to the role (0021)
        uow.session.info[HANDS_OUT] = True
        connection = uow.session.connection()
        for function, values in (("hotline_phone_owners", e164s), ("hotline_email_owners", emails)):
            if values:
                owners = text(f"SELECT client_id FROM {function}(CAST(:values AS text[]))")
                ids |= set(connection.execute(owners, {"values": values}).scalars())
    else:
        phone, email = col(ClientPhone.e164), col(ClientEmail.address)
        if e164s:
            ids |= set(uow.session.exec(select(ClientPhone.client_id).where(phone.in_(e164s))))
        if emails:
            ids |= set(uow.session.exec(select(ClientEmail.client_id).where(email.in_(emails))))
    return ids


def find_clients_by_contact(uow: UnitOfWork, *, e164s: list[str], emails: list[str]) -> list[Client]:
    """Clients that already have one of these phones (E.164) or addresses: the duplicate warning."""
    ids = contact_owner_ids(uow, e164s=e164s, emails=emails)
    if not ids:
        return []
    return list(uow.session.exec(select(Client).where(col(Client.id).in_(ids)).order_by(Client.id)))


@dataclass
class ClientCard:
    """Everything the card shows at the top, and what ``clients show --json`` prints."""

    client: Client
    organisation: Client | None
    group: ClientGroup | None
    phones: list[ClientPhone]
    emails: list[ClientEmail]
    open_ticket_numbers: list[int]
    contacts: list[Client] = field(default_factory=list)
    contact_phones: dict[int, list[str]] = field(default_factory=dict)
    """The phones of each contact person as typed, by client id (the People tab of the card)."""
    contact_count: int = 0
    """How many contact persons the organisation has: ``contacts`` holds the first ``CARD_CONTACTS``."""

    def as_json(self) -> dict[str, Any]:
        c = self.client
        return {
            "id": c.id,
            "kind": c.kind,
            "name": c.name,
            "first_name": c.first_name,
            "middle_name": c.middle_name,
            "last_name": c.last_name,
            "organisation": {"id": self.organisation.id, "name": self.organisation.name}
            if self.organisation
            else None,
            "group": {"name": self.group.name, "colour": self.group.colour} if self.group else None,
            "birthday": c.birthday.isoformat() if c.birthday else None,
            "tags": list(c.tags),
            "notes": c.notes,
            "phones": [{"raw": p.raw, "e164": p.e164, "label": p.label} for p in self.phones],
            "emails": [e.address for e in self.emails],
            "open_tickets": self.open_ticket_numbers,
            "contacts": [{"id": p.id, "name": p.name} for p in self.contacts],
            # ``contacts`` are the first CARD_CONTACTS by name: the count says when there are more
            "contact_count": max(self.contact_count, len(self.contacts)),
            "last_interaction_at": _iso(c.last_interaction_at),
            "created_at": _iso(c.created_at),
            "source": c.source,
            "campaign": c.campaign,
        }


def client_card(uow: UnitOfWork, *, client_id: int) -> ClientCard:
    """A client with its organisation, group, contact points, open tickets and contact persons.

    Each statement is a round trip, and a card opens with every call an operator takes: on PostgreSQL
    the whole card is one statement (``_card_in_one_statement``); on SQLite (in-process) the client, its
    organisation and its group come in one, the lists in one each."""
    session = uow.session
    hand_out_card(uow, client_id)  # the card's contact points, and its contact persons' (0021)
    if session.get_bind().dialect.name == "postgresql":
        return _card_in_one_statement(uow, client_id=client_id)
    return _card_statement_by_statement(uow, client_id=client_id)


def _card_statement_by_statement(uow: UnitOfWork, *, client_id: int) -> ClientCard:
    """The card in five statements (six with contacts): SQLite's way, and what the one statement of
    PostgreSQL must equal (a test compares them)."""
    session = uow.session
    organisation_row = aliased(Client)
    found = session.exec(
        select(Client, organisation_row, ClientGroup)
        .outerjoin(organisation_row, col(organisation_row.id) == col(Client.organisation_id))
        .outerjoin(ClientGroup, col(ClientGroup.id) == col(Client.group_id))
        .where(Client.id == client_id)
    ).first()
    if found is None:
        raise NotFound(f"no client with id {client_id}")
    client, organisation, group = found
    contacts = list(
        session.exec(
            select(Client)
            .where(Client.organisation_id == client_id)
            .order_by(Client.name, col(Client.id))
            .limit(CARD_CONTACTS)
        )
    )
    contact_count = len(contacts)
    if contact_count == CARD_CONTACTS:  # maybe more: counted (a card that holds them all is not)
        from sqlalchemy import func

        contact_count = session.exec(
            select(func.count()).select_from(Client).where(Client.organisation_id == client_id)
        ).one()
    contact_phones: dict[int, list[str]] = {}
    if contacts:
        for phone in session.exec(
            select(ClientPhone)
            .where(col(ClientPhone.client_id).in_([c.id for c in contacts]))
            .order_by(ClientPhone.id)
        ):
            contact_phones.setdefault(phone.client_id, []).append(phone.raw or phone.e164)
    return ClientCard(
        client=client,
        organisation=organisation,
        group=group,
        phones=list(
            session.exec(
                select(ClientPhone).where(ClientPhone.client_id == client_id).order_by(ClientPhone.id)
            )
        ),
        emails=list(
            session.exec(
                select(ClientEmail).where(ClientEmail.client_id == client_id).order_by(ClientEmail.id)
            )
        ),
        open_ticket_numbers=list(
            session.exec(
                select(Ticket.number)
                .where(
                    Ticket.client_id == client_id, col(Ticket.status).in_([s.value for s in OPEN_STATUSES])
                )
                .order_by(Ticket.number)
            )
        ),
        contacts=contacts,
        contact_phones=contact_phones,
        contact_count=contact_count,
    )


CARD_CONTACTS = 200
"""The contact persons a card shows at most (the first by name)."""


def _card_in_one_statement(uow: UnitOfWork, *, client_id: int) -> ClientCard:
    """The card on PostgreSQL: one row per contact person (one row when there are none), each carrying
    the client, its organisation and group as entities and its own lists as arrays. The lists come from
    a materialised CTE, read once however many contacts the organisation has; the phones and emails
    are JSON, made into the session's instances here (as the ORM would load them)."""
    from sqlalchemy.orm import make_transient_to_detached

    session = uow.session
    rows = session.exec(_card_query(), params={"card_client_id": client_id}).all()  # type: ignore[call-overload]
    if not rows:
        raise NotFound(f"no client with id {client_id}")
    client, organisation, group, _, phone_rows, email_rows, ticket_numbers, contact_count, _ = rows[0]

    def loaded(instance: Any) -> Any:
        make_transient_to_detached(instance)
        return session.merge(instance, load=False)

    contacts = [row[3] for row in rows if row[3] is not None]
    return ClientCard(
        client=client,
        organisation=organisation,
        group=group,
        phones=[loaded(ClientPhone(**fields)) for fields in phone_rows or []],
        emails=[loaded(ClientEmail(**fields)) for fields in email_rows or []],
        open_ticket_numbers=list(ticket_numbers or []),
        contacts=contacts,
        contact_phones={row[3].id: list(row[8]) for row in rows if row[3] is not None and row[8]},
        contact_count=int(contact_count or 0),
    )


@cache
def _card_query() -> Any:
    """The card's one statement, built once (its client is the ``card_client_id`` parameter): building
    it is a few hundred SQLAlchemy objects, a cost each card would pay on a shared core."""
    from sqlalchemy import bindparam, func, true
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    def as_json(model: Any) -> Any:
        """The rows of ``model`` for the card's client, as a JSON array of objects (id order)."""
        table = model.__table__
        pairs = (part for column in table.columns for part in (column.name, column))
        return (
            select(func.json_agg(aggregate_order_by(func.json_build_object(*pairs), table.c.id)))
            .where(table.c.client_id == Client.id)
            .scalar_subquery()
        )

    tickets = (
        select(func.array_agg(aggregate_order_by(col(Ticket.number), col(Ticket.number))))
        .where(Ticket.client_id == Client.id, col(Ticket.status).in_([s.value for s in OPEN_STATUSES]))
        .scalar_subquery()
    )
    member = aliased(Client)
    people = (
        select(func.count()).select_from(member).where(member.organisation_id == Client.id).scalar_subquery()
    )
    head = (
        select(
            col(Client.id).label("client_id"),
            as_json(ClientPhone).label("phones"),
            as_json(ClientEmail).label("emails"),
            tickets.label("tickets"),
            people.label("contact_count"),
        )
        .where(col(Client.id) == bindparam("card_client_id"))
        .cte("card_head")
        .prefix_with("MATERIALIZED")
    )
    contact_rows = (
        select(Client)
        .where(Client.organisation_id == head.c.client_id)
        .order_by(Client.name, col(Client.id))
        .limit(CARD_CONTACTS)
        .lateral("card_contact")
    )
    contact = aliased(Client, contact_rows)
    contact_phone_list = (
        select(
            func.array_agg(
                aggregate_order_by(
                    func.coalesce(func.nullif(ClientPhone.raw, ""), ClientPhone.e164), col(ClientPhone.id)
                )
            )
        )
        .where(ClientPhone.client_id == contact.id)
        .scalar_subquery()
    )
    card_client = aliased(Client)
    organisation_row = aliased(Client)
    return (
        select(  # type: ignore[call-overload]
            card_client,
            organisation_row,
            ClientGroup,
            contact,
            head.c.phones,
            head.c.emails,
            head.c.tickets,
            head.c.contact_count,
            contact_phone_list,
        )
        .select_from(head)
        .join(card_client, card_client.id == head.c.client_id)
        .outerjoin(organisation_row, col(organisation_row.id) == card_client.organisation_id)
        .outerjoin(ClientGroup, col(ClientGroup.id) == card_client.group_id)
        .outerjoin(contact_rows, true())
        .order_by(contact.name, contact.id)
    )


def touch_last_interaction(uow: UnitOfWork, *, client: Client, at: datetime) -> None:
    """Move the client's last-interaction time forward to ``at``, never back (the lookup's ranking and the
    card use it). Every write that is an interaction with the client calls this: calls and notes, mail."""
    if last_interaction_moves(client, at):
        client.last_interaction_at = at
        uow.session.add(client)


def last_interaction_moves(client: Client, at: datetime) -> bool:
    """Whether an interaction at ``at`` moves the client's last-interaction time: forward only."""
    return client.last_interaction_at is None or client.last_interaction_at < at


_TEXT_FIELDS: dict[str, tuple[str, int, bool]] = {
    "name": ("a client's name", 300, False),
    "first_name": ("a first name", 100, False),
    "middle_name": ("a middle name", 100, False),
    "last_name": ("a last name", 100, False),
    "notes": ("a client's note", MAX_NOTES, True),
}
"""The typed text of a client: what it is called in a refusal, its most characters, whether multi-line."""


def _check_texts(values: dict[str, Any]) -> None:
    """Refuse a control character or an over-long value in any typed field given (``InvalidInput``
    naming it): a NUL was a database error on PostgreSQL and stored as-is on SQLite."""
    for key, (what, at_most, multiline) in _TEXT_FIELDS.items():
        if values.get(key) is not None:
            checked_text(
                values[key], what=what, at_most=at_most, where=key.replace("_", " "), multiline=multiline
            )
    tags = values.get("tags") or ()
    for tag in tags:
        checked_text(tag.strip(), what="a tag", at_most=MAX_TAG, where="tags")
        # The export joins tags with ", " and the import splits on these: "a,b" came back as two tags.
        separator = next((char for char in TAG_SEPARATORS if char in tag), None)
        if separator is not None:
            raise InvalidInput(
                f"a tag cannot hold {separator!r}: it separates tags in an import or export ({tag!r})",
                where="tags",
            )
        if not tag.strip():
            raise InvalidInput("a blank tag: name it, or leave it out", where="tags")
    count = len({tag.strip() for tag in tags})
    if count > MAX_CLIENT_TAGS:
        raise InvalidInput(f"a client has at most {MAX_CLIENT_TAGS} tags (these are {count:,})", where="tags")


def _stored_tags(tags: list[str]) -> list[str]:
    """Tags as stored: without spaces around (as the import reads them back), sorted, each once."""
    return sorted({tag.strip() for tag in tags})


def _replace_contacts(
    uow: UnitOfWork,
    client: Client,
    *,
    phones: list[Any] | None,
    emails: list[str] | None,
    fresh: bool = False,
) -> None:
    """``fresh``: the client was just created and has no contact points to delete."""
    session = uow.session
    if phones is not None:
        if not fresh:
            session.exec(delete(ClientPhone).where(col(ClientPhone.client_id) == client.id))
        seen: set[str] = set()
        for phone in phones:
            if phone.e164 not in seen:
                seen.add(phone.e164)
                session.add(
                    ClientPhone(client_id=client.id, raw=phone.raw, e164=phone.e164, digits=phone.digits)
                )
    if emails is not None:
        if not fresh:
            session.exec(delete(ClientEmail).where(col(ClientEmail.client_id) == client.id))
        for address in dict.fromkeys(emails):
            session.add(ClientEmail(client_id=client.id, address=address))
    session.flush()


def _checked_organisation(
    uow: UnitOfWork, organisation_id: int | None, *, self_id: int | None = None
) -> int | None:
    if organisation_id is None:
        return None
    organisation = uow.session.get(Client, organisation_id)
    if (
        organisation is None
        or organisation.kind != ClientKind.ORGANISATION.value
        or organisation_id == self_id
    ):
        raise InvalidInput(f"no organisation with id {organisation_id}", where="organisation")
    return organisation_id


def _owner_id(uow: UnitOfWork, login: str | None) -> int | None:
    if not login:
        return uow.actor.id if uow.actor else None
    from hotline.core.services.operators import get_operator

    return get_operator(uow, login=login).id


def _full_snapshot(uow: UnitOfWork, client: Client) -> dict[str, Any]:
    data = snapshot(client)
    data["phones"] = list(
        uow.session.exec(select(ClientPhone.e164).where(ClientPhone.client_id == client.id))
    )
    data["emails"] = list(
        uow.session.exec(select(ClientEmail.address).where(ClientEmail.client_id == client.id))
    )
    return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
