"""Asterisk's call events turned into screen pops and call records, one call per ``Linkedid``.

Event names and fields as Asterisk 12 to 22 send them (the bridging model of Asterisk 12 onwards):
``Newchannel``, ``Newstate``, ``DialBegin``/``DialEnd``, ``AgentCalled``/``AgentConnect`` (queues),
``BlindTransfer``/``AttendedTransfer``, ``VarSet`` (the recording's file name) and ``Hangup``. A call's
channels all carry the ``Linkedid`` of its first channel, which is the PBX's call id here (the same as
``uniqueid`` in its CDR line).

The tracker is pure: ``feed`` returns what to do (pop a console, record the call) and counts what it could
not use. Only an extension mapped to an operator ever pops a console, and only that operator's.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hotline.core.enums import Direction
from hotline.core.pbx.ami import AmiMessage
from hotline.core.pbx.channels import agent_extension, extension_of_channel
from hotline.core.services.call_records import LONGEST_CALL, CallFacts, CallState
from hotline.core.text import printable

log = logging.getLogger("hotline.pbx.ami")

MAX_TRACKED_CALLS = 10_000
RECORDING_VARIABLES = frozenset({"MIXMONITOR_FILENAME", "CALLFILENAME", "RECORDING_FILE"})
CHANNEL_STATE_RINGING = "5"
CAUSE_BUSY = "17"


@dataclass(frozen=True)
class Pop:
    """Pop the caller's card in this operator's console."""

    operator_login: str
    number: str
    call_id: str
    dialled: str | None = None
    """The number the caller dialled (a DID), where the PBX says it: it names the campaign."""


@dataclass
class TrackedCall:
    """What the tracker knows of one call so far."""

    call_id: str
    started_at: datetime
    direction: Direction = Direction.IN
    number: str = ""
    operator_login: str | None = None
    extension: str | None = None
    answered_at: datetime | None = None
    recording: str | None = None
    transferred_to: str | None = None
    busy: bool = False
    popped: set[str] = field(default_factory=set)
    dialled: str = ""

    def facts(self, state: CallState, *, ended_at: datetime | None = None) -> CallFacts:
        outcome = None
        duration = None
        if state == "ended":
            outcome = "transferred" if self.transferred_to else "answered" if self.answered_at else None
            outcome = outcome or ("busy" if self.busy else "no_answer")
            if ended_at is not None and self.answered_at is not None:
                duration = max(0, round((ended_at - self.answered_at).total_seconds()))
        return CallFacts(
            pbx_call_id=self.call_id,
            source="ami",
            direction=self.direction,
            number=self.number or "anonymous",
            started_at=self.started_at,
            state=state,
            operator_login=self.operator_login,
            extension=self.extension,
            answered_at=self.answered_at,
            ended_at=ended_at,
            duration_seconds=duration,
            outcome=outcome,
            recording=self.recording,
            transferred_to=self.transferred_to,
        )


Action = Pop | CallFacts


class CallTracker:
    """Feeds on AMI events; remembers the calls in progress (at most ``MAX_TRACKED_CALLS``)."""

    def __init__(self, *, extensions: dict[str, str]) -> None:
        self.extensions = extensions
        self.calls: OrderedDict[str, TrackedCall] = OrderedDict()
        self.ended: OrderedDict[str, None] = OrderedDict()
        """Incoming calls whose caller hung up (the newest ``MAX_TRACKED_CALLS``): over for good."""
        self.counts: Counter[str] = Counter()

    def feed(self, event: AmiMessage, *, now: datetime) -> list[Action]:
        """What ``event`` asks for; an event that cannot be used is counted, never raised."""
        self.counts["events"] += 1
        name = event.event or ""
        handler = getattr(self, f"_on_{name.lower()}", None)
        if handler is None:
            return []
        call_id = event.get("Linkedid") or event.get("DestLinkedid") or _transfer_call_id(event)
        if not call_id:
            self.counts["incomplete"] += 1
            if worth_logging(self.counts["incomplete"]):
                log.warning("AMI %s without a Linkedid: ignored (%d so far)", name, self.counts["incomplete"])
            return []
        if call_id in self.ended:  # an agent's channel hanging up after the caller, a phone still ringing
            self.counts["after_the_end"] += 1
            return []
        at = _event_time(event, now)
        try:
            return handler(event, self._call(call_id, event, at), at)
        except (KeyError, ValueError) as error:
            self.counts["incomplete"] += 1
            if worth_logging(self.counts["incomplete"]):
                log.warning("AMI %s for call %s could not be used: %s", name, call_id, error)
            return []

    def _call(self, call_id: str, event: AmiMessage, at: datetime) -> TrackedCall:
        call = self.calls.get(call_id)
        if call is None:
            call = TrackedCall(call_id=call_id, started_at=at, number=event.get("CallerIDNum", ""))
            self.calls[call_id] = call
            if len(self.calls) > MAX_TRACKED_CALLS:
                self.calls.popitem(last=False)
                self.counts["forgotten"] += 1
        return call

    def _agent(self, extension: str | None) -> str | None:
        return self.extensions.get(extension) if extension else None

    # -- the events ------------------------------------------------------------------------------

    def _on_newchannel(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        if event.get("Uniqueid") != call.call_id:
            return []
        extension = extension_of_channel(event.get("Channel"))
        login = self._agent(extension)
        if login is not None:
            call.direction, call.operator_login, call.extension = Direction.OUT, login, extension
            call.number = event.get("Exten", "") if event.get("Exten") not in (None, "s") else ""
        else:
            call.number = _number(event.get("CallerIDNum"))
            # The trunk channel's Exten is the number the caller dialled (a DID); "s" means none was given.
            if event.get("Exten") not in (None, "", "s"):
                call.dialled = event.get("Exten", "")
        return []

    def _ringing(self, call: TrackedCall, extension: str | None, number: str | None) -> list[Action]:
        login = self._agent(extension)
        if login is None:
            if call.direction is Direction.IN:
                self.counts["unmapped_rings"] += 1
            return []
        if call.direction is Direction.OUT and login == call.operator_login:
            return []  # the operator's own phone ringing back on click-to-dial
        if login in call.popped:
            return []
        call.popped.add(login)
        actions: list[Action] = []
        if call.direction is Direction.IN and not call.answered_at:
            call.operator_login, call.extension = login, extension
            actions.append(call.facts("ringing"))
        number = caller_id(_number(number) or call.number)
        actions.append(
            Pop(operator_login=login, number=number, call_id=call.call_id, dialled=call.dialled or None)
        )
        return actions

    def _on_dialbegin(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        extension = extension_of_channel(event.get("DestChannel"))
        if call.direction is Direction.OUT and self._agent(extension) is None and not call.number:
            call.number = _number(event.get("DestCallerIDNum")) or _number(event.get("DialString"))
        return self._ringing(call, extension, event.get("CallerIDNum"))

    def _on_agentcalled(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        extension = agent_extension(event.get("Interface")) or extension_of_channel(event.get("DestChannel"))
        return self._ringing(call, extension, event.get("CallerIDNum"))

    def _on_newstate(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        if event.get("ChannelState") != CHANNEL_STATE_RINGING:
            return []
        extension = extension_of_channel(event.get("Channel"))
        return self._ringing(call, extension, event.get("ConnectedLineNum"))

    def _answered(self, call: TrackedCall, extension: str | None, at: datetime) -> list[Action]:
        login = self._agent(extension)
        if call.answered_at is not None:
            return []
        call.answered_at = at
        if login is not None and call.direction is Direction.IN:
            call.operator_login, call.extension = login, extension
        return [call.facts("up")]

    def _on_dialend(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        status = event.get("DialStatus", "")
        if status == "BUSY":
            call.busy = True
        if status != "ANSWER":
            return []
        return self._answered(call, extension_of_channel(event.get("DestChannel")), at)

    def _on_agentconnect(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        extension = agent_extension(event.get("Interface")) or extension_of_channel(event.get("DestChannel"))
        return self._answered(call, extension, at)

    def _on_blindtransfer(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        call.transferred_to = event.get("Extension") or None
        return [call.facts("up")] if call.answered_at else []

    def _on_attendedtransfer(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        target = event.get("SecondTransfererConnectedLineNum") or extension_of_channel(
            event.get("TransferTargetChannel")
        )
        call.transferred_to = target or None
        return [call.facts("up")] if call.answered_at else []

    def _on_varset(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        if event.get("Variable", "").upper() in RECORDING_VARIABLES and event.get("Value"):
            call.recording = event["Value"]
        return []

    def _on_hangup(self, event: AmiMessage, call: TrackedCall, at: datetime) -> list[Action]:
        if event.get("Cause") == CAUSE_BUSY:
            call.busy = True
        if event.get("Uniqueid") != call.call_id:
            return []
        self.calls.pop(call.call_id, None)
        if call.direction is Direction.IN:
            # The caller's channel: nothing of the call is left. (An outgoing call's first channel is the
            # operator's phone, whose transfer leaves the client talking to a colleague.)
            self.ended[call.call_id] = None
            if len(self.ended) > MAX_TRACKED_CALLS:
                self.ended.popitem(last=False)
        return [call.facts("ended", ended_at=max(at, call.started_at))]

    def forget_older_than(self, moment: datetime) -> int:
        """Drop calls never answered that started before ``moment``, and answered ones that started
        ``LONGEST_CALL`` before it (a hang-up that never came); how many. A call up for a day is real."""
        stale = [
            call_id
            for call_id, call in self.calls.items()
            if call.started_at < (moment if call.answered_at is None else moment - LONGEST_CALL)
        ]
        for call_id in stale:
            del self.calls[call_id]
        self.counts["forgotten"] += len(stale)
        return len(stale)


def worth_logging(count: int) -> bool:
    """Log the first ten of a kind of bad input, then every thousandth: a flood is counted, not logged."""
    return count <= 10 or count % 1000 == 0


def _transfer_call_id(event: AmiMessage) -> str | None:
    return event.get("TransfereeLinkedid") or event.get("OrigTransfererLinkedid")


MAX_CALLER_ID = 100
"""What a pop keeps of a caller id (the screen pop's and the call record's column)."""


def caller_id(text: str) -> str:
    """A caller id as the PBX passed it on from the network, made fit to pop: escape sequences and
    control characters dropped, at most ``MAX_CALLER_ID`` characters. The caller chose it; refused as
    typed text is, it lost the operator her pop while her phone rang (the record kept it cleaned)."""
    return printable(text)[:MAX_CALLER_ID]


def _number(text: str | None) -> str:
    """A caller-id number as AMI gives it; ``<unknown>`` and empty mean none."""
    if not text or text.strip() in {"<unknown>", "unknown", "s"}:
        return ""
    return text.strip()


def _event_time(event: AmiMessage, now: datetime) -> datetime:
    """The event's ``Timestamp`` (``timestampevents = yes`` in manager.conf), else the time it was read."""
    stamp = event.get("Timestamp")
    if stamp:
        try:
            moment = datetime.fromtimestamp(float(stamp), UTC)
        except (ValueError, OverflowError, OSError):
            return now
        if abs(moment - now) < timedelta(days=1):
            return moment
    return now
