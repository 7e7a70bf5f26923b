"""``hotline call listen`` for Asterisk: stay connected to the AMI, turn its events into pops and records.

Reconnects with back-off (1 s doubling to ``reconnect_max_seconds``) when the PBX goes away or breaks
the framing; a refused login stops the listener (exit 1): retrying a wrong secret helps nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from hotline.core.errors import Unavailable
from hotline.core.pbx.ami import AmiMessage, MalformedMessage
from hotline.core.pbx.ami_calls import CallTracker
from hotline.pbx.ami_client import AmiConnection, AmiLoginRefused
from hotline.pbx.dialer import AmiOriginate, Dialer

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.settings import AmiSettings
    from hotline.pbx.recorder import CallRecorder

log = logging.getLogger("hotline.pbx.ami")

FORGET_AFTER = timedelta(hours=12)
"""A call still "in progress" after this long lost its hang-up (the listener was down): forgotten."""


class AmiListener:
    """The AMI adapter: one connection at a time, a call tracker, and the recorder it feeds."""

    def __init__(
        self,
        *,
        ami: AmiSettings,
        secret: str,
        extensions: dict[str, str],
        recorder: CallRecorder,
        clock: Clock,
        dial: bool = True,
    ) -> None:
        self.ami = ami
        self.secret = secret
        self.recorder = recorder
        self.clock = clock
        self.tracker = CallTracker(extensions=extensions)
        self.originate = AmiOriginate(ami)
        self.dialer = Dialer(backend=self.originate, engine=recorder.engine, clock=recorder.clock)
        self.dial = dial
        """False when another back-end (a cloud PBX's API) takes the dial requests."""
        self.connection: AmiConnection | None = None
        self.connected = asyncio.Event()
        self.connects = 0
        self.malformed = 0

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; ``AmiLoginRefused`` is raised, every other failure retried."""
        first_delay = min(1.0, self.ami.reconnect_max_seconds)
        delay = first_delay
        while not stop.is_set():
            try:
                connection = await AmiConnection.open(
                    host=self.ami.host, port=self.ami.port, username=self.ami.username, secret=self.secret
                )
            except AmiLoginRefused:
                raise
            except Unavailable as error:
                log.warning("%s; again in %.0f s", error, delay)
                await _sleep_unless(stop, delay)
                delay = min(delay * 2, self.ami.reconnect_max_seconds)
                continue
            delay = first_delay
            self.connects += 1
            log.info("connected to the AMI %s at %s:%s", connection.version, self.ami.host, self.ami.port)
            await self._serve(connection, stop)

    async def _serve(self, connection: AmiConnection, stop: asyncio.Event) -> None:
        self.connection = connection
        self.connected.set()
        reading = asyncio.ensure_future(connection.read_forever(self._on_event))
        stopping = asyncio.ensure_future(stop.wait())
        self.originate.connection = connection
        dialling = asyncio.ensure_future(self.dialer.run() if self.dial else stop.wait())
        try:
            await asyncio.wait({reading, stopping, dialling}, return_when=asyncio.FIRST_COMPLETED)
            if dialling.done() and dialling.exception() is not None:
                log.error("click-to-dial stopped: %s", dialling.exception())
            if reading.done() and isinstance(reading.exception(), MalformedMessage | OSError):
                log.warning("the AMI connection broke: %s", reading.exception())
            elif reading.done() and not stop.is_set():
                log.warning("the AMI closed the connection")
        finally:
            self.connected.clear()
            self.connection = None
            self.originate.connection = None
            self.malformed += connection.malformed
            for task in (reading, stopping, dialling):
                task.cancel()
            for task in (reading, dialling):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await connection.close()

    def _on_event(self, event: AmiMessage) -> None:
        now = self.clock.now()
        for action in self.tracker.feed(event, now=now):
            self.recorder.submit(action)
        if self.tracker.counts["events"] % 1000 == 0:
            self.tracker.forget_older_than(now - FORGET_AFTER)

    def counts(self) -> dict[str, int]:
        """What the listener saw and did, for the log and the tests."""
        connection = self.connection
        live_malformed = connection.malformed if connection is not None else 0
        return {
            **self.tracker.counts,
            **self.recorder.counts,
            "connects": self.connects,
            **(self.dialer.counts() if self.dial else {}),
            "malformed": self.malformed + live_malformed,
        }


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
