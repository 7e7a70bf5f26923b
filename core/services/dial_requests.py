"""Click-to-dial requests after the listener took them: ended when the PBX refused, or matched to the
call a cloud PBX reports.

A request (``request_dial``) is a call record under hotline's own id (``hotline-dial-…``). Asterisk
gives that id to the call's channel, so its events find the record by id. Zadarma's callback API gives
back no call id, so its ``NOTIFY_OUT_START``/``NOTIFY_OUT_END`` for the call carry only Zadarma's
``pbx_call_id``: the first report of an outgoing call that a webhook sends is matched to a taken request
(``adopt_dial_request``), which then carries the PBX's call id, and every later report finds it by that.

The rule: a request taken and not yet matched, for the same extension and the same number (compared in
E.164), whose request time is from ``DIAL_MATCH_BEFORE`` before to ``DIAL_MATCH_AFTER`` after the start
the PBX gives the call; the oldest one if several. A report without an extension matches by the number
alone, and only when exactly one request is waiting for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from hotline.core.enums import Direction
from hotline.core.errors import InvalidInput
from hotline.core.models import CallRecord
from hotline.core.phones import digits_of, normalize_phone
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.services.call_records import CallFacts

DIAL_MATCH_BEFORE = timedelta(minutes=1)
"""The PBX's clock may run a little behind ours."""
DIAL_MATCH_AFTER = timedelta(minutes=3)
"""The operator's phone rings first; the outgoing leg starts when they answer."""
MAX_OUTCOME = 50


def end_dial_request(uow: UnitOfWork, *, pbx_call_id: str, outcome: str) -> bool:
    """End a request still waiting under hotline's id (the PBX refused it, or never reported the call).

    Changes nothing, and says False, once the request ended or a PBX report took it over.
    """
    from hotline.core.services.call_records import DIAL_PREFIX

    uow.authorize("call.import", entity="call_record", entity_id=pbx_call_id[:64])
    if not pbx_call_id.startswith(DIAL_PREFIX):
        raise InvalidInput("not a dial request's call id", where="call id")
    now = uow.now()
    changes = {"state": "ended", "outcome": printable(outcome)[:MAX_OUTCOME] or "failed", "ended_at": now}
    record = uow.session.exec(select(CallRecord).where(CallRecord.pbx_call_id == pbx_call_id)).first()
    if record is None:
        return False
    result = uow.session.execute(
        update(CallRecord)
        .where(
            col(CallRecord.id) == record.id,
            col(CallRecord.pbx_call_id) == pbx_call_id,
            col(CallRecord.state).in_(("dialing", "ringing")),
        )
        .values(**changes, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    record_audit(
        uow, action="call_record.dial_ended", entity="call_record", entity_id=record.id, after=changes
    )
    return True


def adopt_dial_request(uow: UnitOfWork, *, facts: CallFacts, default_region: str) -> CallRecord | None:
    """The taken request this first report of an outgoing webhook call is (see the module's rule), now
    under the PBX's call id; ``None`` when no request matches."""
    from hotline.core.services.call_records import DIAL_PREFIX

    if facts.direction is not Direction.OUT or not facts.source.startswith("webhook"):
        return None
    low, high = facts.started_at - DIAL_MATCH_AFTER, facts.started_at + DIAL_MATCH_BEFORE
    query = select(CallRecord).where(
        CallRecord.state == "ringing",
        CallRecord.source == "dial",
        col(CallRecord.pbx_call_id).startswith(DIAL_PREFIX),
        col(CallRecord.started_at).between(low, high),
    )
    if facts.extension:
        query = query.where(CallRecord.extension == facts.extension)
    wanted = _number_key(facts.number, default_region)
    waiting = [
        record
        for record in uow.session.exec(query.order_by(col(CallRecord.started_at), col(CallRecord.id)))
        if _number_key(record.number, default_region) == wanted
    ]
    if not waiting or (not facts.extension and len(waiting) > 1):
        return None
    record = waiting[0]
    before = snapshot(record)
    try:
        with uow.session.begin_nested():
            result = uow.session.execute(
                update(CallRecord)
                .where(col(CallRecord.id) == record.id, col(CallRecord.pbx_call_id) == record.pbx_call_id)
                .values(pbx_call_id=facts.pbx_call_id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # another listener recorded the PBX's call meanwhile
        return None
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    uow.session.refresh(record)
    record_audit(
        uow, action="call_record.dial_matched", entity="call_record", entity_id=record.id,
        before=before, after=snapshot(record),
    )  # fmt: skip
    return record


def _number_key(number: str, default_region: str) -> str:
    """What two spellings of one number share: the E.164 form, else the digits."""
    try:
        return normalize_phone(number, default_region=default_region).e164
    except InvalidInput:
        return digits_of(number)
