"""Cloud PBX webhooks: the signature and replay checks, the two payload shapes, and their calls.

``hotline`` shape (JSON, POST): headers ``X-Hotline-Timestamp`` (Unix seconds) and
``X-Hotline-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>``; body
``{"id", "call_id", "event": ringing|answered|transferred|ended, "direction": in|out, "number",
"extension", "at", "duration", "outcome", "recording", "transferred_to"}`` (README has the details).

``zadarma`` shape: Zadarma's PBX call notifications (NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_ANSWER,
NOTIFY_END, NOTIFY_OUT_START, NOTIFY_OUT_END) as its API documentation publishes them: form-encoded POST,
header ``Signature: base64(hex(HMAC-SHA1(secret, fields)))`` over the fields each notification names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hotline.core.clock import EARLIEST_YEAR, LATEST_YEAR
from hotline.core.enums import Direction
from hotline.core.errors import InvalidInput
from hotline.core.pbx.ami_calls import Action, Pop, TrackedCall
from hotline.core.services.call_records import MAX_CALL_ID, MAX_DURATION, TEXT_LIMITS, CallFacts, CallState
from hotline.core.text import checked_text

EVENTS = ("ringing", "answered", "transferred", "ended")
MAX_BODY_BYTES = 64 * 1024
SEEN_IDS = 100_000
MAX_FIELD = 500
"""The longest text any field may be as it comes (each written one is held to its column's length too)."""
FIELD_LIMITS = {"id": 200, "call_id": MAX_CALL_ID} | {
    name: limit for name, limit in TEXT_LIMITS.items() if name != "pbx_call_id"
}
"""The longest each field that is written may be (what the call record's column holds): a longer one,
or one holding a control character, is a 400, never cut or taken and then refused by the writer. The
number dialled is only looked up (an unknown or hostile one names no campaign)."""


class WebhookRefused(InvalidInput):
    """A request the endpoint answers with an HTTP error; ``status`` is that code."""

    def __init__(self, status: int, message: str, *, kind: str) -> None:
        super().__init__(message, where="webhook")
        self.status = status
        self.kind = kind


@dataclass(frozen=True)
class CallEvent:
    """One thing a cloud PBX said about a call."""

    event_id: str
    call_id: str
    kind: str
    direction: Direction
    number: str
    at: datetime
    extension: str | None = None
    duration_seconds: int | None = None
    outcome: str | None = None
    recording: str | None = None
    transferred_to: str | None = None
    dialled: str | None = None
    """The number the caller dialled (a DID): it names the campaign."""


def hotline_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Hotline-Signature`` value a sender puts on ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_hotline_request(
    headers: dict[str, str], body: bytes, *, secret: str, now: datetime, max_age_seconds: int
) -> None:
    """Refuse a request whose signature is wrong or missing (401) or whose time is out of the window (409)."""
    timestamp = headers.get("x-hotline-timestamp", "")
    signature = headers.get("x-hotline-signature", "")
    if not hmac.compare_digest(signature.encode(), hotline_signature(secret, timestamp, body).encode()):
        raise WebhookRefused(401, "bad signature", kind="bad_signature")
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise WebhookRefused(401, "bad timestamp", kind="bad_signature") from None
    if abs(now - sent) > timedelta(seconds=max_age_seconds):
        raise WebhookRefused(409, "timestamp outside the window: a replay?", kind="replayed")


def parse_hotline_event(body: bytes) -> CallEvent:
    """The JSON shape; a missing or wrong field is a 400 naming it."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookRefused(400, "the body is not JSON", kind="bad_request") from None
    except RecursionError:  # 60 KB of "[" (signed): an unhandled error, no answer, a traceback logged
        raise WebhookRefused(400, "the body is nested too deep", kind="bad_request") from None
    if not isinstance(data, dict):
        raise WebhookRefused(400, "the body is not a JSON object", kind="bad_request")
    kind = _text(data, "event")
    if kind not in EVENTS:
        raise WebhookRefused(400, f"event: one of {', '.join(EVENTS)}", kind="bad_request")
    direction = _text(data, "direction", default="in")
    if direction not in ("in", "out"):
        raise WebhookRefused(400, "direction: in or out", kind="bad_request")
    duration = data.get("duration")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool)):
        raise WebhookRefused(400, "duration: whole seconds", kind="bad_request")
    return checked_event(
        CallEvent(
            event_id=_text(data, "id"),
            call_id=_text(data, "call_id"),
            kind=kind,
            direction=Direction(direction),
            number=_text(data, "number", default=""),
            at=_instant(data.get("at")),
            extension=_optional(data, "extension"),
            duration_seconds=duration,
            outcome=_optional(data, "outcome"),
            recording=_optional(data, "recording"),
            transferred_to=_text(data, "transferred_to")
            if kind == "transferred"
            else _optional(data, "transferred_to"),
            dialled=_optional(data, "dialled"),
        )
    )


def checked_event(event: CallEvent) -> CallEvent:
    """``event`` if every field fits what a call record holds, else a 400 naming the field: a request is
    answered 204 only when what it says can be written (a call id of 200 characters, a duration of a
    week or a time in year 1 was taken, then refused by the writer or stored as it came)."""
    texts = {"id": event.event_id, "call_id": event.call_id, "number": event.number,
             "extension": event.extension, "outcome": event.outcome, "recording": event.recording,
             "transferred_to": event.transferred_to}  # fmt: skip
    for key, value in texts.items():
        try:
            checked_text(value or "", what=key, at_most=FIELD_LIMITS[key])
        except InvalidInput as error:
            raise WebhookRefused(400, error.message, kind="bad_request") from None
    if event.duration_seconds is not None and not 0 <= event.duration_seconds <= MAX_DURATION:
        raise WebhookRefused(400, f"duration: whole seconds, 0 to {MAX_DURATION}", kind="bad_request")
    if not EARLIEST_YEAR <= event.at.year <= LATEST_YEAR:
        raise WebhookRefused(400, f"at: outside the years {EARLIEST_YEAR}–{LATEST_YEAR}", kind="bad_request")
    return event


def _text(data: dict[str, Any], key: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if default is None and (value is None or (isinstance(value, str) and not value.strip())):
        raise WebhookRefused(400, f"{key}: missing or blank", kind="bad_request")
    if not isinstance(value, str):
        raise WebhookRefused(400, f"{key}: a string is needed", kind="bad_request")
    if len(value) > MAX_FIELD:
        raise WebhookRefused(
            400, f"{key}: at most {MAX_FIELD} characters (this one has {len(value):,})", kind="bad_request"
        )
    return value.strip()


def _optional(data: dict[str, Any], key: str) -> str | None:
    return _text(data, key) if data.get(key) not in (None, "") else None


def _instant(value: object) -> datetime:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise WebhookRefused(400, "at: an ISO-8601 time with its offset, or Unix seconds", kind="bad_request")


# -- Zadarma ---------------------------------------------------------------------------------------

ZADARMA_SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
}
ZADARMA_KINDS = {
    "NOTIFY_START": "started",
    "NOTIFY_INTERNAL": "ringing",
    "NOTIFY_ANSWER": "answered",
    "NOTIFY_END": "ended",
    "NOTIFY_OUT_START": "started",
    "NOTIFY_OUT_END": "ended",
}
ZADARMA_MAX_CALL = timedelta(days=1)
ZADARMA_EARLY = timedelta(minutes=5)
"""How far ahead of now a notification's ``call_start`` may be (the PBX's clock)."""


def zadarma_signature(secret: str, form: dict[str, str]) -> str:
    """Zadarma's ``Signature`` header: base64 of the hex HMAC-SHA1 of the notification's fields."""
    fields = ZADARMA_SIGNED.get(form.get("event", ""), ())
    data = "".join(form.get(name, "") for name in fields)
    hex_digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hex_digest.encode()).decode()


def check_zadarma_request(
    headers: dict[str, str], form: dict[str, str], *, secret: str, zone: ZoneInfo, now: datetime
) -> CallEvent:
    """Check the signature (401) and the call's age (409), and read the notification (400)."""
    event = form.get("event", "")
    if event not in ZADARMA_SIGNED:
        raise WebhookRefused(400, "event: not a Zadarma PBX call notification", kind="bad_request")
    expected = zadarma_signature(secret, form)
    if not hmac.compare_digest(headers.get("signature", "").encode(), expected.encode()):
        raise WebhookRefused(401, "bad signature", kind="bad_signature")
    try:
        local = datetime.strptime(form.get("call_start", ""), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise WebhookRefused(400, "call_start: not a time", kind="bad_request") from None
    # A time the clocks showed twice (the hour repeated when they go back): the pass nearest its arrival.
    passes = {local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    started = min(passes, key=lambda moment: (abs(now - moment), moment))
    if not -ZADARMA_EARLY <= now - started <= ZADARMA_MAX_CALL:
        raise WebhookRefused(409, "call_start outside the window: a replay?", kind="replayed")
    outgoing = event.startswith("NOTIFY_OUT")
    kind = ZADARMA_KINDS[event]
    duration = form.get("duration", "")
    recorded = form.get("is_recorded") == "1" and form.get("call_id_with_rec")
    disposition = form.get("disposition", "").strip().lower().replace(" ", "_") or None
    if duration and not (duration.isascii() and duration.isdigit() and int(duration) <= MAX_DURATION):
        raise WebhookRefused(400, f"duration: whole seconds, 0 to {MAX_DURATION}", kind="bad_request")
    return checked_event(
        CallEvent(
            # Zadarma's notifications carry no event id (its API documents event, call_start,
            # pbx_call_id, caller_id, called_did, internal): an extension rung twice in one call sends the
            # same notification twice, so a repeat is answered 204 and changes nothing (pbx/webhook.py).
            event_id=f"{event}:{form.get('pbx_call_id', '')}:{form.get('internal', '')}",
            call_id=_form_text(form, "pbx_call_id"),
            kind=kind,
            direction=Direction.OUT if outgoing else Direction.IN,
            number=form.get("destination" if outgoing else "caller_id", ""),
            at=now if kind != "started" else started.astimezone(UTC),
            extension=form.get("internal") or None,
            duration_seconds=int(duration) if duration.isdigit() else None,
            outcome=disposition,
            recording=f"zadarma:{recorded}" if recorded else None,
            dialled=None if outgoing else (form.get("called_did", "").strip()[:64] or None),
        )
    )


def _form_text(form: dict[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise WebhookRefused(400, f"{key}: missing", kind="bad_request")
    if len(value) > MAX_CALL_ID:
        raise WebhookRefused(
            400, f"{key}: at most {MAX_CALL_ID} characters (this one has {len(value):,})", kind="bad_request"
        )
    return value


# -- calls -----------------------------------------------------------------------------------------


class SeenIds:
    """Event ids already taken (the newest ``SEEN_IDS``): the same id again is a replay."""

    def __init__(self, size: int = SEEN_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> bool:
        """Remember ``event_id``; False if it was seen before."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class WebhookCalls:
    """Turns a PBX's call events into pops and call facts, one call per ``call_id``."""

    def __init__(self, *, extensions: dict[str, str], source: str) -> None:
        self.extensions = extensions
        self.source = source
        self.calls: OrderedDict[str, TrackedCall] = OrderedDict()
        self.ended = SeenIds()
        """The calls whose end was reported: a later event of one (out of order, a retry) is late."""

    def is_over(self, call_id: str) -> bool:
        """Whether the call's end was reported already: its record never changes again, and a ring
        reported now would open a live card for a caller who has gone."""
        return call_id in self.ended

    def feed(self, event: CallEvent) -> list[Action]:
        if self.is_over(event.call_id):
            return []
        call = self.calls.get(event.call_id)
        unheard = call is None  # nothing of the call before this event (a restart, or all it says)
        if call is None:
            started = event.at - timedelta(seconds=event.duration_seconds or 0)
            call = TrackedCall(call_id=event.call_id, started_at=started, direction=event.direction)
            self.calls[event.call_id] = call
            if len(self.calls) > SEEN_IDS:
                self.calls.popitem(last=False)
        call.number = call.number or event.number
        call.dialled = call.dialled or event.dialled or ""
        login = self.extensions.get(event.extension or "")
        if event.direction is Direction.OUT and login and not call.operator_login:
            call.operator_login, call.extension = login, event.extension
        actions: list[Action] = []
        if event.kind == "started" and call.direction is Direction.OUT and call.answered_at is None:
            # Zadarma's NOTIFY_OUT_START: the number is being dialled (a click-to-dial request's call
            # becomes this call here, see ``dial_requests``).
            actions.append(self._facts(call, "ringing"))
        elif event.kind == "ringing" and login and login not in call.popped:
            call.popped.add(login)
            if call.direction is Direction.IN and call.answered_at is None:
                call.operator_login, call.extension = login, event.extension
                actions.append(self._facts(call, "ringing"))
            if call.direction is Direction.IN:
                dialled = call.dialled or None
                actions.append(
                    Pop(operator_login=login, number=call.number, call_id=call.call_id, dialled=dialled)
                )
        elif event.kind == "answered" and call.answered_at is None:
            call.answered_at = event.at
            if login and call.direction is Direction.IN:
                call.operator_login, call.extension = login, event.extension
            actions.append(self._facts(call, "up"))
        elif event.kind == "transferred":
            call.transferred_to = event.transferred_to
            actions.append(self._facts(call, "up"))
        elif event.kind == "ended":
            self.calls.pop(call.call_id, None)
            self.ended.add(call.call_id)
            call.recording = event.recording or call.recording
            if login and not call.operator_login:
                call.operator_login, call.extension = login, event.extension
            if event.duration_seconds and call.answered_at is None and event.outcome in (None, "answered"):
                call.answered_at = max(call.started_at, event.at - timedelta(seconds=event.duration_seconds))
            facts = call.facts("ended", ended_at=max(event.at, call.started_at))
            if event.duration_seconds is not None:
                facts = replace(facts, duration_seconds=event.duration_seconds)
            if event.outcome:
                facts = replace(facts, outcome=event.outcome)
            elif unheard and event.duration_seconds is None:
                facts = replace(facts, outcome=None)  # not heard ringing nor answered: no guess to make
            actions.append(replace(facts, source=self.source))
        return actions

    def _facts(self, call: TrackedCall, state: CallState) -> CallFacts:
        return replace(call.facts(state), source=self.source)
