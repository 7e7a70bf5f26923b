"""The webhook endpoint: a small HTTP/1.1 server (asyncio's own) for a cloud PBX's call events.

One route, ``POST /calls`` (and, for Zadarma, its ``GET /calls?zd_echo=…`` check); one request per
connection; bounded request line, headers and body; a read timeout. Loopback by default: put a TLS
reverse proxy in front of it to take events from the internet. Each request is checked (signature,
replay window, event ids already taken here or, within the window, by any listener: the database
remembers them) before anything is written; refusals are logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.errors import ConfigError
from hotline.core.pbx.ami_calls import worth_logging
from hotline.core.pbx.webhook import (
    MAX_BODY_BYTES,
    ZADARMA_EARLY,
    ZADARMA_MAX_CALL,
    CallEvent,
    SeenIds,
    WebhookCalls,
    WebhookRefused,
    check_hotline_request,
    check_zadarma_request,
    parse_hotline_event,
)
from hotline.core.services.call_records import call_ended
from hotline.core.services.webhook_events import forget_events_before, take_event

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from hotline.core.clock import Clock
    from hotline.core.settings import Settings
    from hotline.pbx.recorder import CallRecorder

log = logging.getLogger("hotline.pbx.webhook")

READ_TIMEOUT = 10.0
PRUNE_EVERY = timedelta(minutes=1)
MAX_HEADER_LINES = 64
MAX_LINE_BYTES = 8 * 1024
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
           413: "Payload Too Large"}  # fmt: skip
FRAMING = ("content-length", "transfer-encoding")
"""Headers that say where a body ends: one of each at most (two that differ are refused)."""


class WebhookEndpoint:
    """``await start()``, then it serves until ``close()``; ``counts`` says what it took and refused."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        secret: str,
        shape: str,
        extensions: dict[str, str],
        zone: ZoneInfo,
        max_age_seconds: int,
        recorder: CallRecorder,
        clock: Clock,
    ) -> None:
        self.host = host
        self.port = port
        self.secret = secret
        self.shape = shape
        self.zone = zone
        self.max_age_seconds = max_age_seconds
        self.recorder = recorder
        self.clock = clock
        self.calls = WebhookCalls(extensions=extensions, source=f"webhook:{shape}")
        self.seen = SeenIds()
        self.keep_seen = (
            ZADARMA_MAX_CALL + ZADARMA_EARLY if shape == "zadarma" else 2 * timedelta(seconds=max_age_seconds)
        )
        """How long a taken event is remembered: a replay older than that is refused by its time (a
        request's time may be up to the window either side of now)."""
        self._pruned_at: datetime | None = None
        self.counts: Counter[str] = Counter()
        self._server: asyncio.Server | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, recorder: CallRecorder, clock: Clock) -> WebhookEndpoint:
        webhook = settings.pbx.webhook
        secret = webhook.secret()
        if secret is None:
            raise ConfigError(f"set the webhook secret in ${webhook.secret_env}", where="[pbx.webhook]")
        return cls(
            host=webhook.host, port=webhook.port, secret=secret.get_secret_value(), shape=webhook.format,
            extensions=settings.pbx.extensions, zone=settings.pbx_zone,
            max_age_seconds=webhook.max_age_seconds, recorder=recorder, clock=clock,
        )  # fmt: skip

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_LINE_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(self._handle(reader), READ_TIMEOUT)
        except TimeoutError:
            self.counts["timeouts"] += 1
            status, body = 400, {"error": "request too slow"}
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
            self.counts["bad_request"] += 1
            status, body = 400, {"error": "not an HTTP request"}
        payload = b"" if body is None else json.dumps(body).encode() if isinstance(body, dict) else body
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nConnection: close\r\n"
        head += f"Content-Length: {len(payload)}\r\n"
        head += (
            "Content-Type: application/json\r\n" if isinstance(body, dict) else "Content-Type: text/plain\r\n"
        )
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + b"\r\n" + payload)
            await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, str] | bytes | None]:
        request_line = (await reader.readuntil(b"\r\n")).decode("latin-1").strip()
        method, target, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES + 1):
            line = (await reader.readuntil(b"\r\n")).decode("latin-1")
            if line == "\r\n":
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name in FRAMING and headers.get(name, value) != value:
                raise ValueError(f"two {name} headers")  # which one a proxy in front read is unknown
            headers[name] = value
        else:
            raise ValueError("too many headers")
        url = urlsplit(target)
        if url.path != "/calls":
            self.counts["not_found"] += 1
            return 404, {"error": "no such path"}
        if method == "GET" and self.shape == "zadarma":
            echo = dict(parse_qsl(url.query)).get("zd_echo", "")
            return 200, echo.encode()[:200]
        if method != "POST":
            return 405, {"error": "POST only"}
        if "transfer-encoding" in headers or "content-length" not in headers:
            self.counts["bad_request"] += 1
            return 411, {"error": "a body with its Content-Length is needed (no chunked encoding)"}
        declared = headers["content-length"]
        if not (declared.isascii() and declared.isdigit()):  # int() takes "+5", "0_5", " 5 "
            self.counts["bad_request"] += 1
            return 400, {"error": "Content-Length: a number of bytes is needed"}
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self.counts["too_large"] += 1
            return 413, {"error": f"a body of at most {MAX_BODY_BYTES} bytes"}
        body = await reader.readexactly(length)
        try:
            event = self._event(headers, body)
        except WebhookRefused as refused:
            self.counts[refused.kind] += 1
            if worth_logging(self.counts[refused.kind]):
                log.warning("webhook refused (%s): %s", refused.status, refused.message)
            return refused.status, {"error": refused.message}
        unknown = event.call_id not in self.calls.calls and not self.calls.is_over(event.call_id)
        first, ended = await self._first_sight(
            f"{self.shape}\x1f{event.call_id}\x1f{event.event_id}", call_id=event.call_id if unknown else None
        )
        if ended:  # a call this process has not heard of, ended before it started (a restart)
            self.calls.ended.add(event.call_id)
        if not first:
            if self.shape == "zadarma":  # no event id: the same notification again, e.g. a second ring
                self.counts["repeated"] += 1
                return 204, None
            self.counts["replayed"] += 1
            if worth_logging(self.counts["replayed"]):
                log.warning(
                    "webhook refused (409): event %s of call %s seen before", event.event_id, event.call_id
                )
            return 409, {"error": "event seen before"}
        if self.calls.is_over(event.call_id):  # out of order or sent again: the call is recorded as ended
            self.counts["after_the_end"] += 1
            if worth_logging(self.counts["after_the_end"]):
                log.warning("webhook: %s of call %s after its end: ignored", event.kind, event.call_id)
            return 204, None
        self.counts["accepted"] += 1
        for action in self.calls.feed(event):
            self.recorder.submit(action)
        return 204, None

    async def _first_sight(self, key: str, *, call_id: str | None) -> tuple[bool, bool]:
        """Whether the event ``key`` is new: not seen by this process, nor taken by any listener within
        the replay window (the database remembers it across restarts); and whether the call ``call_id``
        (one this process knows nothing of) is recorded as ended. While the database cannot be reached,
        this process's memory decides (the event is still taken, as the writer waits)."""
        if not self.seen.add(key):
            return False, False
        try:
            return await asyncio.to_thread(self._take, key, call_id)
        except Exception as error:
            mapped = classify_database_error(error)
            if mapped is None:
                raise
            self.counts["seen_unchecked"] += 1
            if worth_logging(self.counts["seen_unchecked"]):
                log.warning("webhook: events taken before not checked in the database: %s", mapped)
            return True, False

    def _take(self, key: str, call_id: str | None) -> tuple[bool, bool]:
        now = self.clock.now()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            try:  # its own transaction: two listeners pruning at once never cost an event its check
                with UnitOfWork(self.recorder.engine, clock=self.clock) as uow:
                    forget_events_before(uow, now - self.keep_seen)
            except Exception as error:
                if classify_database_error(error) is None:
                    raise
                log.info("webhook: events taken before not pruned this time: %s", error)
        with UnitOfWork(self.recorder.engine, clock=self.clock) as uow:
            return take_event(uow, key), call_id is not None and call_ended(uow, pbx_call_id=call_id)

    def _event(self, headers: dict[str, str], body: bytes) -> CallEvent:
        now = self.clock.now()
        if self.shape == "zadarma":
            try:
                form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
            except (UnicodeDecodeError, ValueError):
                raise WebhookRefused(400, "not a form", kind="bad_request") from None
            return check_zadarma_request(headers, form, secret=self.secret, zone=self.zone, now=now)
        check_hotline_request(
            headers, body, secret=self.secret, now=now, max_age_seconds=self.max_age_seconds
        )
        event = parse_hotline_event(body)
        if event.at > now + timedelta(seconds=self.max_age_seconds):  # a call recorded years ahead
            raise WebhookRefused(400, "at: later than now (the PBX's clock?)", kind="bad_request")
        return event
