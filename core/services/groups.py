"""Client groups: a name, a colour on screen and a contract level (which SLA policies can select on);
listed by anyone, created, changed and removed by supervisors and admins, every change audited."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hotline.core.errors import Conflict, InvalidInput, NotFound
from hotline.core.models import Client, ClientGroup
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.text import checked_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.settings import Settings

DEFAULT_COLOUR = "#808080"
GROUP_NAMES_LOCK = 0x67727073  # "grps": the advisory lock of giving groups their names (PostgreSQL)
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_UNSET: Any = object()


@dataclass(frozen=True)
class GroupLine:
    name: str
    colour: str
    contract_level: str | None
    clients: int

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "colour": self.colour,
            "contract_level": self.contract_level,
            "clients": self.clients,
        }


def list_groups(uow: UnitOfWork) -> list[GroupLine]:
    """Every group by name, with how many clients are in it."""
    group, client = ClientGroup.__table__, Client.__table__
    counts = dict(
        uow.session.connection()
        .execute(
            select(client.c.group_id, func.count())
            .where(client.c.group_id.is_not(None))
            .group_by(client.c.group_id)
        )
        .all()
    )
    rows = uow.session.connection().execute(
        select(group.c.id, group.c.name, group.c.colour, group.c.contract_level).order_by(group.c.name)
    )
    return [GroupLine(row.name, row.colour, row.contract_level, counts.get(row.id, 0)) for row in rows]


def create_group(
    uow: UnitOfWork, *, name: str, colour: str | None = None, contract_level: str | None = None
) -> ClientGroup:
    uow.authorize("group.manage", entity="client_group", entity_id=name)
    name = group_name(name)
    _refuse_taken(uow, name, where="NAME")
    group = ClientGroup(
        name=name,
        colour=clean_colour(colour or DEFAULT_COLOUR),
        contract_level=clean_contract_level(contract_level),
    )
    uow.session.add(group)
    uow.session.flush()
    record_audit(uow, action="group.create", entity="client_group", entity_id=group.id, after=snapshot(group))
    return group


def update_group(
    uow: UnitOfWork,
    *,
    name: str,
    new_name: str | None = None,
    colour: str | None = None,
    contract_level: Any = _UNSET,
) -> ClientGroup:
    """Change what is given; ``contract_level=None`` (or blank) removes the level. Audited when
    something changed (a group given what it has is left as it is, without an entry)."""
    uow.authorize("group.manage", entity="client_group", entity_id=name)
    group = get_group(uow, name=name)
    before = snapshot(group)
    if new_name is not None and (renamed := group_name(new_name, where="--name")) != group.name:
        _refuse_taken(uow, renamed, keeping=group, where="--name")
        group.name = renamed
    if colour is not None:
        group.colour = clean_colour(colour)
    if contract_level is not _UNSET:
        group.contract_level = clean_contract_level(contract_level)
    if snapshot(group) == before:
        return group
    uow.session.add(group)
    uow.session.flush()
    record_audit(uow, action="group.update", entity="client_group", entity_id=group.id, before=before,
                 after=snapshot(group))  # fmt: skip
    return group


def delete_group(uow: UnitOfWork, *, name: str) -> int:
    """Remove the group; its clients stay, in no group. Returns how many clients it had."""
    uow.authorize("group.manage", entity="client_group", entity_id=name)
    group = get_group(uow, name=name)
    client = Client.__table__
    members = (
        uow.session.connection()
        .execute(select(func.count()).select_from(client).where(client.c.group_id == group.id))
        .scalar_one()
    )
    uow.session.execute(client.update().where(client.c.group_id == group.id).values(group_id=None))
    before = snapshot(group) | {"clients": members}
    uow.session.delete(group)
    uow.session.flush()
    record_audit(uow, action="group.delete", entity="client_group", entity_id=before["id"], before=before)
    return int(members)


def get_group(uow: UnitOfWork, *, name: str) -> ClientGroup:
    """The group named ``name`` as it was typed when made (its spaces collapsed, as stored)."""
    group = _find(uow, as_stored(name))
    if group is None:
        raise NotFound(f"no group named {as_stored(name)!r}", where="NAME")
    return group


def as_stored(name: str) -> str:
    """A group name typed to find a group: its spaces collapsed and its letters composed (NFC: «é» typed
    as e and an accent is «é», as the import stores every cell), as ``group_name`` stores it."""
    return unicodedata.normalize("NFC", " ".join(name.split()))


def _find(uow: UnitOfWork, name: str) -> ClientGroup | None:
    """The group of exactly that name, else the one whose name differs only in case ("vip" is "VIP", as
    the import matches them): two groups a letter's case apart would be one to the import."""
    alike = _alike(uow, name)
    exact = [group for group in alike if group.name == name]
    return exact[0] if exact else alike[0] if len(alike) == 1 else None


def _refuse_taken(uow: UnitOfWork, name: str, *, where: str, keeping: ClientGroup | None = None) -> None:
    """``Conflict`` when another group has this name in any case (``keeping``: the group being renamed).
    On PostgreSQL, names are given one at a time (an advisory lock held to the commit; SQLite's BEGIN
    IMMEDIATE queues writers already): ``Opt`` and ``OPT`` made at once were two groups, as the unique
    index tells case apart."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GROUP_NAMES_LOCK})
    for existing in _alike(uow, name):
        if existing is not keeping:
            raise Conflict(f"a group named {existing.name!r} exists already", where=where)


def _alike(uow: UnitOfWork, name: str) -> list[ClientGroup]:
    """The groups named ``name`` in any case, however its letters are composed (groups are few: compared
    here, in every alphabet)."""
    folded = name.casefold()
    groups = uow.session.scalars(select(ClientGroup))
    return [group for group in groups if unicodedata.normalize("NFC", group.name).casefold() == folded]


def find_group(uow: UnitOfWork, *, name: str) -> ClientGroup | None:
    """The group ``name`` names (as typed: spaces collapsed, any case), or None."""
    return _find(uow, as_stored(name))


def group_name(name: str, *, where: str = "NAME") -> str:
    """A group's name as stored: spaces collapsed, 1 to 100 printable characters (never a control one)."""
    name = as_stored(name)
    if not name:
        raise InvalidInput("a group needs a name", where=where)
    return checked_text(name, what="a group name", at_most=100, where=where)


def clean_colour(colour: str, *, where: str = "--colour") -> str:
    """A group's colour as stored (``#rrggbb`` or ``#rgb``, lower case); anything else is ``InvalidInput``."""
    colour = colour.strip()
    if not _COLOUR.fullmatch(colour):
        raise InvalidInput(f"not a colour: {colour[:20]!r} (#rrggbb or #rgb)", where=where)
    return colour.lower()


def clean_contract_level(level: str | None, *, where: str = "--contract-level") -> str | None:
    """A contract level as stored (a group's, a contract's): spaces collapsed, None when blank, at most 50
    printable characters (refused, not cut: a cut level no longer matches its ``[[sla]]`` contract)."""
    level = " ".join((level or "").split()) or None
    return None if level is None else checked_text(level, what="a contract level", at_most=50, where=where)


def configured_contract_levels(settings: Settings) -> set[str]:
    """The contract levels the configuration names: ``[[sla]] contract`` and rules' ``contract_level``."""
    levels = {policy.contract for policy in settings.sla if policy.contract}
    return levels | {level for rule in settings.rules for level in rule.when.contract_level or []}


def refuse_a_level_in_another_case(level: str | None, configured: set[str], *, where: str) -> None:
    """``InvalidInput`` for a level the configuration names only in another case (``Gold`` where
    ``[[sla]]`` says ``gold``): levels match exactly, so it silently chose no contract's policy."""
    level = clean_contract_level(level, where=where)
    if level is None or level in configured:
        return
    alike = sorted(known for known in configured if known.casefold() == level.casefold())
    if alike:
        raise InvalidInput(
            f"the configuration names the level {alike[0]!r}, not {level!r}: levels match as written",
            where=where,
        )
