"""Click-to-dial: the listener takes the console's dial requests and asks the PBX to make each call.

The console and ``hotline call dial`` write a request (a call record in state "dialing"); the running
``call listen`` takes the waiting ones every half second (``take_dial_requests``: each is taken once,
by one listener) and hands each to its back-end: Asterisk's ``Originate`` on the AMI connection
(``AmiOriginate``) or a cloud PBX's API (``hotline.pbx.zadarma_dial``). Either way the operator's phone
rings first and, when answered, the PBX dials the number; the call's events then update the request's
record like an incoming call's. A request the PBX refused ends as ``failed: <reason>`` (on the card's
timeline); a back-end whose PBX gives back no call id (``confirm_within``) ends a request the PBX has not
reported within that time as ``not_connected``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.errors import HotlineError, Unavailable
from hotline.core.services.call_records import take_dial_requests
from hotline.core.services.dial_requests import end_dial_request
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine
    from hotline.core.settings import AmiSettings
    from hotline.pbx.ami_client import AmiConnection

log = logging.getLogger("hotline.pbx.dial")

POLL_SECONDS = 0.5
RING_OPERATOR_MS = 30_000
MAX_WAITING_ENDINGS = 10_000


@dataclass(frozen=True)
class DialRequest:
    call_id: str
    number: str
    extension: str
    operator_login: str
    started_at: datetime


class DialBackend(Protocol):
    """How one kind of PBX is asked to make a call."""

    name: str
    confirm_within: float | None
    """Seconds after which a request the PBX has not reported ends ``not_connected`` (``None``: the PBX's
    events carry the request's id, so they always find it)."""

    async def dial(self, request: DialRequest) -> str | None:
        """Ask the PBX; ``None`` when it took the request, else why not (bounded in time, never raises)."""
        ...


class Dialer:
    """The take-and-dial loop every back-end shares; ``run`` until cancelled."""

    def __init__(self, *, backend: DialBackend, engine: Engine, clock: Clock) -> None:
        self.backend = backend
        self.engine = engine
        self.clock = clock
        self.originated = 0
        self.failed = 0
        self.not_connected = 0
        self._unconfirmed: dict[str, float] = {}
        self._endings: list[tuple[str, str]] = []

    async def run(self) -> None:
        """Until cancelled: end what is due, take the waiting requests, dial them together."""
        while True:
            self._expire_unconfirmed()
            await self._write_endings()
            requests = await self._take()
            if requests:
                await asyncio.gather(*(self._dial(request) for request in requests))
                await self._write_endings()
            await asyncio.sleep(POLL_SECONDS)

    async def _take(self) -> list[DialRequest]:
        try:
            return await asyncio.to_thread(self._take_now)
        except Exception as error:
            mapped = classify_database_error(error)
            if mapped is None:
                log.exception("cannot read the dial requests")
            else:
                log.error("cannot read the dial requests: %s", mapped)
            return []

    def _take_now(self) -> list[DialRequest]:
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            return [
                DialRequest(r.pbx_call_id, r.number, r.extension or "", r.operator_login or "", r.started_at)
                for r in take_dial_requests(uow)
            ]

    async def _dial(self, request: DialRequest) -> None:
        try:
            reason = await self.backend.dial(request)
        except Exception:
            log.exception("dialling %s failed", request.call_id)
            reason = "internal error (see the listener's log)"
        if reason is None:
            self.originated += 1
            log.info("dialling %s from %s (call %s)", request.number, request.extension, request.call_id)
            if self.backend.confirm_within is not None:
                self._unconfirmed[request.call_id] = asyncio.get_running_loop().time()
            return
        self.failed += 1
        reason = printable(reason)
        log.warning(
            "the PBX (%s) did not dial %s from %s: %s",
            self.backend.name, printable(request.number), printable(request.extension), reason,
        )  # fmt: skip
        self._end(request.call_id, f"failed: {reason}")

    def _expire_unconfirmed(self) -> None:
        """Requests the PBX has not reported within ``confirm_within``: ended unless a report took them."""
        within = self.backend.confirm_within
        if within is None or not self._unconfirmed:
            return
        now = asyncio.get_running_loop().time()
        for call_id, dialled_at in list(self._unconfirmed.items()):
            if now - dialled_at >= within:
                del self._unconfirmed[call_id]
                self._end(call_id, "not_connected")

    def _end(self, call_id: str, outcome: str) -> None:
        if len(self._endings) >= MAX_WAITING_ENDINGS:
            log.error("too many dial requests waiting to be ended: %s left as it is", call_id)
            return
        self._endings.append((call_id, outcome))

    async def _write_endings(self) -> None:
        """Write the endings; while the database cannot be reached they wait for the next round."""
        if not self._endings:
            return
        waiting, self._endings = self._endings, []
        try:
            ended = await asyncio.to_thread(self._write_now, waiting)
        except Exception as error:
            mapped = classify_database_error(error)
            if isinstance(mapped, Unavailable):
                log.warning("%s: %d dial requests wait to be ended", mapped, len(waiting))
                self._endings = waiting + self._endings
                return
            if mapped is None and not isinstance(error, HotlineError):
                log.exception("could not end %d dial requests", len(waiting))
            else:
                log.error("could not end %d dial requests: %s", len(waiting), mapped or error)
            return
        for (_, outcome), done in zip(waiting, ended, strict=True):
            self.not_connected += done and outcome == "not_connected"

    def _write_now(self, endings: list[tuple[str, str]]) -> list[bool]:
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            return [end_dial_request(uow, pbx_call_id=call_id, outcome=why) for call_id, why in endings]

    def counts(self) -> dict[str, int]:
        return {
            "dialled": self.originated,
            "dial_refused": self.failed,
            "dial_not_connected": self.not_connected,
        }


class AmiOriginate:
    """Asterisk: an ``Originate`` on the listener's connection (set while connected).

    The channel is given the record's id (``ChannelId``, Asterisk 13+), so the call's events find it.
    """

    name = "ami"
    confirm_within: float | None = None

    def __init__(self, ami: AmiSettings) -> None:
        self.ami = ami
        self.connection: AmiConnection | None = None

    async def dial(self, request: DialRequest) -> str | None:
        connection = self.connection
        if connection is None:
            return "not connected to the AMI"
        fields = [
            ("Channel", self.ami.originate_channel.format(extension=request.extension)),
            ("Context", self.ami.originate_context),
            ("Exten", request.number),
            ("Priority", "1"),
            ("CallerID", f'"{request.number}" <{request.extension}>'),
            ("Timeout", str(RING_OPERATOR_MS)),
            ("ChannelId", request.call_id),
            ("Variable", f"HOTLINE_OPERATOR={request.operator_login}"),
            ("Async", "true"),
        ]
        try:
            response = await connection.send_action("Originate", fields)
        except (HotlineError, TimeoutError, OSError) as error:
            return str(error) or type(error).__name__
        if response.response != "Success":
            return response.get("Message", "") or "refused"
        return None
