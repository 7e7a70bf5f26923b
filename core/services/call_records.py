"""Call records from the phone system: recorded once per PBX call id, then kept up to date.

Every adapter (AMI, webhooks, ``call log``, the CDR import) describes a call as ``CallFacts`` and calls
``record_call``: the first report inserts the row, later ones fill in what the PBX learnt since (answer,
end, recording, transfer); a finished call is never changed again, so replays and re-imports are no-ops.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from hotline.core.errors import InvalidInput
from hotline.core.models import CallRecord, Interaction, Operator
from hotline.core.models.enums import Direction, InteractionKind
from hotline.core.phones import digits_of
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.services.operators import get_operator
from hotline.core.text import checked_text, printable, printable_path

if TYPE_CHECKING:
    from sqlmodel.sql.expression import SelectOfScalar

    from hotline.core.db import UnitOfWork

CallState = Literal["dialing", "ringing", "up", "ended"]
STATE_ORDER: dict[str, int] = {"dialing": 0, "ringing": 1, "up": 2, "ended": 3}
MAX_CALL_ID = 128
MAX_DURATION = 24 * 3600
"""The longest talk time a PBX may report (a CDR line, a webhook, ``call log``)."""
LONGEST_CALL = timedelta(days=7)
"""The longest call taken from the PBX's own answer and hang-up times (AMI): a call can be up for days."""
SAME_CALL_BEFORE = timedelta(minutes=2)
SAME_CALL_AFTER = timedelta(minutes=30)
"""A logged call is the PBX's call when it was logged as started from 2 minutes before the PBX's start
to 30 minutes after it (a call logged by hand during its wrap-up starts "now")."""


@dataclass(frozen=True)
class CallFacts:
    """What one report from the PBX says about a call; ``None`` means "not said in this report"."""

    pbx_call_id: str
    source: str
    direction: Direction
    number: str
    started_at: datetime
    state: CallState = "ended"
    operator_login: str | None = None
    extension: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    outcome: str | None = None
    recording: str | None = None
    transferred_to: str | None = None


@dataclass(frozen=True)
class RecordedCall:
    """The row after ``record_call``, and whether this report created or changed it."""

    record: CallRecord
    created: bool
    changed: bool


UPDATABLE = (
    "operator_login",
    "extension",
    "answered_at",
    "ended_at",
    "duration_seconds",
    "outcome",
    "recording",
    "transferred_to",
)


TEXT_LIMITS = {"pbx_call_id": MAX_CALL_ID, "number": 100, "outcome": 50, "recording": 500,
               "transferred_to": 64, "extension": 32}  # fmt: skip


def check_facts(facts: CallFacts, *, where: str | None = None, typed: bool = False) -> CallFacts:
    """``facts`` with its text made printable, or ``InvalidInput`` naming the field. ``typed`` (``call
    log``: a script's arguments) refuses a text too long or holding a control character instead of cutting
    or cleaning it, as typed text is; what the PBX passes on from the network (a caller id) is cleaned."""

    def at(field_name: str) -> str:
        return f"{where}: {field_name}" if where else field_name

    if typed:
        for name, limit in TEXT_LIMITS.items():
            value = getattr(facts, name)
            if value is not None:
                label = name.removeprefix("pbx_").replace("_", " ")
                checked_text(value.strip(), what=f"the {label}", at_most=limit, where=at(label))

    call_id = printable(facts.pbx_call_id)
    if not call_id.strip():
        raise InvalidInput("the call id is blank", where=at("call id"))
    if len(call_id) > MAX_CALL_ID:
        raise InvalidInput(
            f"the call id is at most {MAX_CALL_ID} characters (this one has {len(call_id):,})",
            where=at("call id"),
        )
    number = printable(facts.number)[:100]
    if not number:
        raise InvalidInput("the number is empty", where=at("number"))
    if facts.duration_seconds is not None and not (
        0 <= facts.duration_seconds <= MAX_DURATION or _is_the_span(facts)
    ):
        raise InvalidInput("duration must be between 0 and 86400 seconds", where=at("duration"))
    for name in ("answered_at", "ended_at"):
        moment = getattr(facts, name)
        if moment is not None and moment < facts.started_at:
            raise InvalidInput(f"{name.removesuffix('_at')} is before the start", where=at(name))
    texts = {
        name: printable(getattr(facts, name))[:limit] or None
        for name, limit in TEXT_LIMITS.items()
        if name not in ("pbx_call_id", "number")
    }
    return replace(facts, pbx_call_id=call_id, number=number, **texts)


KEPT_LABELS = {"operator_login": "operator", "direction": "direction", "started_at": "start",
               "duration_seconds": "duration", "outcome": "outcome", "recording": "recording"}  # fmt: skip


def kept_facts(record: CallRecord, facts: CallFacts, *, given: set[str]) -> list[str]:
    """What the record says against each fact of ``given`` (names of ``CallFacts`` fields) that a report
    gave otherwise, as "duration 95 s (not 61 s)": a recorded call is never changed, so a report that
    differs is not silently taken for done."""
    from hotline.core.clock import as_utc

    def shown(name: str, value: object) -> str:
        if value is None or value == "":
            return f"no {KEPT_LABELS[name]}"
        if isinstance(value, datetime):
            value = as_utc(value).isoformat()
        elif name == "duration_seconds":
            value = f"{value} s"
        return f"{KEPT_LABELS[name]} {printable(str(value))}"

    def same(theirs: object, ours: object) -> bool:
        if isinstance(theirs, datetime) and isinstance(ours, datetime):
            return abs((as_utc(theirs) - as_utc(ours)).total_seconds()) <= 1  # another clock's rounding
        if isinstance(theirs, int) and isinstance(ours, int):
            return abs(theirs - ours) <= 1
        return theirs == ours

    kept = []
    for name in KEPT_LABELS:
        if name not in given:
            continue
        theirs, ours = getattr(facts, name), getattr(record, name)
        if name == "direction":
            theirs = Direction(theirs).value
        elif isinstance(theirs, str):
            theirs, ours = printable(theirs).strip() or None, ours or None
        if not same(theirs, ours):
            kept.append(
                f"{shown(name, ours)} (not {shown(name, theirs).removeprefix(KEPT_LABELS[name] + ' ')})"
            )
    return kept


def _is_the_span(facts: CallFacts) -> bool:
    """The duration is the time from the answer to the hang-up the facts give (within a second), and
    at most ``LONGEST_CALL``: a call up for more than a day, as the PBX timed it."""
    if facts.answered_at is None or facts.ended_at is None or facts.duration_seconds is None:
        return False
    span = (facts.ended_at - facts.answered_at).total_seconds()
    return abs(span - facts.duration_seconds) <= 1 and span <= LONGEST_CALL.total_seconds()


def record_call(
    uow: UnitOfWork, *, facts: CallFacts, default_region: str, typed: bool = False
) -> RecordedCall:
    """Insert the PBX's call or bring its row up to date; a finished call is never changed again.

    Idempotent by ``pbx_call_id`` (a unique column: two listeners racing insert one row). A webhook's
    first report of an outgoing call updates the click-to-dial request it matches
    (``dial_requests.adopt_dial_request``) instead of inserting a second row.
    """
    uow.authorize("call.import", entity="call_record", entity_id=facts.pbx_call_id[:64])
    return _record(uow, facts=facts, default_region=default_region, typed=typed)


def _record(uow: UnitOfWork, *, facts: CallFacts, default_region: str, typed: bool = False) -> RecordedCall:
    facts = check_facts(facts, typed=typed)
    existing = _by_call_id(uow, facts.pbx_call_id)
    adopted = False
    if existing is None and facts.direction is Direction.OUT:
        from hotline.core.services.dial_requests import adopt_dial_request

        existing = adopt_dial_request(uow, facts=facts, default_region=default_region)
        adopted = existing is not None
    if facts.operator_login is not None and (
        existing is None or existing.operator_login != facts.operator_login
    ):
        _check_operator(uow, facts.operator_login)
    if existing is None:
        record = _new_record(uow, facts, default_region=default_region)
        try:
            with uow.session.begin_nested():
                uow.session.add(record)
        except IntegrityError:
            existing = _by_call_id(uow, facts.pbx_call_id)
            if existing is None:
                raise
        else:
            record_audit(
                uow,
                action="call_record.create",
                entity="call_record",
                entity_id=record.id,
                after=snapshot(record),
            )
            _link_logged_call(uow, record)
            return RecordedCall(record=record, created=True, changed=True)
    changed = _update(uow, existing, facts)
    return RecordedCall(record=existing, created=False, changed=changed or adopted)


def _check_operator(uow: UnitOfWork, login: str) -> None:
    """``NotFound`` for a login nobody added; each login is looked up once per transaction (a batch)."""
    checked: set[str] = uow.session.info.setdefault("call_records.operators", set())
    if login not in checked:
        get_operator(uow, login=login)
        checked.add(login)


def call_ended(uow: UnitOfWork, *, pbx_call_id: str) -> bool:
    """Whether the PBX's call is recorded as ended (a listener restarted since: a late event of it)."""
    uow.authorize("call.import", entity="call_record")
    state = uow.session.exec(select(CallRecord.state).where(CallRecord.pbx_call_id == pbx_call_id)).first()
    return state == "ended"


def _by_call_id(uow: UnitOfWork, pbx_call_id: str) -> CallRecord | None:
    return uow.session.exec(select(CallRecord).where(CallRecord.pbx_call_id == pbx_call_id)).first()


def _new_record(uow: UnitOfWork, facts: CallFacts, *, default_region: str) -> CallRecord:
    now = uow.now()
    values = {f.name: getattr(facts, f.name) for f in fields(facts)}
    values["direction"] = facts.direction.value
    values["client_id"] = caller_client_id(uow, number=facts.number, default_region=default_region)
    return CallRecord(**values, created_at=now, updated_at=now)


def caller_client_id(uow: UnitOfWork, *, number: str, default_region: str) -> int | None:
    """The client whose phone is ``number`` (the lowest id when several share it), or ``None``."""
    from hotline.core.phones import normalize_phone
    from hotline.core.services.clients import contact_owner_ids

    try:
        e164 = normalize_phone(number, default_region=default_region).e164
    except InvalidInput:
        return None
    return min(contact_owner_ids(uow, e164s=[e164], emails=[]), default=None)


def _update(uow: UnitOfWork, record: CallRecord, facts: CallFacts) -> bool:
    if record.state == "ended":
        return False
    guessed = facts.source == "ami" or facts.outcome is None  # the AMI's outcome is always its deduction
    if guessed and facts.state == "ended" and facts.answered_at is None and record.answered_at:
        facts = _answered_before(record, facts)
    before = snapshot(record)
    changes = {
        name: getattr(facts, name)
        for name in UPDATABLE
        if getattr(facts, name) is not None and getattr(facts, name) != getattr(record, name)
    }
    if STATE_ORDER[facts.state] > STATE_ORDER[record.state]:
        changes["state"] = facts.state
    if not changes:
        return False
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = uow.now()
    uow.session.add(record)
    record_audit(
        uow,
        action="call_record.update",
        entity="call_record",
        entity_id=record.id,
        before=before,
        after=snapshot(record),
    )
    _link_logged_call(uow, record)
    return True


def _answered_before(record: CallRecord, facts: CallFacts) -> CallFacts:
    """A report of a hang-up from a listener that never saw the answer (it restarted during the call):
    its outcome (the AMI's "no_answer", or none) is a guess the record's answer refutes, so the call
    ends answered (or transferred), its talk time, unless the report gives one, from that answer."""
    from hotline.core.clock import as_utc

    answered = as_utc(record.answered_at) if record.answered_at else None
    duration = facts.duration_seconds
    if duration is None and answered is not None and facts.ended_at is not None:
        span = (as_utc(facts.ended_at) - answered).total_seconds()
        duration = round(span) if 0 <= span <= LONGEST_CALL.total_seconds() else None
    outcome = "transferred" if facts.transferred_to or record.transferred_to else "answered"
    return replace(facts, answered_at=answered, duration_seconds=duration, outcome=outcome)


def same_call_window(pbx_started_at: datetime) -> tuple[datetime, datetime]:
    """When a logged call of the PBX call that started at ``pbx_started_at`` may say it started."""
    return pbx_started_at - SAME_CALL_BEFORE, pbx_started_at + SAME_CALL_AFTER


def _link_logged_call(uow: UnitOfWork, record: CallRecord) -> None:
    """Tie a finished PBX call to the call its operator logged for that client (the same call)."""
    if record.state != "ended" or record.interaction_id or not record.client_id or not record.operator_login:
        return
    low, high = same_call_window(record.started_at)
    linked = select(CallRecord.interaction_id).where(col(CallRecord.interaction_id).is_not(None))
    operator_id = select(Operator.id).where(Operator.login == record.operator_login).scalar_subquery()
    interaction = uow.session.exec(
        select(Interaction)
        .where(
            Interaction.client_id == record.client_id,
            Interaction.kind == InteractionKind.CALL.value,
            Interaction.operator_id == operator_id,
            col(Interaction.started_at).between(low, high),
            col(Interaction.id).not_in(linked),
        )
        .order_by(col(Interaction.started_at).desc())
    ).first()
    if interaction is not None:
        link_record(uow, record, interaction)


def link_record(uow: UnitOfWork, record: CallRecord, interaction: Interaction) -> None:
    """Link the PBX's record to the logged call and give that call the PBX's real duration."""
    record.interaction_id = interaction.id
    uow.session.add(record)
    if record.duration_seconds is not None and interaction.duration_seconds != record.duration_seconds:
        before = snapshot(interaction)
        interaction.duration_seconds = record.duration_seconds
        uow.session.add(interaction)
        uow.session.flush()
        record_audit(
            uow,
            action="interaction.pbx_duration",
            entity="interaction",
            entity_id=interaction.id,
            before=before,
            after=snapshot(interaction),
        )
    uow.session.flush()


def link_logged_call(uow: UnitOfWork, *, interaction: Interaction) -> CallRecord | None:
    """The unlogged PBX call an operator just logged (same client, operator and time), now linked."""
    actor = uow.actor
    if interaction.kind != InteractionKind.CALL.value or actor is None:
        return None
    query = unlogged_call_of(
        client_id=interaction.client_id, login=actor.login, started_at=interaction.started_at
    )
    record = uow.session.exec(query).first()
    if record is not None:
        link_record(uow, record, interaction)
    return record


def unlogged_call_of(*, client_id: int, login: str, started_at: datetime) -> SelectOfScalar[CallRecord]:
    """The query for the unlogged PBX call that a call logged by ``login`` at ``started_at`` is (the
    latest first); the call log on PostgreSQL asks it inside its first statement."""
    # The same rule as ``same_call_window``, solved for the PBX's start.
    low = started_at - SAME_CALL_AFTER
    high = started_at + SAME_CALL_BEFORE
    return (
        select(CallRecord)
        .where(
            CallRecord.client_id == client_id,
            CallRecord.operator_login == login,
            CallRecord.state == "ended",
            col(CallRecord.interaction_id).is_(None),
            col(CallRecord.started_at).between(low, high),
        )
        .order_by(col(CallRecord.started_at).desc())
    )


def note_unlogged_call(
    uow: UnitOfWork, *, call_record_id: int, notes: str, outcome: str | None = None
) -> Interaction:
    """Log a PBX call nobody logged: a call on the client's timeline with the PBX's times, linked."""
    from hotline.core.errors import Conflict, NotFound
    from hotline.core.services.interactions import log_interaction

    uow.authorize("interaction.write", entity="call_record", entity_id=call_record_id)
    # Locked: two operators noting the same call at once each logged it on PostgreSQL (two calls on the
    # client's timeline for one PBX call); the second now waits and finds it logged.
    record = uow.session.exec(
        select(CallRecord)
        .where(CallRecord.id == call_record_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if record is None:
        raise NotFound(f"no call record {call_record_id}")
    if record.client_id is None:
        raise InvalidInput("the caller is not a client yet: add the client first", where="call")
    if record.interaction_id is not None:
        raise Conflict("that call has been logged already")
    interaction = log_interaction(
        uow,
        client_id=record.client_id,
        kind=InteractionKind.CALL,
        direction=Direction(record.direction),
        started_at=record.started_at,
        duration_seconds=record.duration_seconds,
        outcome=outcome or record.outcome,
        notes=notes,
        link_pbx=False,
    )
    link_record(uow, record, interaction)
    return interaction


def unlogged_calls(uow: UnitOfWork, *, client_id: int) -> list[CallRecord]:
    """The client's finished PBX calls no operator logged, newest first."""
    uow.authorize("read")
    return list(
        uow.session.exec(
            select(CallRecord)
            .where(
                CallRecord.client_id == client_id,
                CallRecord.state == "ended",
                col(CallRecord.interaction_id).is_(None),
            )
            .order_by(col(CallRecord.started_at).desc())
        )
    )


@dataclass(frozen=True)
class RecordCounts:
    """What a batch of reports did: new rows, rows brought up to date, reports that changed nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def record_calls(uow: UnitOfWork, *, calls: list[tuple[str, CallFacts]], default_region: str) -> RecordCounts:
    """Record a batch (a CDR file) in the caller's one transaction; an error names its ``where``."""
    from hotline.core.errors import HotlineError

    uow.authorize("call.import", entity="call_record")
    created = updated = unchanged = 0
    for where, facts in calls:
        try:
            outcome = record_call(uow, facts=facts, default_region=default_region)
        except HotlineError as error:
            error.where = f"{where}: {error.where}" if error.where else where
            raise
        if outcome.created:
            created += 1
        elif outcome.changed:
            updated += 1
        else:
            unchanged += 1
    return RecordCounts(created=created, updated=updated, unchanged=unchanged)


DIAL_PREFIX = "hotline-dial-"
DIAL_EXPIRES = timedelta(seconds=60)
"""A dial request the listener has not taken within a minute is dropped: a phone must not ring later."""


def request_dial(uow: UnitOfWork, *, number: str, extension: str | None, default_region: str) -> CallRecord:
    """Ask the PBX listener to ring the acting operator's phone, then dial ``number`` (click-to-dial).

    The call is recorded at once (state "dialing", under an id the listener gives the PBX as the
    channel's id), so the PBX's events for it update this same record.
    """
    import uuid

    from hotline.core.errors import PermissionDenied

    actor = uow.actor
    if actor is None:
        raise PermissionDenied("dialling needs an operator: the call rings their phone first")
    uow.authorize("call.dial", entity="call_record")
    if not extension:
        raise InvalidInput(f"no extension is mapped to {actor.login!r}", where="[pbx.extensions]")
    facts = CallFacts(
        pbx_call_id=f"{DIAL_PREFIX}{uuid.uuid4().hex}",
        source="dial",
        direction=Direction.OUT,
        number=dial_string(number),
        started_at=uow.now(),
        state="dialing",
        operator_login=actor.login,
        extension=extension,
    )
    return _record(uow, facts=facts, default_region=default_region).record


MAX_DIALLED_DIGITS = 20
"""E.164's 15 digits and room for a trunk or international prefix (``8 10``)."""
DIAL_SEPARATORS = frozenset(" ()-./")


def dial_string(number: str) -> str:
    """What the PBX dials: the digits, with the leading ``+`` of an international number kept.

    ``InvalidInput`` for anything else in it (a letter, an extension, ``#``, a pause) or more than
    ``MAX_DIALLED_DIGITS`` digits: "8 800 FLOWERS" dialled 8800, "… ext 123" the number with 123 after it.
    """
    typed = number.strip()
    bare = typed.removeprefix("+")
    stray = next((char for char in bare if char not in DIAL_SEPARATORS and not digits_of(char)), None)
    if stray is not None or not digits_of(bare):
        # as typed, a byte that is not UTF-8 or an escape shown (\xff, \x1b), never left out
        what = f"'{printable_path(stray)}' cannot be dialled" if stray is not None else "no digits"
        raise InvalidInput(
            f"not a phone number to dial: '{printable_path(typed[:40])}' ({what}; digits, spaces, ( ) - . / "
            "and a leading + only)",
            where="NUMBER",
        )
    digits = digits_of(bare)
    if len(digits) > MAX_DIALLED_DIGITS:
        raise InvalidInput(
            f"a number to dial has at most {MAX_DIALLED_DIGITS} digits (this one {len(digits)})",
            where="NUMBER",
        )
    return f"+{digits}" if typed.startswith("+") else digits


def take_dial_requests(uow: UnitOfWork) -> list[CallRecord]:
    """The dial requests waiting for the listener, now marked taken (ringing); stale ones end failed.

    Marked with a conditional update, so two listeners never originate the same request twice.
    """
    from sqlalchemy import update

    uow.authorize("call.import", entity="call_record")
    now = uow.now()
    waiting = list(
        uow.session.exec(select(CallRecord).where(CallRecord.state == "dialing").order_by(col(CallRecord.id)))
    )
    taken = []
    for record in waiting:
        stale = record.started_at < now - DIAL_EXPIRES
        changes = {"state": "ended", "outcome": "expired", "ended_at": now} if stale else {"state": "ringing"}
        result = uow.session.execute(
            update(CallRecord)
            .where(col(CallRecord.id) == record.id, col(CallRecord.state) == "dialing")
            .values(**changes, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue
        record_audit(
            uow, action="call_record.dial_taken", entity="call_record", entity_id=record.id, after=changes
        )
        if not stale:
            uow.session.refresh(record)
            taken.append(record)
    return taken


def check_extensions(uow: UnitOfWork, *, extensions: dict[str, str], source: str) -> None:
    """``ConfigError`` naming ``[pbx.extensions]`` for an extension mapped to a login nobody added (or a
    deactivated one): its calls would pop no console. ``hotline config check`` runs it."""
    from hotline.core.errors import ConfigError

    logins = set(extensions.values())
    active = set(
        uow.session.exec(select(Operator.login).where(col(Operator.login).in_(logins), Operator.active))
    )
    for extension, login in extensions.items():
        if login not in active:
            raise ConfigError(f'[pbx.extensions] "{extension}": no active operator {login!r}', where=source)


STALE_AFTER = timedelta(hours=12)
"""A call still ringing or up this long after its start lost its hang-up (the listener was down)."""


def end_stale_calls(uow: UnitOfWork) -> int:
    """End the calls whose hang-up never came (outcome "lost" unless one is known); how many.

    So they show on the card as finished (and unlogged) instead of staying "up" for ever.
    """
    uow.authorize("call.import", entity="call_record")
    cutoff = uow.now() - STALE_AFTER
    stale = list(
        uow.session.exec(
            select(CallRecord).where(
                col(CallRecord.state).in_(("ringing", "up")), col(CallRecord.started_at) < cutoff
            )
        )
    )
    for record in stale:
        before = snapshot(record)
        record.state = "ended"
        record.outcome = record.outcome or "lost"
        record.updated_at = uow.now()
        uow.session.add(record)
        record_audit(
            uow, action="call_record.lost", entity="call_record", entity_id=record.id,
            before=before, after=snapshot(record),
        )  # fmt: skip
    return len(stale)
