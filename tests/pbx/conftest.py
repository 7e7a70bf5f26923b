"""Fixtures of the PBX adapter tests: a database with the PBX staff, a listener on a test AMI server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from hotline.core.attribution import Attributions, CampaignConfig
from hotline.core.db import UnitOfWork
from hotline.core.settings import AmiSettings
from hotline.pbx.listener import AmiListener
from hotline.pbx.recorder import CallRecorder
from hotline.pbx.webhook import WebhookEndpoint
from tests.pbx.ami_server import FakeAsterisk
from tests.pbx_samples import EXTENSIONS, seed_pbx


@pytest.fixture
def anna(engine, clock) -> int:
    """The PBX staff (olga at 101, ivan at 102) and the client Anna Petrova; her id."""
    with UnitOfWork(engine, clock=clock) as uow:
        return seed_pbx(uow)


@dataclass
class Running:
    pbx: FakeAsterisk
    listener: AmiListener
    recorder: CallRecorder
    stop: asyncio.Event
    task: asyncio.Future[None]

    async def settle(self, events: int, timeout: float = 10.0) -> None:
        """Wait until the listener has read ``events`` events and the recorder has written them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.listener.tracker.counts["events"] < events:
            assert loop.time() < deadline, (
                f"only {self.listener.tracker.counts['events']} of {events} events read"
            )
            await asyncio.sleep(0.01)
        await asyncio.wait_for(self.recorder.drain(), timeout)


@pytest.fixture
async def ami_listener(engine, clock, anna) -> AsyncIterator[Callable[..., Running]]:
    """``await start(secret=...)``: a test AMI server and a listener logged in to it."""
    started: list[Running] = []

    async def start(secret: str = "s3cret", wait: bool = True, on_written=None) -> Running:
        pbx = await FakeAsterisk().__aenter__()
        recorder = CallRecorder(engine=engine, clock=clock, default_region="RU", on_written=on_written)
        settings = AmiSettings(port=pbx.port, reconnect_max_seconds=0.2)
        listener = AmiListener(
            ami=settings, secret=secret, extensions=EXTENSIONS, recorder=recorder, clock=clock
        )
        stop = asyncio.Event()
        writer = asyncio.ensure_future(recorder.run(stop))
        task = asyncio.ensure_future(asyncio.gather(listener.run_forever(stop), writer))
        running = Running(pbx, listener, recorder, stop, task)
        started.append(running)
        if wait:
            await asyncio.wait_for(listener.connected.wait(), 10)
        return running

    yield start
    for running in started:
        running.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running.task, 10)
        await running.pbx.__aexit__()


@dataclass
class RunningWebhook:
    endpoint: WebhookEndpoint
    recorder: CallRecorder
    stop: asyncio.Event
    task: asyncio.Future[None]

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST on loopback with a plain HTTP/1.1 client; the status and the body."""
        return await http_request(self.endpoint.port, "POST", path, body, headers)


async def http_request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{key}: {value}\r\n" for key, value in (headers or {}).items())
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status = int(response.split(b" ", 2)[1])
    return status, response.split(b"\r\n\r\n", 1)[1]


CAMPAIGN_LINE = Attributions(
    sources=("TV",), campaigns=(CampaignConfig(code="TV-NOV", source="TV", dialled=["+7 495 926-37-81"]),)
)
"""The number the test calls dial (74959263781) is printed in the TV-NOV campaign."""


@pytest.fixture
async def webhook(engine, clock, anna) -> AsyncIterator[Callable[..., RunningWebhook]]:
    """``await start(shape)``: the endpoint on a free loopback port with the secret ``s3cret``."""
    started: list[RunningWebhook] = []

    async def start(shape: str = "hotline") -> RunningWebhook:
        recorder = CallRecorder(engine=engine, clock=clock, default_region="RU", attributions=CAMPAIGN_LINE)
        endpoint = WebhookEndpoint(
            host="127.0.0.1", port=0, secret="s3cret", shape=shape, extensions=EXTENSIONS,
            zone=ZoneInfo("Europe/Moscow"), max_age_seconds=300, recorder=recorder, clock=clock,
        )  # fmt: skip
        await endpoint.start()
        stop = asyncio.Event()
        running = RunningWebhook(endpoint, recorder, stop, asyncio.ensure_future(recorder.run(stop)))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop.set()
        await running.endpoint.close()
        await asyncio.wait_for(running.task, 10)
