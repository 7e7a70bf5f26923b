"""Click-to-dial through Zadarma's callback API, as the service runs it: ``hotline call listen --webhook``
and ``hotline call dial`` as real processes, a test Zadarma API on loopback that checks the signature.

The listener signs a callback for the operator's extension and the number; Zadarma's NOTIFY_OUT_START and
NOTIFY_OUT_END for the call then complete the same record. A refused, failed or unanswered API request
ends the request as ``failed: <reason>``; a hostile number is refused before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.core.clock import SystemClock
from hotline.core.db import UnitOfWork
from hotline.core.models import CallRecord
from hotline.core.models.enums import Direction
from hotline.core.pbx.webhook import zadarma_signature
from hotline.core.services.call_records import CallFacts, record_call, request_dial
from hotline.pbx.dialer import Dialer
from hotline.pbx.zadarma_dial import ZadarmaCallback
from tests.pbx.conftest import http_request
from tests.pbx.zadarma_api_server import FakeZadarmaApi

HOTLINE = str(Path(sys.executable).parent / "hotline")
MOSCOW = ZoneInfo("Europe/Moscow")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Listening:
    database_url: str
    config: Path
    port: int
    process: asyncio.subprocess.Process
    stderr: str = ""

    async def dial(self, number: str) -> tuple[int, str]:
        """``hotline --operator olga call dial NUMBER`` in its own process: the exit code, and the request's
        call id (else what it said)."""
        process = await asyncio.create_subprocess_exec(
            HOTLINE, "--db", self.database_url, "--config", str(self.config), "--operator", "olga",
            "call", "dial", number, "--json",
            env=_env(self.config.parent), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode is not None
        if process.returncode != 0:
            return process.returncode, out.decode() + err.decode()
        return 0, json.loads(out)["call_id"]

    async def notify(self, form: dict[str, str]) -> int:
        """Post a Zadarma notification signed with the API secret, as Zadarma does."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Signature": zadarma_signature("s3cret", form),
        }
        return (await http_request(self.port, "POST", "/calls", urlencode(form).encode(), headers))[0]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOTLINE_PBX_WEBHOOK_SECRET": "s3cret", "XDG_CONFIG_HOME": str(home)}


@contextlib.asynccontextmanager
async def listening(database_url: str, tmp_path: Path, api: FakeZadarmaApi) -> AsyncIterator[Listening]:
    """``hotline call listen --no-ami --webhook`` with Zadarma's API at ``api``; stopped with SIGTERM."""
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        'timezone = "Europe/Moscow"\n[pbx.extensions]\n"101" = "olga"\n"102" = "ivan"\n'
        f'[pbx.webhook]\nport = {port}\nformat = "zadarma"\n'
        f'[pbx.webhook.api]\nurl = "{api.url}"\nkey = "k1"\ntimeout_seconds = 2\n'
    )
    process = await asyncio.create_subprocess_exec(
        HOTLINE, "--db", database_url, "--config", str(config), "call", "listen", "--no-ami", "--webhook",
        env=_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    running = Listening(database_url, config, port, process)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while True:  # Zadarma's own check of the URL: it answers once the listener is up
            try:
                if await http_request(port, "GET", "/calls?zd_echo=up") == (200, b"up"):
                    break
            except OSError:
                pass
            assert process.returncode is None and loop.time() < deadline, "the listener did not start"
            await asyncio.sleep(0.1)
        yield running
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        running.stderr = stderr.decode()
        assert process.returncode == 0, running.stderr
        assert "Traceback" not in running.stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def until(predicate, timeout: float = 30.0):
    """``predicate()`` once it is true, tried every 100 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return value


def all_records(engine) -> list[CallRecord]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(uow.session.exec(select(CallRecord).order_by(CallRecord.id)))


def dial_here(engine, number: str) -> str:
    """What ``hotline call dial`` does, in this process (the same service): the request's call id."""
    with UnitOfWork(engine, actor_login="olga", clock=SystemClock()) as uow:
        return request_dial(uow, number=number, extension="101", default_region="RU").pbx_call_id


def record_ended(engine, record_id: int) -> CallRecord | None:
    with UnitOfWork(engine, readonly=True) as uow:
        record = uow.session.get(CallRecord, record_id)
        return record if record is not None and record.state == "ended" else None


def request_ended(engine, call_id: str) -> CallRecord | None:
    with UnitOfWork(engine, readonly=True) as uow:
        record = uow.session.exec(select(CallRecord).where(CallRecord.pbx_call_id == call_id)).one()
        return record if record.state == "ended" else None


async def test_dial_calls_zadarma_and_its_notifications_complete_the_same_record(
    database_url, engine, anna, tmp_path
) -> None:
    with FakeZadarmaApi() as api:
        async with listening(database_url, tmp_path, api) as running:
            code, output = await running.dial("8 916 123-45-67")
            assert code == 0, output
            [request] = await until(lambda: api.requests)
            assert request.path == "/v1/request/callback/" and request.authorized
            assert request.params == {"from": "101", "to": "79161234567", "format": "json"}
            [dialled] = await until(lambda: [r for r in all_records(engine) if r.state == "ringing"])
            start = datetime.now(MOSCOW).strftime("%Y-%m-%d %H:%M:%S")
            common = {"call_start": start, "pbx_call_id": "out_7c1f", "internal": "101",
                      "destination": "79161234567"}  # fmt: skip
            assert await running.notify({"event": "NOTIFY_OUT_START", **common}) == 204
            await until(lambda: all_records(engine)[0].pbx_call_id == "out_7c1f")
            end = {"event": "NOTIFY_OUT_END", **common, "caller_id": "74959263781", "duration": "75",
                   "disposition": "answered", "status_code": "16", "is_recorded": "0"}  # fmt: skip
            assert await running.notify(end) == 204
            done = await until(lambda: record_ended(engine, dialled.id))
        assert [r.id for r in all_records(engine)] == [dialled.id]  # no second record
    assert (done.pbx_call_id, done.direction, done.operator_login, done.extension, done.client_id) == (
        "out_7c1f", "out", "olga", "101", anna,
    )  # fmt: skip
    assert (done.duration_seconds, done.outcome, done.number, done.source) == (
        75,
        "answered",
        "89161234567",
        "dial",
    )
    assert "dialled 1" in running.stderr and "dial_refused 0" in running.stderr


async def test_refusals_failures_and_timeouts_end_the_request_failed_with_the_reason(
    database_url, engine, anna, tmp_path
) -> None:
    with FakeZadarmaApi() as api:
        async with listening(database_url, tmp_path, api) as running:
            outcomes = []
            for mode in ("error", "http500", "slow", "bad key"):
                api.mode = mode
                api.key = "other" if mode == "bad key" else "k1"
                asked = len(api.requests)
                call_id = dial_here(engine, "+7 916 123-45-67")
                ended = await until(lambda id_=call_id: request_ended(engine, id_), 30)
                assert len(api.requests) == asked + 1  # one request each, never retried
                outcomes.append(ended.outcome)
            # Hostile numbers: refused before anything is sent.
            api.mode, api.key = "success", "k1"
            code, output = await running.dial("'; rm -rf / #")
            assert code == 2 and "not a phone number" in output
            too_long = dial_here(engine, "+7 916 123-45-67 00000")  # 16 digits: too many for Zadarma
            hostile = CallFacts(
                pbx_call_id="hotline-dial-hostile", source="dial", direction=Direction.OUT,
                number="+7916;rm -rf /", started_at=SystemClock().now(), state="dialing",
                operator_login="olga", extension="101",
            )  # fmt: skip
            with UnitOfWork(engine) as uow:  # a request not written by request_dial
                record_call(uow, facts=hostile, default_region="RU")
            for call_id in (too_long, "hotline-dial-hostile"):
                outcomes.append((await until(lambda id_=call_id: request_ended(engine, id_), 10)).outcome)
            assert len(api.requests) == 4
    assert outcomes[:4] == [
        "failed: Wrong number format",
        "failed: HTTP 500",
        "failed: no answer from Zadarma in 2 s",
        "failed: HTTP 401: Not authorized",
    ]
    # The reason, cut to the outcome's 50 characters (the listener's log has it whole).
    assert outcomes[4] == "failed: not a number Zadarma can dial: '+791612345"
    assert outcomes[5] == "failed: not a number Zadarma can dial: '+7916;rm -"
    assert "dial_refused 6" in running.stderr


async def test_a_request_zadarma_took_but_never_reported_ends_not_connected(engine, anna) -> None:
    """In-process, with the window shortened: no NOTIFY_OUT_START came, so the call never started."""
    clock = SystemClock()
    with FakeZadarmaApi() as api:
        from hotline.core.settings import WebhookApiSettings

        backend = ZadarmaCallback(
            api=WebhookApiSettings(url=api.url, key="k1", timeout_seconds=10), secret="s3cret",
            default_region="RU",
        )  # fmt: skip
        backend.confirm_within = 0.3
        dialer = Dialer(backend=backend, engine=engine, clock=clock)
        task = asyncio.ensure_future(dialer.run())
        try:
            with UnitOfWork(engine, actor_login="olga", clock=clock) as uow:
                record_id = request_dial(uow, number="+79161234567", extension="101", default_region="RU").id
            ended = await until(lambda: record_ended(engine, record_id), 15)
            await until(lambda: dialer.not_connected, 5)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert [r.authorized for r in api.requests] == [True]
    assert ended.outcome == "not_connected" and ended.ended_at - ended.started_at < timedelta(seconds=15)
    assert dialer.counts() == {"dialled": 1, "dial_refused": 0, "dial_not_connected": 1}


async def test_without_the_api_secret_the_listener_does_not_start(engine, monkeypatch) -> None:
    from hotline.core.errors import ConfigError
    from hotline.core.settings import PbxSettings, Settings, WebhookApiSettings, WebhookSettings
    from hotline.pbx.service import listen

    monkeypatch.setenv("HOTLINE_PBX_WEBHOOK_SECRET", "s3cret")
    monkeypatch.delenv("HOTLINE_ZADARMA_API_SECRET", raising=False)
    api = WebhookApiSettings(key="k1", secret_env="HOTLINE_ZADARMA_API_SECRET")
    settings = Settings(pbx=PbxSettings(webhook=WebhookSettings(port=0, format="zadarma", api=api)))
    with pytest.raises(ConfigError, match=r"\$HOTLINE_ZADARMA_API_SECRET"):
        await listen(
            engine=engine,
            settings=settings,
            clock=SystemClock(),
            ami=False,
            webhook=True,
            stop=asyncio.Event(),
        )
