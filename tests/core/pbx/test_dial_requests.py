"""Dial requests after the listener took them: a cloud PBX's first report of the outgoing call takes the
request over (same extension and number, within the window) instead of making a second record; a request
the PBX refused or never reported is ended, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.errors import InvalidInput
from hotline.core.models import CallRecord
from hotline.core.models.enums import Direction
from hotline.core.services.call_records import CallFacts, record_call, request_dial, take_dial_requests
from hotline.core.services.dial_requests import DIAL_MATCH_AFTER, end_dial_request
from tests.conftest import TEST_NOW
from tests.pbx_samples import seed_pbx


@pytest.fixture
def anna(uow_factory) -> int:
    with uow_factory() as uow:
        return seed_pbx(uow)


def taken(uow_factory, number: str = "8 916 123-45-67", login: str = "olga", ext: str = "101", at=TEST_NOW):
    """A dial request made at ``at`` and taken by a listener (state ringing); its call id."""
    clock = FixedClock(at)
    with uow_factory(actor_login=login, clock_=clock) as uow:
        call_id = request_dial(uow, number=number, extension=ext, default_region="RU").pbx_call_id
    with uow_factory(clock_=clock) as uow:
        assert call_id in [r.pbx_call_id for r in take_dial_requests(uow)]
    return call_id


def out(call_id: str = "out_1", *, ext: str | None = "101", number: str = "79161234567", at=TEST_NOW, **more):
    login = {"101": "olga", "102": "ivan"}.get(ext or "")
    facts = {"state": "ringing", "operator_login": login, "extension": ext} | more
    return CallFacts(
        pbx_call_id=call_id, source="webhook:zadarma", direction=Direction.OUT, number=number, started_at=at,
        **facts,
    )  # fmt: skip


def records(uow_factory) -> list[CallRecord]:
    with uow_factory(readonly=True) as uow:
        return list(uow.session.exec(select(CallRecord).order_by(CallRecord.id)))


def test_the_pbx_reports_of_the_call_complete_the_request(uow_factory, anna) -> None:
    taken(uow_factory)
    with uow_factory() as uow:
        first = record_call(uow, facts=out(at=TEST_NOW + timedelta(seconds=20)), default_region="RU")
        assert (first.created, first.changed) == (False, True)
    ended = TEST_NOW + timedelta(seconds=120)
    with uow_factory() as uow:
        facts = out(state="ended", ended_at=ended, duration_seconds=75, outcome="answered")
        record_call(uow, facts=facts, default_region="RU")
    [record] = records(uow_factory)
    assert (record.pbx_call_id, record.source, record.state, record.duration_seconds, record.outcome) == (
        "out_1", "dial", "ended", 75, "answered",
    )  # fmt: skip
    assert (record.operator_login, record.client_id, record.number) == ("olga", anna, "89161234567")


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        (out(ext="102"), "another extension"),
        (out(number="79160000000"), "another number"),
        (out(at=TEST_NOW + DIAL_MATCH_AFTER + timedelta(seconds=1)), "too late"),
        (out(at=TEST_NOW - timedelta(minutes=2)), "before the request"),
        (CallFacts(pbx_call_id="in_1", source="webhook:zadarma", direction=Direction.IN, number="79161234567",
                   started_at=TEST_NOW, state="ringing", extension="101"), "an incoming call"),
        (CallFacts(pbx_call_id="17.1", source="ami", direction=Direction.OUT, number="79161234567",
                   started_at=TEST_NOW, state="ringing", extension="101"), "not a webhook's report"),
    ],
)  # fmt: skip
def test_a_report_that_does_not_match_is_a_call_of_its_own(uow_factory, anna, facts, why) -> None:
    request = taken(uow_factory)
    with uow_factory() as uow:
        assert record_call(uow, facts=facts, default_region="RU").created, why
    assert [r.pbx_call_id for r in records(uow_factory)] == [request, facts.pbx_call_id]


def test_without_an_extension_the_number_must_name_one_request(uow_factory, anna) -> None:
    taken(uow_factory)
    with uow_factory() as uow:
        assert not record_call(uow, facts=out("out_1", ext=None), default_region="RU").created
    olga2 = taken(uow_factory, at=TEST_NOW + timedelta(seconds=30))
    ivan = taken(uow_factory, login="ivan", ext="102", at=TEST_NOW + timedelta(seconds=31))
    with uow_factory() as uow:  # two requests wait for the number: neither is guessed
        assert record_call(uow, facts=out("out_2", ext=None, at=TEST_NOW + timedelta(seconds=40)),
                           default_region="RU").created  # fmt: skip
    with uow_factory() as uow:  # with the extension, the oldest waiting request of that extension
        assert not record_call(uow, facts=out("out_3", ext="102", at=TEST_NOW + timedelta(seconds=40)),
                               default_region="RU").created  # fmt: skip
    ids = {r.pbx_call_id for r in records(uow_factory)}
    assert {"out_1", "out_2", "out_3", olga2} == ids and ivan not in ids


def test_a_request_is_ended_once_and_never_after_the_pbx_took_it_over(uow_factory, anna) -> None:
    refused = taken(uow_factory)
    with uow_factory() as uow:
        assert end_dial_request(uow, pbx_call_id=refused, outcome="failed: HTTP 401: \x1b[2JNot authorized")
    with uow_factory() as uow:
        assert not end_dial_request(uow, pbx_call_id=refused, outcome="not_connected")
    matched = taken(uow_factory, at=TEST_NOW + timedelta(seconds=5))
    with uow_factory() as uow:
        record_call(uow, facts=out(at=TEST_NOW + timedelta(seconds=10)), default_region="RU")
    with uow_factory() as uow:
        assert not end_dial_request(uow, pbx_call_id=matched, outcome="not_connected")
        with pytest.raises(InvalidInput):
            end_dial_request(uow, pbx_call_id="out_1", outcome="failed")
    first, second = records(uow_factory)
    assert (first.state, first.outcome) == ("ended", "failed: HTTP 401: Not authorized")
    assert (second.pbx_call_id, second.state) == ("out_1", "ringing")
