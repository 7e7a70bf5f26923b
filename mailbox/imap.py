"""A small IMAP client over aioimaplib: connect securely, select, search and fetch by UID, flag, move.

Everything hotline asks of an IMAP server is here, so the poller reads as the algorithm it is. Failures
to reach or log in to the server are ``Unavailable`` (exit 1).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib

from hotline.core.errors import ConfigError, Unavailable
from hotline.mailbox.imap_client import QuietIMAP4

_FETCH_HEAD = re.compile(rb"^\d+ FETCH \(.*?UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID_IN = re.compile(rb"UID (\d+)")


class Refused(Unavailable):
    """The server answered a command with NO or BAD: the connection still serves other commands."""


@dataclass(frozen=True)
class Folder:
    """What SELECT says about a folder."""

    uidvalidity: int
    uidnext: int | None
    exists: int


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


def uid_set(uids: list[int]) -> str:
    """``1:3,7,9:10`` for [1, 2, 3, 7, 9, 10]."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid == previous + 1:
            previous = uid
            continue
        ranges.append(f"{start}:{previous}" if start != previous else str(start))
        start = previous = uid
    ranges.append(f"{start}:{previous}" if start != previous else str(start))
    return ",".join(ranges)


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificates are always verified; ``ca_file`` adds a private CA."""
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class ImapConnection:
    """One logged-in IMAP session; use ``await ImapConnection.open(...)`` and ``await close()``."""

    def __init__(
        self,
        client: aioimaplib.IMAP4,
        where: str,
        login: Callable[[], Awaitable[aioimaplib.IMAP4]] | None = None,
    ) -> None:
        self.client = client
        self.where = where
        self.folder: str | None = None
        self.uidvalidity: int | None = None
        self._login = login

    @classmethod
    async def open(
        cls,
        *,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str,
        timeout: float = 30.0,
        ca_file: str | None = None,
    ) -> ImapConnection:
        where = f"IMAP {host}:{port}"
        if security not in ("ssl", "starttls", "none"):
            raise ConfigError(f"imap_security must be ssl, starttls or none, not {security!r}")

        async def login() -> aioimaplib.IMAP4:
            try:
                context = ssl_context(ca_file) if security == "ssl" else None
                client: aioimaplib.IMAP4 = QuietIMAP4(
                    host=host, port=port, timeout=timeout, ssl_context=context
                )
                await client.wait_hello_from_server()
                if security == "starttls":
                    await _starttls(client, host, ssl_context(ca_file), timeout)
                response = await client.login(username, password)
            except (OSError, TimeoutError, aioimaplib.AioImapException) as error:
                raise Unavailable(f"cannot reach {where}: {error or type(error).__name__}") from None
            if response.result != "OK":
                raise Unavailable(f"{where} refused the login of {username!r}: {_text(response)}")
            return client

        return cls(await login(), where, login)

    @property
    def is_open(self) -> bool:
        """Whether the connection is still there (the server may have closed it)."""
        transport = getattr(self.client.protocol, "transport", None)
        return transport is not None and not transport.is_closing()

    async def reopen(self) -> None:
        """A new session in place of one the server closed, on the same folder; ``Unavailable`` when
        the server cannot be reached, or the folder's UIDVALIDITY is no longer the one the poll began
        with (its UIDs would name other messages)."""
        if self.is_open:
            return
        if self._login is None:
            raise Unavailable(f"{self.where}: connection lost")
        began_with = self.uidvalidity
        self.client = await self._login()
        if self.folder is not None:
            folder = await self.select(self.folder)
            if began_with is not None and folder.uidvalidity != began_with:
                raise Unavailable(
                    f"{self.where}: folder {self.folder!r} got a new UIDVALIDITY during the poll"
                )

    async def select(self, folder: str) -> Folder:
        response = await self._run(self.client.select(imap_utf7(folder)))
        if response.result != "OK":
            raise Unavailable(f"{self.where}: cannot open folder {folder!r}: {_text(response)}")
        self.folder = folder
        uidvalidity = uidnext = None
        exists = 0
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            if match := re.search(rb"UIDVALIDITY (\d+)", line):
                uidvalidity = int(match.group(1))
            if match := re.search(rb"UIDNEXT (\d+)", line):
                uidnext = int(match.group(1))
            if match := re.match(rb"(\d+) EXISTS", line):
                exists = int(match.group(1))
        if uidvalidity is None:
            raise Unavailable(f"{self.where}: folder {folder!r} has no UIDVALIDITY")
        self.uidvalidity = uidvalidity
        return Folder(uidvalidity=uidvalidity, uidnext=uidnext, exists=exists)

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, whatever their flags (mail read elsewhere is still new to us)."""
        response = await self._run(self.client.uid_search(f"UID {last_uid + 1}:*", charset=None))
        self._check(response, "UID SEARCH")
        found: list[int] = []
        for line in response.lines:
            if isinstance(line, bytes) and line and line[:1].isdigit():
                found.extend(int(token) for token in line.split() if token.isdigit())
        # "n:*" always matches the highest UID, even below n
        return sorted(uid for uid in set(found) if uid > last_uid)

    async def sizes(self, uids: list[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            response = await self._run(self.client.uid("fetch", uid_set(chunk), "(UID RFC822.SIZE)"))
            self._check(response, "UID FETCH RFC822.SIZE")
            for line in response.lines:
                if (
                    isinstance(line, bytes)
                    and (uid := _UID_IN.search(line))
                    and (size := _FETCH_SIZE.search(line))
                ):
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    async def bodies(self, uids: list[int], *, limit: int | None = None) -> dict[int, bytes]:
        """``BODY.PEEK[]`` of these UIDs (never sets \\Seen); ``limit`` fetches only the first bytes."""
        part = f"BODY.PEEK[]<0.{limit}>" if limit else "BODY.PEEK[]"
        response = await self._run(self.client.uid("fetch", uid_set(uids), f"(UID {part})"), slow=True)
        self._check(response, "UID FETCH BODY")
        found: dict[int, bytes] = {}
        uid: int | None = None  # of the message being read; its UID may come before or after the body
        body: bytes | None = None
        waiting_literal = False
        for line in response.lines:
            if isinstance(line, bytearray | memoryview) or (waiting_literal and isinstance(line, bytes)):
                body, waiting_literal = bytes(line), False
            elif isinstance(line, bytes) and b" FETCH (" in line:
                match = _UID_IN.search(line)
                uid, body = (int(match.group(1)) if match else None), None
                waiting_literal = line.rstrip().endswith(b"}")
            elif isinstance(line, bytes) and uid is None and (match := _UID_IN.search(line)):
                uid = int(match.group(1))
            if uid is not None and body is not None:
                found[uid], body = body, None
        return found

    async def existing(self, uids: list[int]) -> set[int]:
        """Which of these UIDs are still in the folder."""
        response = await self._run(self.client.uid_search(f"UID {uid_set(uids)}", charset=None))
        self._check(response, "UID SEARCH")
        found = {
            int(token)
            for line in response.lines
            if isinstance(line, bytes) and line[:1].isdigit()
            for token in line.split()
            if token.isdigit()
        }
        return found & set(uids)

    async def mark_seen(self, uids: list[int]) -> None:
        response = await self._run(self.client.uid("store", uid_set(uids), "+FLAGS.SILENT (\\Seen)"))
        self._check(response, "UID STORE")

    async def move(self, uids: list[int], folder: str) -> None:
        """Move to ``folder`` (created when missing); COPY + \\Deleted + UID EXPUNGE without MOVE."""
        target = imap_utf7(folder)
        await self._run(self.client.create(target))  # NO when it exists: fine
        if self.client.has_capability("MOVE"):
            response = await self._run(self.client.uid("move", uid_set(uids), target))
            self._check(response, "UID MOVE")
            return
        response = await self._run(self.client.uid("copy", uid_set(uids), target))
        self._check(response, "UID COPY")
        await self._run(self.client.uid("store", uid_set(uids), "+FLAGS.SILENT (\\Deleted)"))
        if self.client.has_capability("UIDPLUS"):
            await self._run(self.client.uid("expunge", uid_set(uids)))

    def has_idle(self) -> bool:
        return self.client.has_capability("IDLE")

    async def idle(self, stop: asyncio.Event, timeout: float) -> bool:
        """Wait in IDLE for news or ``stop``; True when the server said something, or ended IDLE (the
        connection lost, say: the poll that follows finds out and reconnects, instead of waiting for
        the timeout while mail comes in)."""
        idle_task = await self.client.idle_start(timeout=timeout)
        push = asyncio.ensure_future(self.client.wait_server_push(timeout=timeout + 5))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait({push, stopper, idle_task}, return_when=asyncio.FIRST_COMPLETED)
            news = push in done and not push.cancelled() and push.exception() is None
            news = news or (idle_task in done and not stop.is_set())
        finally:
            for task in (push, stopper):
                task.cancel()
            self.client.idle_done()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException):
                await asyncio.wait_for(idle_task, timeout=10)
        return news

    async def close(self) -> None:
        if not self.is_open:
            return  # the server closed it already: no LOGOUT to wait 5 s for
        with contextlib.suppress(Exception):  # the connection is going away either way
            await asyncio.wait_for(self.client.logout(), timeout=5)

    async def _run(self, awaitable, *, slow: bool = False):  # type: ignore[no-untyped-def]
        try:
            return await asyncio.wait_for(awaitable, timeout=600 if slow else 120)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as error:
            raise Unavailable(f"{self.where}: connection lost: {error or type(error).__name__}") from None

    def _check(self, response: aioimaplib.Response, what: str) -> None:
        if response.result != "OK":
            raise Refused(f"{self.where}: {what} failed: {_text(response)}")


async def _starttls(client: aioimaplib.IMAP4, host: str, context: ssl.SSLContext, timeout: float) -> None:
    """STARTTLS (aioimaplib lacks it): ask, then wrap the transport and read the capabilities again."""
    protocol = client.protocol
    if "STARTTLS" not in protocol.capabilities:
        raise Unavailable(f"IMAP {host}: the server does not offer STARTTLS")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await asyncio.wait_for(protocol.execute(command), timeout)
    if response.result != "OK":
        raise Unavailable(f"IMAP {host}: STARTTLS refused: {_text(response)}")
    loop = asyncio.get_running_loop()
    transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    protocol.transport = transport
    await asyncio.wait_for(protocol.capability(), timeout)


def _text(response: aioimaplib.Response) -> str:
    lines = [line.decode("utf-8", "replace") for line in response.lines if isinstance(line, bytes)]
    return (lines[-1] if lines else response.result)[:200]
