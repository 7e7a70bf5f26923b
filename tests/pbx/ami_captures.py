"""AMI event sequences as Asterisk 18 sends them (PJSIP, ``timestampevents = yes``), trimmed to the
headers hotline reads plus the usual neighbours, with the times moved next to TEST_NOW.

``{t0}`` … are epoch seconds; ``{id}`` is the call's Linkedid, so one capture can be replayed as many calls.
"""

from __future__ import annotations

from tests.conftest import TEST_NOW

T0 = TEST_NOW.timestamp()

INBOUND_ANSWERED = """\
Event: Newchannel
Privilege: call,all
Timestamp: {t0}
Channel: PJSIP/trunk-{seq}1
ChannelState: 0
ChannelStateDesc: Down
CallerIDNum: {caller}
CallerIDName: <unknown>
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Language: en
AccountCode: {blank}
Context: from-trunk
Exten: 74959263781
Priority: 1
Uniqueid: {id}
Linkedid: {id}

Event: Newchannel
Privilege: call,all
Timestamp: {t1}
Channel: PJSIP/{ext}-{seq}2
ChannelState: 0
ChannelStateDesc: Down
CallerIDNum: {ext}
CallerIDName: <unknown>
ConnectedLineNum: {caller}
ConnectedLineName: <unknown>
Language: en
AccountCode: {blank}
Context: from-internal
Exten: s
Priority: 1
Uniqueid: {id}2
Linkedid: {id}

Event: DialBegin
Privilege: call,all
Timestamp: {t1}
Channel: PJSIP/trunk-{seq}1
ChannelState: 4
ChannelStateDesc: Ring
CallerIDNum: {caller}
CallerIDName: <unknown>
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Context: from-trunk
Exten: 74959263781
Priority: 3
Uniqueid: {id}
Linkedid: {id}
DestChannel: PJSIP/{ext}-{seq}2
DestChannelState: 0
DestChannelStateDesc: Down
DestCallerIDNum: {ext}
DestConnectedLineNum: {caller}
DestContext: from-internal
DestExten: s
DestPriority: 1
DestUniqueid: {id}2
DestLinkedid: {id}
DialString: {ext}

Event: Newstate
Privilege: call,all
Timestamp: {t1}
Channel: PJSIP/{ext}-{seq}2
ChannelState: 5
ChannelStateDesc: Ringing
CallerIDNum: {ext}
CallerIDName: <unknown>
ConnectedLineNum: {caller}
ConnectedLineName: <unknown>
Language: en
Context: from-internal
Exten: s
Priority: 1
Uniqueid: {id}2
Linkedid: {id}

Event: VarSet
Privilege: dialplan,all
Timestamp: {t1}
Channel: PJSIP/trunk-{seq}1
Uniqueid: {id}
Linkedid: {id}
Variable: MIXMONITOR_FILENAME
Value: /var/spool/asterisk/monitor/2026/11/23/in-{caller}-{id}.wav

Event: Newstate
Privilege: call,all
Timestamp: {t5}
Channel: PJSIP/{ext}-{seq}2
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: {ext}
ConnectedLineNum: {caller}
Uniqueid: {id}2
Linkedid: {id}

Event: DialEnd
Privilege: call,all
Timestamp: {t5}
Channel: PJSIP/trunk-{seq}1
ChannelState: 4
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
DestChannel: PJSIP/{ext}-{seq}2
DestChannelState: 6
DestChannelStateDesc: Up
DestCallerIDNum: {ext}
DestUniqueid: {id}2
DestLinkedid: {id}
DialStatus: ANSWER

Event: BridgeEnter
Privilege: call,all
Timestamp: {t5}
BridgeUniqueid: 0b4f3c5e-1e1d-4b41-9d3a-{seq}
BridgeType: basic
BridgeTechnology: simple_bridge
BridgeNumChannels: 1
Channel: PJSIP/{ext}-{seq}2
Uniqueid: {id}2
Linkedid: {id}

Event: Hangup
Privilege: call,all
Timestamp: {t197}
Channel: PJSIP/{ext}-{seq}2
ChannelState: 6
CallerIDNum: {ext}
ConnectedLineNum: {caller}
Uniqueid: {id}2
Linkedid: {id}
Cause: 16
Cause-txt: Normal Clearing

Event: Hangup
Privilege: call,all
Timestamp: {t197}
Channel: PJSIP/trunk-{seq}1
ChannelState: 6
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
Cause: 16
Cause-txt: Normal Clearing

"""

QUEUE_CALL = """\
Event: Newchannel
Privilege: call,all
Timestamp: {t0}
Channel: PJSIP/trunk-{seq}1
ChannelState: 0
CallerIDNum: {caller}
Exten: 74959263781
Uniqueid: {id}
Linkedid: {id}

Event: QueueCallerJoin
Privilege: agent,all
Timestamp: {t1}
Channel: PJSIP/trunk-{seq}1
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
Queue: support
Position: 1
Count: 1

Event: AgentCalled
Privilege: agent,all
Timestamp: {t1}
Channel: PJSIP/trunk-{seq}1
ChannelState: 6
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
DestChannel: Local/{ext}@from-queue-{seq};1
DestCallerIDNum: {ext}
DestUniqueid: {id}3
DestLinkedid: {id}
Queue: support
Interface: Local/{ext}@from-queue/n
MemberName: Agent {ext}

Event: AgentConnect
Privilege: agent,all
Timestamp: {t5}
Channel: PJSIP/trunk-{seq}1
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
DestChannel: Local/{ext}@from-queue-{seq};1
DestUniqueid: {id}3
DestLinkedid: {id}
Queue: support
Interface: Local/{ext}@from-queue/n
MemberName: Agent {ext}
HoldTime: 4
RingTime: 4

Event: AgentComplete
Privilege: agent,all
Timestamp: {t197}
Channel: PJSIP/trunk-{seq}1
Uniqueid: {id}
Linkedid: {id}
Queue: support
Interface: Local/{ext}@from-queue/n
HoldTime: 4
TalkTime: 192
Reason: caller

Event: Hangup
Privilege: call,all
Timestamp: {t197}
Channel: PJSIP/trunk-{seq}1
CallerIDNum: {caller}
Uniqueid: {id}
Linkedid: {id}
Cause: 16
Cause-txt: Normal Clearing

"""

BLIND_TRANSFER = """\
Event: BlindTransfer
Privilege: call,all
Timestamp: {t60}
Result: Success
TransfererChannel: PJSIP/{ext}-{seq}2
TransfererUniqueid: {id}2
TransfererLinkedid: {id}
TransfereeChannel: PJSIP/trunk-{seq}1
TransfereeCallerIDNum: {caller}
TransfereeUniqueid: {id}
TransfereeLinkedid: {id}
IsExternal: No
Context: from-internal
Extension: {target}

"""


def render(
    capture: str, *, call_id: str, caller: str = "79161234567", ext: str = "101", **extra: str
) -> bytes:
    """The capture as the bytes on the wire: ``\\r\\n`` line ends, a blank line after each message."""
    times = {f"t{n}": f"{T0 + n:.6f}" for n in (0, 1, 5, 60, 197)}
    seq = call_id.replace(".", "")[-8:].rjust(8, "0")
    text = capture.format(id=call_id, caller=caller, ext=ext, seq=seq, blank="", **times, **extra)
    return text.replace("\n", "\r\n").encode()


def inbound_with_transfer(*, call_id: str, target: str) -> bytes:
    """Ring 101, answer, blind-transfer to ``target`` a minute in, then the hang-ups."""
    whole = render(INBOUND_ANSWERED, call_id=call_id)
    cut = whole.index(b"Event: Hangup")
    return whole[:cut] + render(BLIND_TRANSFER, call_id=call_id, target=target) + whole[cut:]


OUTBOUND_ORIGINATED = """\
Event: Newchannel
Privilege: call,all
Timestamp: {t0}
Channel: PJSIP/{ext}-{seq}1
ChannelState: 0
ChannelStateDesc: Down
CallerIDNum: <unknown>
ConnectedLineNum: <unknown>
Context: from-internal
Exten: s
Priority: 1
Uniqueid: {id}
Linkedid: {id}

Event: Newstate
Privilege: call,all
Timestamp: {t1}
Channel: PJSIP/{ext}-{seq}1
ChannelState: 5
ChannelStateDesc: Ringing
ConnectedLineNum: {number}
Uniqueid: {id}
Linkedid: {id}

Event: Newstate
Privilege: call,all
Timestamp: {t5}
Channel: PJSIP/{ext}-{seq}1
ChannelState: 6
ChannelStateDesc: Up
Uniqueid: {id}
Linkedid: {id}

Event: DialBegin
Privilege: call,all
Timestamp: {t5}
Channel: PJSIP/{ext}-{seq}1
CallerIDNum: {ext}
Uniqueid: {id}
Linkedid: {id}
DestChannel: PJSIP/trunk-{seq}2
DestCallerIDNum: {number}
DestUniqueid: {id}.2
DestLinkedid: {id}
DialString: trunk/{number}

Event: DialEnd
Privilege: call,all
Timestamp: {t60}
Channel: PJSIP/{ext}-{seq}1
Uniqueid: {id}
Linkedid: {id}
DestChannel: PJSIP/trunk-{seq}2
DestUniqueid: {id}.2
DestLinkedid: {id}
DialStatus: ANSWER

Event: Hangup
Privilege: call,all
Timestamp: {t197}
Channel: PJSIP/trunk-{seq}2
Uniqueid: {id}.2
Linkedid: {id}
Cause: 16

Event: Hangup
Privilege: call,all
Timestamp: {t197}
Channel: PJSIP/{ext}-{seq}1
Uniqueid: {id}
Linkedid: {id}
Cause: 16

"""
