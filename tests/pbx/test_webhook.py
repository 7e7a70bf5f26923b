"""The webhook endpoint: signed events become pops and records; wrong signatures, replays, stale times and
bad bodies are refused with nothing written; Zadarma's published notifications are understood."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.models import CallRecord, ScreenPop
from hotline.core.pbx.webhook import hotline_signature, zadarma_signature
from tests.conftest import TEST_NOW
from tests.pbx.conftest import http_request

NOW = int(TEST_NOW.timestamp())


def signed(event: dict, *, secret: str = "s3cret", at: int = NOW) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hotline-Timestamp": str(at),
        "X-Hotline-Signature": hotline_signature(secret, str(at), body),
    }
    return body, headers


def stored(engine) -> tuple[list[ScreenPop], list[CallRecord]]:
    with UnitOfWork(engine, readonly=True) as uow:
        return (
            list(uow.session.exec(select(ScreenPop).order_by(ScreenPop.id))),
            list(uow.session.exec(select(CallRecord).order_by(CallRecord.id))),
        )


def event(n: int, kind: str, **extra) -> dict:
    at = (TEST_NOW + timedelta(seconds=n)).isoformat()
    return {"id": f"e{n}", "call_id": "cloud-1", "event": kind, "number": "+79161234567", "at": at} | extra


async def test_signed_events_pop_the_operator_and_record_the_call(engine, webhook, anna) -> None:
    running = await webhook()
    for body, headers in (
        signed(event(0, "ringing", extension="101")),
        signed(event(4, "answered", extension="101")),
        signed(
            event(130, "ended", duration=126, outcome="answered", recording="https://pbx.example/r/1.mp3")
        ),
    ):
        assert (await running.post("/calls", body, headers))[0] == 204
    await running.recorder.drain()
    pops, [record] = stored(engine)
    assert [(p.operator_login, p.number, p.campaign) for p in pops] == [("olga", "+79161234567", None)]
    assert (record.pbx_call_id, record.operator_login, record.client_id, record.state) == (
        "cloud-1", "olga", anna, "ended",
    )  # fmt: skip
    assert (record.duration_seconds, record.recording, record.source) == (
        126, "https://pbx.example/r/1.mp3", "webhook:hotline",
    )  # fmt: skip
    assert record.started_at == TEST_NOW


async def test_bad_signatures_replays_and_bad_bodies_are_refused(engine, webhook, anna) -> None:
    running = await webhook()
    body, headers = signed(event(0, "ringing", extension="101"), secret="guess")
    assert (await running.post("/calls", body, headers))[0] == 401
    assert (await running.post("/calls", body, {}))[0] == 401
    good = signed(event(0, "ringing", extension="101"))
    assert (await running.post("/calls", *good))[0] == 204
    assert (await running.post("/calls", *good))[0] == 409  # the same event again
    stale = signed(event(1, "answered", extension="101"), at=NOW - 3600)
    assert (await running.post("/calls", *stale))[0] == 409
    tampered_body, tampered_headers = signed(event(2, "answered", extension="101"))
    tampered = tampered_body.replace(b"101", b"102")
    assert (await running.post("/calls", tampered, tampered_headers))[0] == 401
    not_json = b"{not json"
    headers = {
        "X-Hotline-Timestamp": str(NOW),
        "X-Hotline-Signature": hotline_signature("s3cret", str(NOW), not_json),
    }
    assert (await running.post("/calls", not_json, headers))[0] == 400
    assert (
        await running.post("/calls", *signed({"id": "x", "call_id": "c", "event": "exploded", "at": NOW}))
    )[0] == 400
    assert (await running.post("/elsewhere", *good))[0] == 404
    assert (await http_request(running.endpoint.port, "GET", "/calls"))[0] == 405
    huge = b"x" * 70_000
    assert (await running.post("/calls", huge, {}))[0] == 413
    garbage_status, _ = await http_request(running.endpoint.port, "BREW", "\x00 nonsense")
    assert garbage_status in (400, 404)
    # An unknown extension is taken but pops nobody.
    assert (await running.post("/calls", *signed(event(9, "ringing", extension="555", call_id="c-2"))))[
        0
    ] == 204
    await running.recorder.drain()
    pops, _ = stored(engine)
    assert [p.operator_login for p in pops] == ["olga"]
    counts = running.endpoint.counts
    assert counts["bad_signature"] == 3 and counts["replayed"] == 2 and counts["accepted"] == 2


async def test_zadarma_notifications_are_understood(engine, webhook, anna) -> None:
    running = await webhook("zadarma")
    assert await http_request(running.endpoint.port, "GET", "/calls?zd_echo=abc123") == (200, b"abc123")
    start = "2026-11-23 10:00:00"  # Moscow time: TEST_NOW
    common = {
        "call_start": start,
        "pbx_call_id": "in_5f7a",
        "caller_id": "79161234567",
        "called_did": "74959263781",
    }
    steps = [
        {"event": "NOTIFY_START", **common},
        {"event": "NOTIFY_INTERNAL", **common, "internal": "101"},
        {"event": "NOTIFY_ANSWER", "call_start": start, "pbx_call_id": "in_5f7a", "caller_id": "79161234567",
         "destination": "101", "internal": "101"},
        {"event": "NOTIFY_END", **common, "internal": "101", "duration": "75", "disposition": "answered",
         "status_code": "16", "is_recorded": "1", "call_id_with_rec": "1763881200.4321"},
    ]  # fmt: skip
    from urllib.parse import urlencode

    for form in steps:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Signature": zadarma_signature("s3cret", form),
        }
        assert (await running.post("/calls", urlencode(form).encode(), headers))[0] == 204, form["event"]
    forged = {"event": "NOTIFY_INTERNAL", **common, "internal": "102"}
    bad = {"Signature": zadarma_signature("other", forged)}
    assert (await running.post("/calls", urlencode(forged).encode(), bad))[0] == 401
    await running.recorder.drain()
    pops, [record] = stored(engine)
    assert [(p.operator_login, p.campaign) for p in pops] == [("olga", "TV-NOV")]  # called_did is its number
    assert (record.pbx_call_id, record.operator_login, record.duration_seconds, record.outcome) == (
        "in_5f7a", "olga", 75, "answered",
    )  # fmt: skip
    assert record.recording == "zadarma:1763881200.4321" and record.started_at == TEST_NOW


def test_zadarma_signature_is_base64_of_the_hex_hmac_sha1() -> None:
    """As Zadarma's PHP examples make it: base64_encode(hash_hmac('sha1', caller_id.called_did.call_start, secret))."""
    import base64
    import hashlib
    import hmac

    form = {
        "event": "NOTIFY_START",
        "caller_id": "79161234567",
        "called_did": "74959263781",
        "call_start": "2026-11-23 10:00:00",
    }
    hexed = hmac.new(b"key", b"79161234567749592637812026-11-23 10:00:00", hashlib.sha1).hexdigest()
    assert zadarma_signature("key", form) == base64.b64encode(hexed.encode()).decode()


async def test_the_number_dialled_names_the_campaign_of_the_pop(engine, webhook, anna) -> None:
    running = await webhook()
    for n, dialled in enumerate(("8 (495) 926-37-81", "74950000000", "\x1b[2J")):
        ring = event(n, "ringing", extension="101", call_id=f"cloud-{n}", dialled=dialled)
        assert (await running.post("/calls", *signed(ring)))[0] == 204
    await running.recorder.drain()
    pops, _ = stored(engine)
    assert [p.campaign for p in pops] == ["TV-NOV", None, None]  # an unknown or hostile number: none


async def test_a_field_no_call_record_holds_is_a_400_naming_it_and_nothing_is_written(
    engine, webhook, anna, caplog
) -> None:
    """A duration of 10**30 was an unhandled OverflowError (no answer at all, a traceback in the log); a
    week's duration, a 200-character call id or a time in year 1 were answered 204 and then refused by the
    writer (the call lost) or stored as they came; a 150-digit or escape-laden number lost the pop."""
    from urllib.parse import urlencode

    running = await webhook()
    hostile = {
        "duration": event(1, "ended", call_id="c-1", duration=10**30),
        "duration ": event(2, "ended", call_id="c-2", duration=86_401),
        "call_id": event(3, "ringing", call_id="c" * 129, extension="101"),
        "number": event(4, "ringing", call_id="c-4", number="7" * 101, extension="101"),
        "number ": event(5, "ringing", call_id="c-5", number="+7916\x1b[2J1234567", extension="101"),
        "at": event(6, "ended", call_id="c-6", at="0001-01-02T00:00:00+00:00", duration=5),
        "extension": event(7, "ringing", call_id="c-7", extension="1" * 33),
        "outcome": event(8, "ended", call_id="c-8", outcome="x" * 51),
    }
    for field, body in hostile.items():
        status, answer = await running.post("/calls", *signed(body))
        assert (status, json.loads(answer)["error"].split(":")[0].split(" ")[0]) == (400, field.strip())
    zadarma = await webhook("zadarma")
    form = {"event": "NOTIFY_END", "call_start": "2026-11-23 10:00:00", "pbx_call_id": "in_1",
            "caller_id": "79161234567", "called_did": "74959263781", "internal": "101", "duration": "9" * 30}  # fmt: skip
    headers = {"Signature": zadarma_signature("s3cret", form)}
    assert (await zadarma.post("/calls", urlencode(form).encode(), headers))[0] == 400
    await running.recorder.drain()
    await zadarma.recorder.drain()
    assert stored(engine) == ([], [])
    assert "Unhandled exception" not in caplog.text
    nested = b"[" * 60_000
    headers = {
        "X-Hotline-Timestamp": str(NOW),
        "X-Hotline-Signature": hotline_signature("s3cret", str(NOW), nested),
    }
    assert await running.post("/calls", nested, headers) == (400, b'{"error": "the body is nested too deep"}')
    assert running.endpoint.counts["bad_request"] == len(hostile) + 1
    assert (await running.post("/calls", *signed(event(9, "ended", call_id="c-9", duration=86_400))))[
        0
    ] == 204


def zadarma_post(form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    from urllib.parse import urlencode

    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Signature": zadarma_signature("s3cret", form),
    }
    return urlencode(form).encode(), headers


async def test_an_extension_ringing_twice_in_one_zadarma_call_is_not_a_replay(engine, webhook, anna) -> None:
    """Zadarma's notifications carry no event id (NOTIFY_INTERNAL: event, call_start, pbx_call_id,
    caller_id, called_did, internal), so a call back from the menu ringing 101 again is the very same
    notification: it was refused 409 as a replay (a warning logged, Zadarma told it failed). The same
    notification again is answered 204 and changes nothing (101 popped once for the call)."""
    running = await webhook("zadarma")
    ring = {"event": "NOTIFY_INTERNAL", "call_start": "2026-11-23 10:00:00", "pbx_call_id": "in_77",
            "caller_id": "79161234567", "called_did": "74959263781", "internal": "101"}  # fmt: skip
    for _ in range(2):
        assert (await running.post("/calls", *zadarma_post(ring)))[0] == 204
    await running.recorder.drain()
    pops, [record] = stored(engine)
    assert [p.operator_login for p in pops] == ["olga"]
    assert record.state == "ringing"
    counts = running.endpoint.counts
    assert (counts["accepted"], counts["repeated"], counts["replayed"]) == (1, 1, 0)


async def test_a_replay_after_a_restart_or_to_a_second_listener_is_refused(
    engine, webhook, anna, uow_factory
) -> None:
    """The ids seen were kept in memory only: the same signed ``ringing`` replayed within the window
    after the listener restarted was taken again and popped the operator's console again, and two
    listeners each took it. Now the database remembers taken events for the window."""
    import asyncio

    from hotline.core.services.webhook_events import forget_events_before, take_event

    first = await webhook()
    ring = signed(event(1, "ringing", extension="101", call_id="cloud-r"))
    assert (await first.post("/calls", *ring))[0] == 204
    await first.recorder.drain()
    await first.endpoint.close()
    restarted = await webhook()
    assert (await restarted.post("/calls", *ring))[0] == 409
    two = [await webhook(), await webhook()]
    again = signed(event(2, "ringing", extension="101", call_id="cloud-s"))
    answers = await asyncio.gather(*(listener.post("/calls", *again) for listener in two))
    assert sorted(status for status, _ in answers) == [204, 409]
    for listener in (restarted, *two):
        await listener.recorder.drain()
    pops, _ = stored(engine)
    assert [p.operator_login for p in pops] == ["olga", "olga"]  # one per call
    with uow_factory() as uow:  # past the window they are forgotten (a replay is then refused by its time)
        assert forget_events_before(uow, TEST_NOW + timedelta(minutes=11)) == 2
        assert take_event(uow, "hotline\x1fcloud-r\x1fe1")


async def test_a_ring_reported_after_the_calls_end_pops_nobody(engine, webhook, anna) -> None:
    """Events out of order (a PBX's retry queue delivering the ring after the hang-up): the late ring
    opened the caller's card in olga's console as a live call, minutes after the caller had gone. An event
    for a call already ended is now answered 204, counted and logged, and changes nothing."""
    running = await webhook()
    for body, headers in (
        signed(event(0, "ringing", extension="102")),
        signed(event(20, "ended", duration=0, outcome="no_answer")),
        signed(event(1, "ringing", extension="101")),
        signed(event(2, "answered", extension="101")),
    ):
        assert (await running.post("/calls", body, headers))[0] == 204
    await running.recorder.drain()
    pops, [record] = stored(engine)
    assert [p.operator_login for p in pops] == ["ivan"]
    assert (record.state, record.operator_login, record.answered_at) == ("ended", "ivan", None)
    assert running.endpoint.counts["after_the_end"] == 2


async def test_a_body_without_a_plain_content_length_is_named_and_not_taken(engine, webhook, anna) -> None:
    """No Content-Length (a chunked body) was a 413 "Payload Too Large" for a 5-byte body; a length
    Python's int() reads but HTTP does not ("0_300", "+300") was taken, and of two Content-Lengths the
    last won (what a proxy in front may have read otherwise): each is now refused, nothing written."""
    import asyncio

    running = await webhook()
    body, headers = signed(event(0, "ringing", extension="101"))
    signature = "".join(f"{key}: {value}\r\n" for key, value in headers.items())

    async def raw(head: str) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.endpoint.port)
        writer.write(f"POST /calls HTTP/1.1\r\nHost: x\r\n{head}{signature}\r\n".encode() + body)
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return int(response.split(b" ", 2)[1]), response.split(b"\r\n\r\n", 1)[1]

    chunked = await raw("Transfer-Encoding: chunked\r\n")
    assert chunked == (411, b'{"error": "a body with its Content-Length is needed (no chunked encoding)"}')
    for length in (f"0_{len(body)}", f"+{len(body)}", f" {len(body)} x"):
        assert await raw(f"Content-Length: {length}\r\n") == (
            400, b'{"error": "Content-Length: a number of bytes is needed"}',
        )  # fmt: skip
    assert (await raw(f"Content-Length: 5\r\nContent-Length: {len(body)}\r\n"))[0] == 400
    await running.recorder.drain()
    assert stored(engine) == ([], [])


async def test_an_event_said_to_happen_in_the_future_is_refused(engine, webhook, anna) -> None:
    """A signed event whose ``at`` was years ahead (a PBX clock or a template gone wrong: 2999-01-01) was
    taken: a call record starting in 2999, on top of the caller's timeline for good. An event later than
    the replay window past now is a 400 naming ``at``; one within it (a clock a little ahead) is taken."""
    running = await webhook()
    ahead = event(0, "ringing", extension="101") | {"at": "2999-01-01T00:00:00+00:00"}
    status, body = await running.post("/calls", *signed(ahead))
    assert (status, json.loads(body)) == (400, {"error": "at: later than now (the PBX's clock?)"})
    a_little = event(1, "ringing", extension="101") | {"at": (TEST_NOW + timedelta(seconds=200)).isoformat()}
    assert (await running.post("/calls", *signed(a_little)))[0] == 204
    await running.recorder.drain()
    _, [record] = stored(engine)
    assert record.started_at == TEST_NOW + timedelta(seconds=200)


async def test_a_call_answered_before_a_restart_ends_answered(engine, webhook, anna) -> None:
    """The listener restarted during a call: the new one heard only "ended" (no outcome, no duration),
    guessed "no_answer" and the record, up since the answer, ended unanswered with no talk time. An end
    the listener cannot judge now leaves the answer the record holds standing."""
    first = await webhook()
    for body, headers in (
        signed(event(0, "ringing", extension="101")),
        signed(event(4, "answered", extension="101")),
    ):
        assert (await first.post("/calls", body, headers))[0] == 204
    await first.recorder.drain()
    second = await webhook()  # the restarted listener: nothing of the call in memory
    assert (await second.post("/calls", *signed(event(130, "ended"))))[0] == 204
    await second.recorder.drain()
    _, [record] = stored(engine)
    assert (record.state, record.outcome, record.duration_seconds) == ("ended", "answered", 126)


async def test_a_ring_after_the_end_is_late_after_a_restart_too(engine, webhook, anna) -> None:
    """A restarted listener had forgotten which calls had ended: a ring delivered late opened a live card
    for a caller long gone. The call's record says it ended."""
    first = await webhook()
    for body, headers in (
        signed(event(0, "ringing", extension="101")),
        signed(event(20, "ended", duration=0)),
    ):
        assert (await first.post("/calls", body, headers))[0] == 204
    await first.recorder.drain()
    second = await webhook()
    assert (await second.post("/calls", *signed(event(1, "ringing", extension="102"))))[0] == 204
    await second.recorder.drain()
    pops, [record] = stored(engine)
    assert [p.operator_login for p in pops] == ["olga"] and record.state == "ended"
    assert second.endpoint.counts["after_the_end"] == 1
