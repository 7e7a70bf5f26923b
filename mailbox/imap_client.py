"""aioimaplib's client, receiving without two costs that grow with the mail fetched.

aioimaplib 2 runs ``log.debug('Received : %s' % data)`` on each chunk it receives: the %-formatting
happens whether or not debug logging is on, so the whole fetched mailbox is turned into text, at about
60 MB/s. For the benchmark's 155 MB mailbox that was three quarters of the poll's IMAP time (0.8 ms of
CPU a message, 0.2 without it). And a FETCH asks after each line whether its response is complete by
scanning every line received so far: quadratic in the group's lines. ``QuietIMAP4`` receives exactly as
aioimaplib does, writes that debug line only when its logger is set to debug, and answers the question
from the lines since the last one it looked at. And when the server closes the connection (a BYE), the
commands waiting for an answer fail at once instead of at their timeout.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

import aioimaplib
from aioimaplib import aioimaplib as imap_module


class QuietProtocol(aioimaplib.IMAP4ClientProtocol):
    """aioimaplib's protocol; the debug line of each received chunk only when debug logging is on."""

    def data_received(self, d: bytes) -> None:
        if imap_module.log.isEnabledFor(logging.DEBUG):
            super().data_received(d)
            return
        try:
            self._handle_responses(self.incomplete_line + d, self._handle_line, self.current_command)
            self.incomplete_line = b""
            self.current_command = None
        except imap_module.IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data

    def connection_lost(self, exc: Exception | None) -> None:
        """The commands waiting for an answer fail at once (aioimaplib lets them wait for their
        timeout: a server that says BYE in the middle of a FETCH cost the poll 30 s)."""
        super().connection_lost(exc)
        lost = aioimaplib.Abort(f"the server closed the connection{f' ({exc})' if exc else ''}")
        for command in [self.pending_sync_command, *self.pending_async_commands.values()]:
            if command is not None and not command._event.is_set():
                command._exception = lost
                command.close(b"", "KO")

    async def fetch(
        self, message_set: str, message_parts: str, by_uid: bool = False, timeout: float | None = None
    ) -> aioimaplib.Response:
        command = IncrementalFetch(
            self.new_tag(),
            message_set,
            message_parts,
            prefix="UID" if by_uid else "",
            loop=self.loop,
            timeout=timeout,
        )
        return await self.execute(command)


class IncrementalFetch(imap_module.FetchCommand):
    """aioimaplib's FETCH command; whether its response waits for more data (its parentheses since the
    last ``N FETCH (`` line are not balanced yet) is found from the lines added since it last looked."""

    def __init__(self, *args: str, **options: object) -> None:
        super().__init__(*args, **options)  # type: ignore[arg-type]
        self._looked_at = 0
        self._last_fetch = 0

    def wait_data(self) -> bool:
        lines = self._resp_lines
        for index in range(self._looked_at, len(lines)):
            line = lines[index]
            if isinstance(line, bytes) and self.FETCH_MESSAGE_DATA_RE.match(line):
                self._last_fetch = index
        self._looked_at = len(lines)
        tail = b"".join(line for line in lines[self._last_fetch :] if isinstance(line, bytes))
        return not imap_module.matched_parenthesis(tail)


class QuietIMAP4(aioimaplib.IMAP4):
    """``aioimaplib.IMAP4`` (and, given an ``ssl_context``, ``IMAP4_SSL``) over ``QuietProtocol``."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        running = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = QuietProtocol(running, conn_lost_cb)
        self._client_task = running.create_task(
            running.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )
