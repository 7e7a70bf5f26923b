"""One AMI connection: greeting, login, then events in and actions out.

Framing as Asterisk documents it (see ``hotline.core.pbx.ami``). Responses are matched to their action by
``ActionID``; everything else is an event for the caller's handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable

from hotline.core.errors import Unavailable
from hotline.core.pbx.ami import (
    MAX_MESSAGE_BYTES,
    TERMINATOR,
    AmiMessage,
    MalformedMessage,
    encode_action,
    parse_banner,
    parse_message,
)
from hotline.core.pbx.ami_calls import worth_logging

log = logging.getLogger("hotline.pbx.ami")

CONNECT_TIMEOUT = 10.0
ACTION_TIMEOUT = 10.0


class AmiLoginRefused(Unavailable):
    """The PBX refused the username or secret: retrying will not help (exit 1)."""


class AmiConnection:
    """A logged-in connection; ``read_forever`` hands each event to ``on_event`` until the socket closes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, version: str) -> None:
        self.reader = reader
        self.writer = writer
        self.version = version
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[AmiMessage]] = {}
        self.malformed = 0

    @classmethod
    async def open(cls, *, host: str, port: int, username: str, secret: str) -> AmiConnection:
        """Connect, read the greeting and log in; ``Unavailable`` or ``AmiLoginRefused`` if not."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=MAX_MESSAGE_BYTES * 2), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as error:
            raise Unavailable(f"cannot reach the AMI at {host}:{port}: {error}") from None
        try:
            banner = await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)
            connection = cls(reader, writer, parse_banner(banner))
            reply = await connection._login(username, secret)
        except (OSError, TimeoutError, MalformedMessage, asyncio.IncompleteReadError) as error:
            writer.close()
            raise Unavailable(f"the AMI at {host}:{port} did not greet and log in: {error}") from None
        if reply.response != "Success":
            writer.close()
            raise AmiLoginRefused(f"the AMI at {host}:{port} refused the login: {reply.get('Message', '')}")
        return connection

    async def _login(self, username: str, secret: str) -> AmiMessage:
        action_id = self._next_id()
        self.writer.write(
            encode_action("Login", action_id, [("Username", username), ("Secret", secret), ("Events", "on")])
        )
        await self.writer.drain()
        while True:
            message = await asyncio.wait_for(self._read_message(), ACTION_TIMEOUT)
            if message is not None and message.get("ActionID") == action_id:
                return message

    def _next_id(self) -> str:
        return f"hotline-{next(self._ids)}"

    async def _read_message(self) -> AmiMessage | None:
        """The next message; ``None`` for a malformed one (counted). ``IncompleteReadError`` at EOF."""
        try:
            block = await self.reader.readuntil(TERMINATOR)
        except asyncio.LimitOverrunError:
            self.malformed += 1
            raise MalformedMessage("a message longer than the limit", where="AMI") from None
        try:
            return parse_message(block[: -len(TERMINATOR)])
        except MalformedMessage as error:
            self.malformed += 1
            if worth_logging(self.malformed):
                log.warning("%s (%d so far)", error, self.malformed)
            return None

    async def read_forever(self, on_event: Callable[[AmiMessage], None]) -> None:
        """Read until the PBX closes the connection (then return) or it breaks the framing (raise)."""
        try:
            while True:
                try:
                    message = await self._read_message()
                except asyncio.IncompleteReadError:
                    return
                if message is None:
                    continue
                future = self._pending.pop(message.get("ActionID", ""), None)
                if message.response is not None and future is not None:
                    if not future.done():
                        future.set_result(message)
                elif message.event is not None:
                    on_event(message)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(Unavailable("the AMI connection closed"))
            self._pending.clear()

    async def send_action(self, action: str, fields: list[tuple[str, str]]) -> AmiMessage:
        """Send an action and wait for its response (``read_forever`` must be running)."""
        action_id = self._next_id()
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        self.writer.write(encode_action(action, action_id, fields))
        await self.writer.drain()
        try:
            return await asyncio.wait_for(future, ACTION_TIMEOUT)
        finally:
            self._pending.pop(action_id, None)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.write(encode_action("Logoff", self._next_id(), []))
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
