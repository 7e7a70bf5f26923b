"""A webhook's 400 names what is wrong with the field: too long is not "missing" nor "not a string"."""

from __future__ import annotations

import json

import pytest

from hotline.core.pbx.webhook import WebhookRefused, check_zadarma_request, parse_hotline_event


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"id": "x" * 600}, "id: at most 500 characters (this one has 600)"),
        ({"number": "1" * 600}, "number: at most 500 characters (this one has 600)"),
        ({"id": "   "}, "id: missing or blank"),
        ({"id": None}, "id: missing or blank"),
        ({"id": ["e1"]}, "id: a string is needed"),
    ],
)
def test_a_hotline_event_field_is_refused_for_what_is_wrong_with_it(extra: dict, says: str) -> None:
    event = {"id": "e1", "call_id": "c1", "event": "ringing", "at": 1795417200} | extra
    with pytest.raises(WebhookRefused) as refused:
        parse_hotline_event(json.dumps(event).encode())
    assert (refused.value.status, refused.value.message) == (400, says)


def test_a_zadarma_call_id_too_long_is_not_called_missing() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from hotline.core.pbx.webhook import zadarma_signature

    form = {"event": "NOTIFY_START", "call_start": "2026-11-23 10:00:00", "pbx_call_id": "x" * 200,
            "caller_id": "79161234567", "called_did": "74959263781"}  # fmt: skip
    headers = {"signature": zadarma_signature("s", form)}
    now = datetime(2026, 11, 23, 7, 0, 10, tzinfo=UTC)
    with pytest.raises(WebhookRefused) as refused:
        check_zadarma_request(headers, form, secret="s", zone=ZoneInfo("Europe/Moscow"), now=now)
    assert refused.value.message == "pbx_call_id: at most 128 characters (this one has 200)"
    del form["pbx_call_id"]
    with pytest.raises(WebhookRefused) as refused:
        check_zadarma_request(
            {"signature": zadarma_signature("s", form)},
            form,
            secret="s",
            zone=ZoneInfo("Europe/Moscow"),
            now=now,
        )
    assert refused.value.message == "pbx_call_id: missing"


def test_a_zadarma_call_started_in_the_repeated_hour_is_read_on_the_pass_it_came_in() -> None:
    """Berlin's clocks go back at 03:00 on 25 October 2026: a call_start of 02:30 arriving at 02:30
    winter time (01:30 UTC) was read as summer time, an hour before it rang: the record's start and the
    pop's timer an hour out. The pass nearest the notification's arrival is taken."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from hotline.core.pbx.webhook import zadarma_signature

    form = {"event": "NOTIFY_START", "call_start": "2026-10-25 02:30:00", "pbx_call_id": "in_1",
            "caller_id": "79161234567", "called_did": "74959263781"}  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")
    for arrived, started in (
        (datetime(2026, 10, 25, 1, 30, 2, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 0, 30, 2, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ):
        event = check_zadarma_request(
            {"signature": zadarma_signature("s", form)}, form, secret="s", zone=berlin, now=arrived
        )
        assert event.at == started


def test_a_transfer_without_its_target_is_a_400_naming_it() -> None:
    """A "transferred" event without ``transferred_to`` was answered 204 and recorded nothing of the
    transfer (the call ended "answered", not "transferred")."""
    event = {"id": "e1", "call_id": "c1", "event": "transferred", "at": 1795417200}
    with pytest.raises(WebhookRefused) as refused:
        parse_hotline_event(json.dumps(event).encode())
    assert (refused.value.status, refused.value.message) == (400, "transferred_to: missing or blank")
    taken = parse_hotline_event(json.dumps(event | {"transferred_to": "102"}).encode())
    assert taken.transferred_to == "102"
