"""Click-to-dial through the AMI: the console's dial requests become ``Originate`` actions.

The console and ``hotline call dial`` write a request (a call record in state "dialing"); while
connected, the listener takes the waiting ones every half second and originates each: the operator's
phone rings first and, when answered, the PBX dials the number in ``originate_context``. The channel is
given the record's id (``ChannelId``, Asterisk 13+), so the call's events update that record like an
incoming call's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.enums import Direction
from hotline.core.errors import HotlineError
from hotline.core.services.call_records import CallFacts, take_dial_requests

if TYPE_CHECKING:
    from hotline.core.settings import AmiSettings
    from hotline.pbx.ami_client import AmiConnection
    from hotline.pbx.recorder import CallRecorder

log = logging.getLogger("hotline.pbx.dial")

POLL_SECONDS = 0.5
RING_OPERATOR_MS = 30_000


@dataclass(frozen=True)
class DialRequest:
    call_id: str
    number: str
    extension: str
    operator_login: str
    started_at: datetime


class Dialer:
    """Originates the waiting dial requests on the listener's connection."""

    def __init__(self, *, ami: AmiSettings, recorder: CallRecorder) -> None:
        self.ami = ami
        self.recorder = recorder
        self.originated = 0
        self.failed = 0

    async def run(self, connection: AmiConnection) -> None:
        """Until cancelled (the connection closes): take requests, originate them."""
        while True:
            try:
                requests = await asyncio.to_thread(self._take)
            except Exception as error:
                mapped = classify_database_error(error)
                if mapped is None:
                    raise
                log.error("cannot read the dial requests: %s", mapped)
                requests = []
            for request in requests:
                await self._originate(connection, request)
            await asyncio.sleep(POLL_SECONDS)

    def _take(self) -> list[DialRequest]:
        with UnitOfWork(self.recorder.engine, clock=self.recorder.clock) as uow:
            return [
                DialRequest(r.pbx_call_id, r.number, r.extension or "", r.operator_login or "", r.started_at)
                for r in take_dial_requests(uow)
            ]

    async def _originate(self, connection: AmiConnection, request: DialRequest) -> None:
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
            refused = response.response != "Success"
            reason = response.get("Message", "")
        except (HotlineError, TimeoutError, OSError) as error:
            refused, reason = True, str(error)
        if not refused:
            self.originated += 1
            log.info("dialling %s from %s (call %s)", request.number, request.extension, request.call_id)
            return
        self.failed += 1
        log.warning("the PBX refused to dial %s from %s: %s", request.number, request.extension, reason)
        self.recorder.submit(
            CallFacts(
                pbx_call_id=request.call_id, source="dial", direction=Direction.OUT, number=request.number,
                started_at=request.started_at, state="ended", outcome="failed", ended_at=request.started_at,
            )
        )  # fmt: skip
