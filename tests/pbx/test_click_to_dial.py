"""Click-to-dial: a dial request becomes an AMI Originate with the record's id as the channel id, and
the PBX's events for that channel complete the same record; a refused or stale request ends failed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.models import CallRecord, ScreenPop
from hotline.core.services.call_records import request_dial, take_dial_requests
from tests.conftest import TEST_NOW
from tests.pbx.ami_captures import OUTBOUND_ORIGINATED, render


def dial(
    engine, clock, number: str = "+7 916 123-45-67", login: str = "olga", ext: str | None = "101"
) -> str:
    with UnitOfWork(engine, actor_login=login, clock=clock) as uow:
        return request_dial(uow, number=number, extension=ext, default_region="RU").pbx_call_id


async def wait_for(predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def record(engine, call_id: str) -> CallRecord:
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.session.exec(select(CallRecord).where(CallRecord.pbx_call_id == call_id)).one()


async def test_dialling_originates_and_the_call_is_tracked_like_an_incoming_one(
    engine, clock, ami_listener, anna
) -> None:
    running = await ami_listener()

    async def answer(action: dict[str, str]) -> None:
        wire = render(OUTBOUND_ORIGINATED, call_id=action["ChannelId"], number=action["Exten"])
        await running.pbx.send(wire)

    running.pbx.on_originate = answer
    call_id = dial(engine, clock)
    await wait_for(lambda: record(engine, call_id).state == "ended")
    [originate] = [a for a in running.pbx.actions if a.get("Action") == "Originate"]
    assert (originate["Channel"], originate["Exten"], originate["Context"], originate["ChannelId"]) == (
        "PJSIP/101", "+79161234567", "from-internal", call_id,
    )  # fmt: skip
    done = record(engine, call_id)
    assert (done.direction, done.operator_login, done.number, done.client_id) == (
        "out",
        "olga",
        "+79161234567",
        anna,
    )
    assert (done.duration_seconds, done.outcome) == (137, "answered")
    with UnitOfWork(engine, readonly=True) as uow:
        assert list(uow.session.exec(select(ScreenPop))) == []  # her own phone ringing pops nothing


async def test_a_refused_originate_ends_the_request_failed(engine, clock, ami_listener, anna) -> None:
    running = await ami_listener()
    call_id = dial(engine, clock, number="0")  # the fake PBX answers Success; make the listener's channel bad
    running.listener.originate.ami = running.listener.ami.model_copy(
        update={"originate_channel": "PJSIP/{extension}\r\nX"}
    )
    await wait_for(lambda: record(engine, call_id).state == "ended")
    assert record(engine, call_id).outcome.startswith("failed: ")  # and why, on the card's timeline


def test_dial_requests_are_checked_and_expire(engine, clock, anna) -> None:
    with pytest.raises(InvalidInput, match=r"\[pbx.extensions\]"):
        dial(engine, clock, ext=None)
    with pytest.raises(InvalidInput, match="NUMBER"):
        dial(engine, clock, number="call me")
    with pytest.raises(PermissionDenied), UnitOfWork(engine, clock=clock) as uow:
        request_dial(uow, number="123", extension="101", default_region="RU")
    stale = dial(engine, clock)
    later = FixedClock(TEST_NOW + timedelta(minutes=5))
    fresh = dial(engine, later)
    with UnitOfWork(engine, clock=later) as uow:
        assert [r.pbx_call_id for r in take_dial_requests(uow)] == [fresh]
    with UnitOfWork(engine, clock=later) as uow:
        assert take_dial_requests(uow) == []  # taken once
    assert (record(engine, stale).state, record(engine, stale).outcome) == ("ended", "expired")
