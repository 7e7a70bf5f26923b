"""The AMI listener against a test AMI server: pops and call records from replayed captures, reconnection,
a refused login, and hostile input (malformed events, unknown extensions, a flood) that never crashes it
nor pops the wrong console."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.models import CallRecord, ScreenPop
from hotline.pbx.ami_client import AmiLoginRefused
from tests.pbx.ami_captures import INBOUND_ANSWERED, QUEUE_CALL, inbound_with_transfer, render

EVENTS_PER_INBOUND = render(INBOUND_ANSWERED, call_id="x").count(b"Event:")


def stored(engine) -> tuple[list[ScreenPop], list[CallRecord]]:
    with UnitOfWork(engine, readonly=True) as uow:
        pops = list(uow.session.exec(select(ScreenPop).order_by(ScreenPop.id)))
        records = list(uow.session.exec(select(CallRecord).order_by(CallRecord.id)))
    return pops, records


async def test_a_replayed_call_pops_olga_and_is_recorded_with_its_real_duration(
    engine, ami_listener, anna
) -> None:
    running = await ami_listener()
    await running.pbx.send(render(INBOUND_ANSWERED, call_id="1795417200.1"))
    await running.settle(EVENTS_PER_INBOUND)
    pops, [record] = stored(engine)
    assert [(p.operator_login, p.number) for p in pops] == [("olga", "79161234567")]
    assert (record.pbx_call_id, record.state, record.operator_login, record.client_id) == (
        "1795417200.1", "ended", "olga", anna,
    )  # fmt: skip
    assert (record.duration_seconds, record.outcome, record.direction) == (192, "answered", "in")
    assert record.recording.endswith("in-79161234567-1795417200.1.wav")


async def test_queue_calls_and_transfers_are_recorded(engine, ami_listener, anna) -> None:
    running = await ami_listener()
    queue = render(QUEUE_CALL, call_id="1795417200.2", ext="102")
    transfer = inbound_with_transfer(call_id="1795417200.3", target="102")
    await running.pbx.send(queue + transfer)
    await running.settle(queue.count(b"Event:") + transfer.count(b"Event:"))
    pops, records = stored(engine)
    assert [p.operator_login for p in pops] == ["ivan", "olga"]
    assert [(r.operator_login, r.outcome, r.transferred_to) for r in records] == [
        ("ivan", "answered", None),
        ("olga", "transferred", "102"),
    ]


async def test_a_refused_login_stops_the_listener(ami_listener) -> None:
    running = await ami_listener(secret="wrong", wait=False)
    with pytest.raises(AmiLoginRefused):
        await asyncio.wait_for(running.task, 10)
    assert running.pbx.refused == 1


async def test_the_listener_reconnects_after_the_pbx_restarts(engine, ami_listener, anna) -> None:
    running = await ami_listener()
    running.pbx.drop_clients()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while running.pbx.logins < 2:
        assert loop.time() < deadline, "no reconnection"
        await asyncio.sleep(0.02)
    await asyncio.wait_for(running.listener.connected.wait(), 10)
    await running.pbx.send(render(INBOUND_ANSWERED, call_id="1795417200.4"))
    await running.settle(EVENTS_PER_INBOUND)
    assert running.listener.connects == 2
    assert [r.pbx_call_id for r in stored(engine)[1]] == ["1795417200.4"]


async def test_hostile_input_is_counted_and_never_pops_the_wrong_console(engine, ami_listener, anna) -> None:
    running = await ami_listener()
    garbage = b"this is not AMI\r\n\r\nEvent: Hangup\r\nno colon\r\n\r\nResponse\r\n\r\n"
    unknown = render(INBOUND_ANSWERED, call_id="1795417200.5", ext="555")
    no_linkedid = b"Event: DialBegin\r\nDestChannel: PJSIP/101-1\r\nCallerIDNum: 1\r\n\r\n"
    flood = b"".join(render(INBOUND_ANSWERED, call_id=f"1795417300.{n}", ext="102") for n in range(150))
    await running.pbx.send(garbage + unknown + no_linkedid + flood)
    await running.settle(EVENTS_PER_INBOUND * 151 + 1)
    counts = running.listener.counts()
    assert counts["malformed"] == 3
    assert counts["incomplete"] == 1
    assert counts["unmapped_rings"] >= 1
    assert counts.get("failed", 0) == 0
    pops, records = stored(engine)
    assert {p.operator_login for p in pops} == {"ivan"} and len(pops) == 150
    assert len(records) == 151
    unknown_record = next(r for r in records if r.pbx_call_id == "1795417200.5")
    assert unknown_record.operator_login is None
    # The listener is still connected and working.
    await running.pbx.send(render(INBOUND_ANSWERED, call_id="1795417200.6"))
    await running.settle(EVENTS_PER_INBOUND * 152 + 1)
    assert stored(engine)[0][-1].operator_login == "olga"


def test_a_batch_keeps_the_last_report_of_each_call_and_every_pop() -> None:
    from dataclasses import replace

    from hotline.core.pbx.ami_calls import Pop
    from hotline.core.services.call_records import CallFacts
    from hotline.pbx.recorder import coalesced
    from tests.conftest import TEST_NOW

    ringing = CallFacts(
        pbx_call_id="a", source="ami", direction="in", number="1", started_at=TEST_NOW, state="ringing"
    )
    other = replace(ringing, pbx_call_id="b")
    ended = replace(ringing, state="ended", duration_seconds=5)
    pop = Pop(operator_login="olga", number="1", call_id="a")
    kept = coalesced([(ringing, 1.0), (pop, 2.0), (other, 3.0), (ended, 4.0)])
    assert kept == [(ended, 1.0), (pop, 2.0), (other, 3.0)]


async def test_a_message_past_the_size_limit_drops_the_connection_and_the_listener_reconnects(
    engine, ami_listener, anna
) -> None:
    running = await ami_listener()
    await running.pbx.send(b"Event: Flood\r\nX: " + b"y" * 200_000)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while running.pbx.logins < 2:
        assert loop.time() < deadline, "no reconnection after the oversized message"
        await asyncio.sleep(0.02)
    await asyncio.wait_for(running.listener.connected.wait(), 10)
    await running.pbx.send(render(INBOUND_ANSWERED, call_id="1795417200.10"))
    await running.settle(EVENTS_PER_INBOUND)
    assert running.listener.counts()["malformed"] == 1
    assert [r.pbx_call_id for r in stored(engine)[1]] == ["1795417200.10"]


async def test_calls_wait_while_the_database_is_unreachable_and_none_is_lost(
    engine, ami_listener, anna
) -> None:
    from hotline.core.db import make_engine
    from hotline.pbx import recorder as recorder_module

    recorder_module.RETRY_FIRST_SECONDS, first = 0.05, recorder_module.RETRY_FIRST_SECONDS
    running = await ami_listener()
    unreachable = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    running.recorder.engine = unreachable
    try:
        await running.pbx.send(render(INBOUND_ANSWERED, call_id="1795417200.20"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while running.recorder.counts["database_waits"] < 2:
            assert loop.time() < deadline, "the recorder did not wait for the database"
            await asyncio.sleep(0.02)
        running.recorder.engine = engine  # the database is back
        await running.settle(EVENTS_PER_INBOUND)
    finally:
        recorder_module.RETRY_FIRST_SECONDS = first
        unreachable.dispose()
    pops, [record] = stored(engine)
    assert [p.operator_login for p in pops] == ["olga"]
    assert (record.pbx_call_id, record.state) == ("1795417200.20", "ended")
    assert running.recorder.counts.get("failed", 0) == 0


async def test_a_caller_id_with_escapes_bidi_or_150_digits_still_pops_the_operator(
    engine, ami_listener, anna
) -> None:
    """The caller chooses the caller id: one with an escape sequence, a bidi override or 150 digits was
    refused at the pop ("could not write Pop"), so Olga's phone rang and no card opened, a known client's
    included; the record kept it cleaned."""
    running = await ami_listener()
    callers = ["+7916\x1b[2J1234567", "\u202e79161234567", "7" * 150]
    for n, caller in enumerate(callers):
        await running.pbx.send(render(INBOUND_ANSWERED, call_id=f"1795417200.{n}", caller=caller))
    await running.settle(EVENTS_PER_INBOUND * len(callers))
    pops, records = stored(engine)
    assert [(p.operator_login, p.number) for p in pops] == [
        ("olga", "+79161234567"), ("olga", "79161234567"), ("olga", "7" * 100),
    ]  # fmt: skip
    assert [r.client_id for r in records] == [anna, anna, None]
    assert running.listener.counts().get("failed", 0) == 0
