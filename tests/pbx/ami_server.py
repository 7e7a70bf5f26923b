"""A test AMI server on loopback that speaks the protocol as Asterisk's documentation records it.

Greeting line ``Asterisk Call Manager/5.0.1``; ``Login`` answered ``Response: Success`` with
``Message: Authentication accepted`` and then the ``FullyBooted`` event, or ``Response: Error`` /
``Authentication failed`` and the connection closed; ``Originate`` answered ``Originate successfully
queued``; ``Logoff`` answered ``Goodbye``; an unknown action ``Invalid/unknown command``. Every message
is ``Key: Value\\r\\n`` lines closed by a blank line. Events are sent as the test gives them (bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

BANNER = b"Asterisk Call Manager/5.0.1\r\n"


def message(**headers: str) -> bytes:
    return "".join(f"{key}: {value}\r\n" for key, value in headers.items()).encode() + b"\r\n"


def parse(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode().split("\r\n"):
        if line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


class FakeAsterisk:
    """``async with FakeAsterisk() as pbx``: listening on ``pbx.port``; ``await pbx.send(bytes)``."""

    def __init__(self, *, username: str = "hotline", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.port = 0
        self.logins = 0
        self.refused = 0
        self.actions: list[dict[str, str]] = []
        self.on_originate: Callable[[dict[str, str]], Awaitable[None]] | None = None
        self.refuse_originate = False
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.logged_in = asyncio.Event()

    async def __aenter__(self) -> FakeAsterisk:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.drop_clients()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = parse(block[:-4])
                self.actions.append(action)
                if not await self._answer(action, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        """Reply to one action; False when the connection is to be closed."""
        action_id = action.get("ActionID", "")
        name = action.get("Action", "").lower()
        if name == "login":
            if action.get("Username") != self.username or action.get("Secret") != self.secret:
                self.refused += 1
                writer.write(message(Response="Error", ActionID=action_id, Message="Authentication failed"))
                await writer.drain()
                return False
            writer.write(message(Response="Success", ActionID=action_id, Message="Authentication accepted"))
            writer.write(
                message(Event="FullyBooted", Privilege="system,all", Uptime="1", Status="Fully Booted")
            )
            await writer.drain()
            self.logins += 1
            self._clients.add(writer)
            self.logged_in.set()
            return True
        if writer not in self._clients:
            writer.write(message(Response="Error", ActionID=action_id, Message="Authentication Required"))
        elif name == "originate" and self.refuse_originate:
            writer.write(message(Response="Error", ActionID=action_id, Message="Originate failed"))
        elif name == "originate":
            writer.write(
                message(Response="Success", ActionID=action_id, Message="Originate successfully queued")
            )
            await writer.drain()
            if self.on_originate is not None:
                await self.on_originate(action)
            return True
        elif name == "logoff":
            writer.write(message(Response="Goodbye", ActionID=action_id, Message="Thanks for all the fish."))
            await writer.drain()
            return False
        else:
            writer.write(message(Response="Error", ActionID=action_id, Message="Invalid/unknown command"))
        await writer.drain()
        return True

    async def send(self, data: bytes) -> None:
        """Send ``data`` (events on the wire) to every logged-in client."""
        for writer in list(self._clients):
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    def drop_clients(self) -> None:
        """Close every connection, as an Asterisk restart does."""
        self.logged_in.clear()
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
