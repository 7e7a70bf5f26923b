"""The AMI call tracker: captured sequences become the right pops and records; bad events are counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.core.models.enums import Direction
from hotline.core.pbx.ami import MalformedMessage, encode_action, parse_banner, parse_message
from hotline.core.pbx.ami_calls import CallTracker, Pop
from hotline.core.pbx.channels import extension_of_channel
from hotline.core.services.call_records import CallFacts
from tests.conftest import TEST_NOW
from tests.pbx.ami_captures import INBOUND_ANSWERED, QUEUE_CALL, inbound_with_transfer, render

EXTENSIONS = {"101": "olga", "102": "ivan"}


def feed_all(tracker: CallTracker, wire: bytes) -> list:
    actions = []
    for block in wire.split(b"\r\n\r\n"):
        if block:
            actions += tracker.feed(parse_message(block), now=TEST_NOW)
    return actions


def test_an_answered_call_pops_once_and_ends_with_the_real_talk_time() -> None:
    tracker = CallTracker(extensions=EXTENSIONS)
    actions = feed_all(tracker, render(INBOUND_ANSWERED, call_id="1795417200.1"))
    pops = [a for a in actions if isinstance(a, Pop)]
    assert pops == [
        Pop(operator_login="olga", number="79161234567", call_id="1795417200.1", dialled="74959263781")
    ]  # the trunk channel's Exten: the number the caller dialled, which names a campaign
    facts = [a for a in actions if isinstance(a, CallFacts)]
    assert [f.state for f in facts] == ["ringing", "up", "ended"]
    ended = facts[-1]
    assert (ended.direction, ended.operator_login, ended.extension, ended.number) == (
        Direction.IN, "olga", "101", "79161234567",
    )  # fmt: skip
    assert ended.started_at == TEST_NOW
    assert ended.answered_at == TEST_NOW + timedelta(seconds=5)
    assert ended.ended_at == TEST_NOW + timedelta(seconds=197)
    assert (ended.duration_seconds, ended.outcome) == (192, "answered")
    assert ended.recording == "/var/spool/asterisk/monitor/2026/11/23/in-79161234567-1795417200.1.wav"
    assert tracker.calls == {}


def test_a_queue_call_pops_the_agent_called_and_is_answered_by_agent_connect() -> None:
    tracker = CallTracker(extensions=EXTENSIONS)
    actions = feed_all(tracker, render(QUEUE_CALL, call_id="1795417200.7", ext="102"))
    assert [a.operator_login for a in actions if isinstance(a, Pop)] == ["ivan"]
    ended = actions[-1]
    assert isinstance(ended, CallFacts)
    assert (ended.operator_login, ended.duration_seconds, ended.outcome) == ("ivan", 192, "answered")


def test_a_blind_transfer_is_recorded() -> None:
    tracker = CallTracker(extensions=EXTENSIONS)
    actions = feed_all(tracker, inbound_with_transfer(call_id="1795417200.9", target="102"))
    ended = actions[-1]
    assert (ended.transferred_to, ended.outcome, ended.operator_login) == ("102", "transferred", "olga")


def test_an_unknown_extension_never_pops_anyone() -> None:
    tracker = CallTracker(extensions=EXTENSIONS)
    actions = feed_all(tracker, render(INBOUND_ANSWERED, call_id="1795417200.3", ext="555"))
    assert not [a for a in actions if isinstance(a, Pop)]
    assert tracker.counts["unmapped_rings"] >= 1
    ended = actions[-1]
    assert ended.operator_login is None and ended.state == "ended"


def test_a_calls_events_after_its_hang_up_neither_pop_nor_linger() -> None:
    """The caller hung up first (the call's first channel): the agent's channel's Hangup after it made the
    call anew in the tracker, held there 12 hours (at a busy centre 10,000 of them could push calls in progress
    out, whose hang-up then ended them as unanswered), and a phone still ringing for it popped a live card
    for a caller who had gone. Events of an ended call are now counted and left alone."""
    tracker = CallTracker(extensions=EXTENSIONS)
    call_id = "1795417200.4"
    feed_all(tracker, render(INBOUND_ANSWERED, call_id=call_id))
    late = [
        f"Event: Hangup\r\nChannel: PJSIP/101-9\r\nUniqueid: {call_id}2\r\nLinkedid: {call_id}\r\nCause: 16",
        f"Event: Newstate\r\nChannel: PJSIP/102-9\r\nChannelState: 5\r\nUniqueid: {call_id}3\r\n"
        f"Linkedid: {call_id}\r\nConnectedLineNum: 79161234567",
    ]
    assert [tracker.feed(parse_message(block.encode()), now=TEST_NOW) for block in late] == [[], []]
    assert tracker.calls == {}
    assert tracker.counts["after_the_end"] == 2


def test_events_that_cannot_be_used_are_counted_not_raised() -> None:
    tracker = CallTracker(extensions=EXTENSIONS)
    assert tracker.feed(parse_message(b"Event: DialBegin\r\nDestChannel: PJSIP/101-1"), now=TEST_NOW) == []
    assert tracker.counts["incomplete"] == 1
    odd_time = parse_message(
        b"Event: Newchannel\r\nUniqueid: 1\r\nLinkedid: 1\r\nTimestamp: soon\r\nCallerIDNum: 5"
    )
    assert tracker.feed(odd_time, now=TEST_NOW) == []
    assert tracker.calls["1"].started_at == TEST_NOW
    assert tracker.forget_older_than(TEST_NOW + timedelta(seconds=1)) == 1


@pytest.mark.parametrize(
    "block",
    [b"no colon here", b"Event: X\r\nbad line", b"Key With Space: 1\r\nEvent: X", b"Foo: bar", b"x" * 70_000],
)
def test_malformed_messages_are_refused(block: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_message(block)


def test_actions_refuse_header_injection_and_banners_are_checked() -> None:
    wire = encode_action("Originate", "7", [("Channel", "PJSIP/101"), ("Exten", "8916")])
    assert wire == b"Action: Originate\r\nActionID: 7\r\nChannel: PJSIP/101\r\nExten: 8916\r\n\r\n"
    with pytest.raises(MalformedMessage):
        encode_action("Originate", "8", [("Exten", "8916\r\nAction: Command")])
    assert parse_banner(b"Asterisk Call Manager/5.0.1\r\n") == "5.0.1"
    with pytest.raises(MalformedMessage):
        parse_banner(b"SSH-2.0-OpenSSH\r\n")


@pytest.mark.parametrize(
    ("channel", "extension"),
    [
        ("PJSIP/101-0000002a", "101"),
        ("SIP/2001-00000001", "2001"),
        ("Local/101@from-queue-00000001;1", "101"),
        ("Local/101@from-queue/n", "101"),
        ("garbage", None),
        ("", None),
    ],
)
def test_the_extension_of_a_channel(channel: str, extension: str | None) -> None:
    assert extension_of_channel(channel) == extension
