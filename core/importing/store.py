"""The import's side of the database: existing contact keys loaded once, new clients written in bulk.

Rows go in through SQLAlchemy Core ``executemany`` batches (with RETURNING for the new ids), never one
ORM object per row: that is what makes 100,000 rows a matter of seconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Table, exists, func, insert, not_, select, text, update

from hotline.core.db import copies_into, driver_connection
from hotline.core.importing.drafts import ClientDraft
from hotline.core.models import Client, ClientEmail, ClientGroup, ClientPhone, Operator
from hotline.core.models.types import JSONList

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

CLIENT, PHONE, EMAIL, GROUP, OPERATOR = (
    Client.__table__,
    ClientPhone.__table__,
    ClientEmail.__table__,
    ClientGroup.__table__,
    Operator.__table__,
)


@dataclass
class Merges:
    """What merging an import's rows into stored clients changes: per row whether it changes anything
    and how many phones and emails it adds, per changed client its column changes, the phones and emails
    to add."""

    answers: list[bool] = field(default_factory=list)
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    added: list[tuple[int, int]] = field(default_factory=list)
    """Per row, how many phones and emails it adds."""
    phones: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)


def _same(key: str, value: Any, before: Any) -> bool:
    if key == "tags":
        return sorted(value or []) == sorted(before or [])
    return bool(value == before)


def fold(text: str | None) -> str:
    """Case- and space-insensitive form of a name for matching."""
    return " ".join((text or "").split()).casefold()


class ClientStore:
    """Existing keys (phones, emails, organisation names, contactless persons) and the bulk writes."""

    def __init__(self, uow: UnitOfWork, *, load: bool = True) -> None:
        self.connection = uow.session.connection()
        self.copyable: dict[str, bool] = {}  # table → whether COPY may write it (``db.copies_into``)
        self.now = uow.now()
        actor = uow.actor
        self.owner_id = actor.id if actor is not None else None
        # (kind, E.164 or address) → the clients holding it: a company's switchboard number on a contact
        # person's row does not make the person a duplicate of the company; colleagues share a number.
        self.phone_owners: dict[tuple[str, str], list[int]] = {}
        self.email_owners: dict[tuple[str, str], list[int]] = {}
        self.client_names: dict[int, str] = {}  # folded, of every client holding a phone or an email
        self.emailed: set[int] = set()
        self.organisation_ids: dict[str, int] = {}
        self.organisations_named: dict[str, list[int]] = {}  # folded name → every stored organisation
        self.bare_people: dict[tuple[str, str], int] = {}
        self.group_ids: dict[str, int] = {}
        self.groups_created: list[str] = []
        self.touched: set[int] = set()
        self._held: dict[str, set[str]] = {}  # source/campaign → the values stored clients hold
        self._operators: dict[str, tuple[int, bool]] | None = None  # login → (id, active), read on first ask
        self.group_details: dict[str, tuple[str | None, str | None]] = {}
        """Folded name of a group the import creates → (colour, contract level) its first row gave."""
        if load:
            self._load()

    def _load(self) -> None:
        run = self.connection.execute
        for contact, column, owners in (
            (PHONE, PHONE.c.e164, self.phone_owners),
            (EMAIL, EMAIL.c.address, self.email_owners),
        ):
            query = select(column, contact.c.client_id, CLIENT.c.kind, CLIENT.c.name).join(
                CLIENT, CLIENT.c.id == contact.c.client_id
            )
            for value, client_id, kind, name in run(query.order_by(contact.c.id)):
                holders = owners.setdefault((kind, value), [])
                if client_id not in holders:
                    holders.append(client_id)
                if client_id not in self.client_names:
                    self.client_names[client_id] = fold(name)
                if contact is EMAIL:
                    self.emailed.add(client_id)
        for client_id, name in run(
            select(CLIENT.c.id, CLIENT.c.name).where(CLIENT.c.kind == "organisation").order_by(CLIENT.c.id)
        ):
            self.organisations_named.setdefault(fold(name), []).append(client_id)
        self.organisation_ids = {key: ids[0] for key, ids in self.organisations_named.items()}
        org = CLIENT.alias("org")
        contactless = (
            select(CLIENT.c.id, CLIENT.c.name, org.c.name)
            .select_from(CLIENT.outerjoin(org, org.c.id == CLIENT.c.organisation_id))
            .where(
                CLIENT.c.kind == "person",
                not_(exists().where(PHONE.c.client_id == CLIENT.c.id)),
                not_(exists().where(EMAIL.c.client_id == CLIENT.c.id)),
            )
        )
        for client_id, name, organisation in run(contactless):
            self.bare_people.setdefault((fold(name), fold(organisation)), client_id)
        self.group_ids = {fold(name): group_id for group_id, name in run(select(GROUP.c.id, GROUP.c.name))}

    def holds(self, column: str, value: str) -> bool:
        """Whether a stored client has this ``source`` or ``campaign`` (read once, on first ask)."""
        held = self._held.get(column)
        if held is None:
            found = self.connection.execute(select(CLIENT.c[column]).distinct()).scalars()
            held = self._held[column] = {value for value in found if value}
        return value in held

    def operator_id(self, login: str) -> int | None:
        """The id of the operator with this login (any case), or None."""
        found = self._operator(login)
        return None if found is None else found[0]

    def operator_active(self, login: str) -> bool:
        """Whether the operator with this login (any case) is known and active."""
        found = self._operator(login)
        return found is not None and found[1]

    def _operator(self, login: str) -> tuple[int, bool] | None:
        if self._operators is None:
            found = self.connection.execute(select(OPERATOR.c.login, OPERATOR.c.id, OPERATOR.c.active))
            self._operators = {name.casefold(): (int(id_), bool(active)) for name, id_, active in found}
        return self._operators.get(login.strip().casefold())

    def new_group_values(self, name: str) -> dict[str, Any]:
        """The columns of a group the import creates: its first row's colour and level, or the default."""
        colour, level = self.group_details.get(fold(name), (None, None))
        return {"name": name.strip(), "colour": colour or "#808080", "contract_level": level}

    def group_id(self, name: str | None) -> int | None:
        """The id of the group named ``name`` (any case), created when new."""
        if not name:
            return None
        key = fold(name)
        if key not in self.group_ids:
            self.group_ids[key] = self.connection.execute(
                insert(GROUP).values(**self.new_group_values(name)).returning(GROUP.c.id)
            ).scalar_one()
            self.groups_created.append(name.strip())
        return self.group_ids[key]

    def create(self, drafts: Sequence[ClientDraft]) -> list[int]:
        """Insert clients (organisations must come before their people) with their contact points."""
        if not drafts:
            return []
        rows = [self._client_row(draft) for draft in drafts]
        ids = self._insert_clients(rows)
        phones: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        for client_id, draft in zip(ids, drafts, strict=True):
            phones += [
                {"client_id": client_id, "raw": p.raw, "e164": p.e164, "digits": p.digits, "label": p.label}
                for p in draft.phones
            ]
            emails += [{"client_id": client_id, "address": address} for address in draft.emails]
            if draft.kind == "organisation":
                self.organisation_ids.setdefault(fold(draft.name), client_id)
                self.organisations_named.setdefault(fold(draft.name), []).append(client_id)
        self._insert_many(PHONE, phones)
        self._insert_many(EMAIL, emails)
        self.touched.update(ids)
        return ids

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """``executemany`` of same-shaped rows: on SQLite straight on the driver (values converted by the
        columns' own bind processors), which is several times faster than a Core executemany."""
        if not rows:
            return
        if self.connection.dialect.name == "postgresql":
            self._copy(table, rows)
            return
        if self.connection.dialect.name != "sqlite":
            self.connection.execute(insert(table), rows)
            return
        dialect = self.connection.dialect
        names = list(rows[0])
        processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
        last: list[tuple[Any, Any]] = [(object(), None)] * len(names)  # (value, converted) per column
        converted = []
        for row in rows:
            values = []
            for index, (process, value) in enumerate(zip(processors, row.values(), strict=True)):
                if process is None or value is None:
                    values.append(value)
                elif value is last[index][0]:  # the same object as above (the import's timestamp): reuse
                    values.append(last[index][1])
                else:
                    last[index] = (value, process(value))
                    values.append(last[index][1])
            converted.append(tuple(values))
        statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        cursor = driver_connection(self.connection).cursor()
        try:
            cursor.executemany(statement, converted)
        finally:
            cursor.close()

    def _insert_clients(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert client rows and return their ids in order.

        SQLite answers RETURNING one row per statement, so there a plain executemany runs under the
        write lock the unit of work holds (BEGIN IMMEDIATE) and the ids are the next ``len(rows)`` rowids,
        checked against the new maximum. PostgreSQL returns them in batches.
        """
        if self.connection.dialect.name == "postgresql":
            ids = list(
                self.connection.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('client', 'id')) FROM generate_series(1, :n)"
                    ),
                    {"n": len(rows)},
                ).scalars()
            )
            self._copy(CLIENT, [{"id": client_id, **row} for client_id, row in zip(ids, rows, strict=True)])
            return ids
        if self.connection.dialect.name != "sqlite":
            result = self.connection.execute(
                insert(CLIENT).returning(CLIENT.c.id, sort_by_parameter_order=True), rows
            )
            return [row.id for row in result]
        highest = select(func.coalesce(func.max(CLIENT.c.id), 0))
        before = self.connection.execute(highest).scalar_one()
        self._insert_many(CLIENT, rows)
        after = self.connection.execute(highest).scalar_one()
        if after - before != len(rows):
            raise RuntimeError(f"client ids are not contiguous ({before}..{after} for {len(rows)} rows)")
        return list(range(before + 1, after + 1))

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL ``COPY … FROM STDIN`` of same-shaped rows (JSON columns serialised here); an
        ``INSERT`` where row security holds the role (an admin's on the contact points), which COPY
        is refused."""
        if table.name not in self.copyable:
            self.copyable[table.name] = copies_into(self.connection, table.name)
        if not self.copyable[table.name]:
            self.connection.execute(insert(table), rows)
            return
        names = list(rows[0])
        as_json = [isinstance(table.c[name].type, JSON | JSONList) for name in names]
        driver = driver_connection(self.connection)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(value) if is_json else value
                        for is_json, value in zip(as_json, row.values(), strict=True)
                    ]
                )

    def _client_row(self, draft: ClientDraft) -> dict[str, Any]:
        return {
            "kind": draft.kind,
            "name": draft.name,
            "first_name": draft.first_name,
            "middle_name": draft.middle_name,
            "last_name": draft.last_name,
            "organisation_id": self.organisation_of(draft),
            "group_id": self.group_id(draft.group),
            "owner_id": draft.owner_id if draft.owner_given else self.owner_id,
            "birthday": draft.birthday,
            "notes": draft.notes,
            "tags": sorted(set(draft.tags)),
            "source": draft.source,
            "campaign": draft.campaign,
            "created_at": draft.created_at or self.now,
            "updated_at": self.now,
        }

    def organisation_of(self, draft: ClientDraft) -> int | None:
        """The id of a person's organisation: the one the import linked (by the file's ids), else the
        stored or created one of that name."""
        if draft.organisation_target is not None:
            return draft.organisation_target.client_id
        return self.organisation_ids.get(fold(draft.organisation)) if draft.organisation else None

    def update_many(self, items: Sequence[tuple[int, ClientDraft]], *, apply: bool = True) -> list[bool]:
        """Merge each draft into its stored client: non-empty values replace, contacts and tags are added.

        The clients are read in one go and merged in order (a client named twice sees the first merge);
        only what changes is written. Returns, per item, whether it changed anything; ``apply=False`` (a
        dry run) only answers that.
        """
        merges = self.plan_merges(items, creating=apply)
        if apply:
            self._insert_many(PHONE, merges.phones)
            self._insert_many(EMAIL, merges.emails)
            run = self.connection.execute
            for client_id, changes in merges.changes.items():
                run(update(CLIENT).where(CLIENT.c.id == client_id).values(**changes, updated_at=self.now))
            self.touched.update(merges.changes)
        return merges.answers

    def plan_merges(
        self,
        items: Sequence[tuple[int, ClientDraft]],
        *,
        creating: bool = False,
        organisations: Mapping[str, int] | None = None,
        groups: Mapping[str, int] | None = None,
        organisation_targets: Mapping[int, int] | None = None,
    ) -> Merges:
        """What merging ``items`` into the stored clients changes, read in one go, nothing written (but
        new groups when ``creating``). ``organisations`` and ``groups`` name (folded) those an import is
        about to create, by stand-in ids: a staged merge is computed before they exist (and
        ``organisation_targets`` those a row links by the file's ids: ``id(target)`` → stand-in)."""
        ids = sorted({client_id for client_id, _ in items})
        current: dict[int, dict[str, Any]] = {}
        phones: dict[int, set[str]] = {client_id: set() for client_id in ids}
        emails: dict[int, set[str]] = {client_id: set() for client_id in ids}
        run = self.connection.execute
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            current.update(
                {row["id"]: dict(row) for row in run(select(CLIENT).where(CLIENT.c.id.in_(chunk))).mappings()}
            )
            for client_id, e164 in run(
                select(PHONE.c.client_id, PHONE.c.e164).where(PHONE.c.client_id.in_(chunk))
            ):
                phones[client_id].add(e164)
            for client_id, address in run(
                select(EMAIL.c.client_id, EMAIL.c.address).where(EMAIL.c.client_id.in_(chunk))
            ):
                emails[client_id].add(address)
        original = {client_id: dict(state) for client_id, state in current.items()}
        rows: dict[int, list[int]] = {}  # each client's rows, by index
        merges = Merges()
        for client_id, draft in items:
            rows.setdefault(client_id, []).append(len(merges.answers))
            changes = self._merge(
                current[client_id],
                draft,
                apply=creating,
                organisations=organisations or {},
                groups=groups or {},
                organisation_targets=organisation_targets or {},
            )
            added_phones = [p for p in draft.phones if p.e164 not in phones[client_id]]
            added_emails = [address for address in draft.emails if address not in emails[client_id]]
            phones[client_id].update(p.e164 for p in added_phones)
            emails[client_id].update(added_emails)
            merges.phones += [
                {"client_id": client_id, "raw": p.raw, "e164": p.e164, "digits": p.digits, "label": p.label}
                for p in added_phones
            ]
            merges.emails += [{"client_id": client_id, "address": address} for address in added_emails]
            merges.added.append((len(added_phones), len(added_emails)))
            merges.answers.append(bool(changes or added_phones or added_emails))
            if merges.answers[-1]:
                merges.changes.setdefault(client_id, {}).update(changes)
        # Two rows for one client that set a field each its way (notes "a", then "b") said "updated" on
        # every run, the end state the same: what counts is the client after all its rows.
        for client_id, changes in list(merges.changes.items()):
            before = original[client_id]
            net = {key: value for key, value in changes.items() if not _same(key, value, before[key])}
            added = any(merges.added[index] != (0, 0) for index in rows[client_id])
            if net:
                merges.changes[client_id] = net
            elif added:
                merges.changes[client_id] = {}
            else:
                del merges.changes[client_id]
                for index in rows[client_id]:
                    merges.answers[index] = False
        return merges

    def _merge(
        self,
        state: dict[str, Any],
        draft: ClientDraft,
        *,
        apply: bool,
        organisations: Mapping[str, int],
        groups: Mapping[str, int],
        organisation_targets: Mapping[int, int],
    ) -> dict[str, Any]:
        """The column changes ``draft`` makes to a client's ``state`` (which is updated to match)."""
        changes: dict[str, Any] = {}
        for key in (
            "name",
            "first_name",
            "middle_name",
            "last_name",
            "birthday",
            "notes",
            "source",
            "campaign",
        ):
            value = getattr(draft, key)
            if value and value != state[key]:
                changes[key] = value
        if draft.owner_id is not None and draft.owner_id != state["owner_id"]:
            changes["owner_id"] = draft.owner_id  # a login given replaces; a blank cell changes nothing
        tags = sorted(set(state["tags"] or []) | set(draft.tags))
        if tags != sorted(state["tags"] or []):
            changes["tags"] = tags
        if draft.group:
            known_group = self.group_ids.get(fold(draft.group), groups.get(fold(draft.group)))
            if known_group is None:
                changes["group_id"] = self.group_id(draft.group) if apply else -1  # a group to be made
            elif known_group != state["group_id"]:
                changes["group_id"] = known_group
        if draft.organisation and state["kind"] == "person":
            key = fold(draft.organisation)
            linked = draft.organisation_target
            if linked is not None:
                organisation_id = linked.client_id
                organisation_id = (
                    organisation_targets.get(id(linked), -1) if organisation_id is None else organisation_id
                )
            else:
                organisation_id = self.organisation_ids.get(key, organisations.get(key))
            if organisation_id not in (None, state["organisation_id"], state["id"]):
                changes["organisation_id"] = organisation_id
        state.update(changes)
        return changes
