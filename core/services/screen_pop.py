"""Screen pops: the phone system asks an operator's consoles to open the caller's card.

Through the database, so it works across processes and, on PostgreSQL, across machines. A pop is a live
call only while it is younger than the configured age (``screen_pop_max_age_seconds``): every console of
the operator open at the time shows it (each keeps its own list of what it showed), the first one is
recorded as having taken it. A pop no console showed in time is a missed call, listed until marked done.
The writer signals the ``screen_pop`` change, so consoles learn of it at once (``hotline.core.changes``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select, update

from hotline.core.changes import signal_change
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Client, ScreenPop
from hotline.core.phones import digits_of
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.text import checked_text

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MISSED_CALLS_LIMIT = 200


def request_screen_pop(
    uow: UnitOfWork, *, operator_login: str, number: str, campaign: str | None = None
) -> ScreenPop:
    """Queue a pop of ``number`` for that operator's running consoles; ``campaign``: the campaign of
    the number the caller dialled (see ``Attributions.for_dialled``)."""
    uow.authorize("call.pop", entity="screen_pop", entity_id=operator_login)
    asking = uow.actor_login or uow.invoker_login  # None: the system account (the phone system) itself
    if asking is not None and asking != operator_login:  # an operator rang a colleague's console, a prank
        uow.authorize("call.pop.other", entity="screen_pop", entity_id=operator_login)
    if not digits_of(number):
        raise InvalidInput(f"not a phone number: {number[:40]!r}", where="NUMBER")
    # The number is kept as the phone system sent it, for the console to show: an escape sequence was kept
    # too, and one over the column's 100 characters was stored on SQLite but a database error on PostgreSQL.
    checked_text(number.strip(), what="a phone number", at_most=100, where="NUMBER")
    if not get_operator(uow, login=operator_login).active:  # no console of theirs opens: the call is lost
        raise InvalidInput(f"operator {operator_login!r} is deactivated: no console of theirs takes calls")
    pop = ScreenPop(
        operator_login=operator_login, number=number.strip(), requested_at=uow.now(), campaign=campaign
    )
    uow.session.add(pop)
    uow.session.flush()
    record_audit(uow, action="screen_pop.request", entity="screen_pop", entity_id=pop.id, after=snapshot(pop))
    signal_change(uow, "screen_pop")
    return pop


def live_screen_pops(
    uow: UnitOfWork,
    *,
    operator_login: str,
    max_age_seconds: float,
    shown: Collection[int] = (),
    console_started_at: datetime | None = None,
) -> list[ScreenPop]:
    """The operator's pops young enough to be live calls that this console has not ``shown``, oldest
    first. A pop another console took before this one started (``console_started_at``) is left out:
    reopening the console does not ring again for a call already answered."""
    query = select(ScreenPop).where(
        ScreenPop.operator_login == operator_login,
        ScreenPop.requested_at >= uow.now() - timedelta(seconds=max_age_seconds),
        col(ScreenPop.dismissed_at).is_(None),
    )
    if console_started_at is not None:
        query = query.where(
            (col(ScreenPop.consumed_at).is_(None)) | (col(ScreenPop.consumed_at) >= console_started_at)
        )
    return [pop for pop in uow.session.exec(query.order_by(ScreenPop.id)) if pop.id not in shown]


def take_screen_pops(uow: UnitOfWork, *, pop_ids: Collection[int], console: str) -> None:
    """Record that ``console`` shows these pops live; the first console to do so is the one that took them."""
    if not pop_ids:
        return
    uow.session.exec(
        update(ScreenPop)
        .where(col(ScreenPop.id).in_(list(pop_ids)), col(ScreenPop.consumed_at).is_(None))
        .values(consumed_at=uow.now(), taken_by=console[:200])
    )


def screen_pop_taker(uow: UnitOfWork, *, pop_id: int) -> str | None:
    """The console that took the pop live, or None while none has."""
    pop = uow.session.get(ScreenPop, pop_id)
    if pop is None:
        raise NotFound(f"no screen pop {pop_id}")
    return pop.taken_by if pop.consumed_at is not None else None


@dataclass(frozen=True)
class MissedCall:
    """A pop no console showed while it was live, with the caller when the number is known."""

    pop_id: int
    number: str
    requested_at: datetime
    client_id: int | None
    client_name: str


def missed_calls(
    uow: UnitOfWork,
    *,
    operator_login: str,
    max_age_seconds: float,
    default_region: str,
    limit: int = MISSED_CALLS_LIMIT,
) -> list[MissedCall]:
    """The operator's missed calls not marked done, newest first (at most ``limit``)."""
    pops = uow.session.exec(
        select(ScreenPop)
        .where(
            ScreenPop.operator_login == operator_login,
            col(ScreenPop.consumed_at).is_(None),
            col(ScreenPop.dismissed_at).is_(None),
            ScreenPop.requested_at < uow.now() - timedelta(seconds=max_age_seconds),
        )
        .order_by(col(ScreenPop.requested_at).desc(), col(ScreenPop.id).desc())
        .limit(limit)
    ).all()
    calls = []
    for pop in pops:
        caller = caller_of(uow, number=pop.number, default_region=default_region)
        calls.append(
            MissedCall(
                pop_id=int(pop.id or 0),
                number=pop.number,
                requested_at=pop.requested_at,
                client_id=int(caller.id or 0) if caller else None,
                client_name=caller.name if caller else "",
            )
        )
    return calls


def caller_of(uow: UnitOfWork, *, number: str, default_region: str) -> Client | None:
    """The client a ringing number belongs to (the first of ``callers_of`` when several share it), or None."""
    callers = callers_of(uow, number=number, default_region=default_region)
    return callers[0] if callers else None


def callers_of(uow: UnitOfWork, *, number: str, default_region: str) -> list[Client]:
    """Every client a ringing number belongs to, organisations first, then by id: a company's office
    number often is its contact persons' number too, and the pop offers the operator the choice."""
    from hotline.core.models.enums import ClientKind
    from hotline.core.phones import normalize_phone
    from hotline.core.services.clients import find_clients_by_contact

    try:
        e164 = normalize_phone(number, default_region=default_region).e164
    except InvalidInput:
        return []
    callers = find_clients_by_contact(uow, e164s=[e164], emails=[])
    return sorted(callers, key=lambda c: (c.kind != ClientKind.ORGANISATION.value, c.id or 0))


def dismiss_missed_call(uow: UnitOfWork, *, pop_id: int) -> ScreenPop:
    """Mark a missed call done (the operator called back): it leaves the list; audited."""
    pop = uow.session.get(ScreenPop, pop_id)
    if pop is None or pop.operator_login != uow.actor_name:
        raise NotFound(f"no missed call {pop_id} for {uow.actor_name}")
    before = snapshot(pop)
    pop.dismissed_at = uow.now()
    uow.session.add(pop)
    record_audit(
        uow,
        action="screen_pop.dismiss",
        entity="screen_pop",
        entity_id=pop.id,
        before=before,
        after=snapshot(pop),
    )
    return pop
