"""The ring socket of ``hotline call listen``: rings handed over by ``hotline call incoming``'s fast path.

A private Unix socket (see ``cli.ring_socket``), served only to the listener's own user (``SO_PEERCRED``).
A ring is run here only when the full path would have done exactly the same: the same installed code,
the same variables deciding settings and identity, the same folder when paths are relative; otherwise
the answer is ``fallback`` (the reason is logged) and the ring runs its own full path. Hostile or broken
peers are bounded: a request must arrive whole within ``REQUEST_SECONDS`` and fit ``MAX_REQUEST_BYTES``,
anything else is refused and closed. The command itself runs on a thread (``RingRunner``), a beat is
sent every second so the ring can tell a slow database from a dead listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hotline.cli.ring_socket import (
    BEAT_SECONDS,
    ENV_NAMES,
    MAX_REQUEST_BYTES,
    code_stamp,
    decode,
    encode,
    peer_uid,
    private_dir_problem,
    request_problem,
    ring_environment,
    same_principal,
    socket_path,
)
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.cli.ring_runner import RingRunner
    from hotline.cli.state import CliState

log = logging.getLogger("hotline.cli.rings")

REQUEST_SECONDS = 2.0
"""A peer that has not sent its whole request by then is dropped."""
SEND_SECONDS = 5.0
MAX_RINGS = 64
"""Rings running at once; more are told to fall back (their own process does the work)."""
SHUTDOWN_GRACE_SECONDS = 5.0


class RingSocketUnavailable(Exception):
    """The socket cannot be served (its folder is not private, the path is taken or too long)."""


def relevant_variable(name: str) -> bool:
    """Whether a variable can change what a ring does: a ``HOTLINE_`` setting (or ``HOTLINE_CONFIG``),
    libpq's ``PG*``, or a default-path and time-zone variable."""
    from hotline.core.settings import Settings

    upper = name.upper()
    if upper.startswith("HOTLINE_"):
        field = upper.removeprefix("HOTLINE_").split("__", 1)[0].lower()
        return field == "config" or field in Settings.model_fields
    return name.startswith("PG") or name in ENV_NAMES


class ListenerContext:
    """What the listener's own full path would see: its variables, folder and code."""

    def __init__(
        self,
        *,
        environ: dict[str, str],
        cwd: str,
        relevant: Callable[[str], bool] = relevant_variable,
    ) -> None:
        self.relevant = relevant
        self.env = {name: value for name, value in ring_environment(environ).items() if relevant(name)}
        self.cwd = cwd
        self.stamp = code_stamp()

    def mismatch(self, request: dict[str, Any]) -> str | None:
        """Why the ring's full path could differ from a run here, or None when it could not."""
        if request["stamp"] != self.stamp:
            return "the ring runs another installation of hotline (restart the listener after an upgrade)"
        theirs = {name: value for name, value in request["env"].items() if self.relevant(name)}
        differing = sorted(
            name for name in theirs.keys() | self.env.keys() if theirs.get(name) != self.env.get(name)
        )
        if differing:
            return "the ring's environment differs: " + printable(", ".join(differing))[:300]
        if request.get("cwd") is not None and request["cwd"] != self.cwd:
            return "the ring's paths are relative to another folder"
        return None


class RingServer:
    """``start``, then rings are served until ``close``; ``counts`` says what happened."""

    def __init__(
        self, *, path: str, runner: RingRunner, context: ListenerContext, max_rings: int = MAX_RINGS
    ) -> None:
        self.path = path
        self.runner = runner
        self.context = context
        self.max_rings = max_rings
        self.counts: Counter[str] = Counter()
        self.running = 0
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._told: set[str] = set()

    @classmethod
    def for_state(cls, state: CliState) -> RingServer:
        """The ring server of the listener run with ``state`` (its database and configuration)."""
        from hotline.cli.ring_runner import RingRunner

        path = socket_path(state.db, str(state.config) if state.config else None, dict(os.environ))
        context = ListenerContext(environ=dict(os.environ), cwd=os.getcwd())
        return cls(path=path, runner=RingRunner(state), context=context)

    async def start(self) -> None:
        """Bind the socket (0600, in a 0700 folder); a stale socket is replaced, a live one is left alone."""
        folder = os.path.dirname(self.path)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        problem = private_dir_problem(folder)
        if problem:
            raise RingSocketUnavailable(problem)
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        temporary = f"{self.path}.{os.getpid()}"
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            listening.bind(temporary)
            os.chmod(temporary, 0o600)
            listening.listen(128)
            await self._claim(temporary)
        except OSError as error:
            listening.close()
            raise RingSocketUnavailable(f"{self.path}: {error.strerror or error}") from None
        except BaseException:
            listening.close()
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self._inode = os.stat(self.path).st_ino
        self._server = await asyncio.start_unix_server(self._accept, sock=listening, limit=MAX_REQUEST_BYTES)
        log.info("serving rings on %s", self.path)

    async def _claim(self, temporary: str) -> None:
        """Link the bound socket to the real path; a socket already there is ours only if nobody answers."""
        try:
            os.link(temporary, self.path)
            return
        except FileExistsError:
            pass
        in_the_way = _not_a_socket(self.path)
        if in_the_way is not None:
            raise RingSocketUnavailable(f"{self.path} is {in_the_way}, not a socket: remove it")
        if await _answers(self.path):
            raise RingSocketUnavailable(f"another listener serves rings on {self.path}")
        log.info("removing the stale ring socket %s", self.path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.link(temporary, self.path)

    async def close(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop taking rings, remove the socket (if still ours), give running rings ``grace`` seconds."""
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(OSError):
            if self._inode is not None and os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)
        if self._handlers:
            _, late = await asyncio.wait(set(self._handlers), timeout=grace)
            for handler in late:
                handler.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), grace)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._request(reader, writer)
            if request is not None:
                await self._ring(request, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), SEND_SECONDS)

    async def _request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any] | None:
        """The peer's request, or None when it was refused or told to fall back (and why)."""
        try:
            uid = peer_uid(writer.get_extra_info("socket"))
        except (OSError, AttributeError):
            uid = -1
        if not same_principal(uid):
            self.counts["ring_refused"] += 1
            log.warning("refused a ring from uid %s: the listener serves only its own user", uid)
            return None
        try:
            line = await asyncio.wait_for(reader.readline(), REQUEST_SECONDS)
        except TimeoutError:
            return await self._refuse(writer, f"no request within {REQUEST_SECONDS:g} s")
        except (ValueError, asyncio.LimitOverrunError):
            return await self._refuse(writer, f"a request longer than {MAX_REQUEST_BYTES} bytes")
        except OSError as error:
            return await self._refuse(writer, f"the connection failed: {error}")
        request = decode(line) if line.endswith(b"\n") else None
        problem = request_problem(request) if line.endswith(b"\n") else "an incomplete request"
        if problem is not None:
            return await self._refuse(writer, problem)
        assert request is not None
        why = self.context.mismatch(request) or (
            f"{self.running} rings running" if self.running >= self.max_rings else None
        )
        if why is not None:
            self.counts["ring_fallbacks"] += 1
            if why not in self._told:
                self._told.add(why)
                log.info("a ring runs its own full path: %s", why)
            await _send(writer, {"answer": "fallback", "why": why})
            return None
        return request

    async def _refuse(self, writer: asyncio.StreamWriter, why: str) -> None:
        self.counts["ring_refused"] += 1
        log.warning("refused a ring socket request: %s", why)
        await _send(writer, {"answer": "refused", "why": why})

    async def _ring(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        """Run the ring's command; beat while it runs; answer with what it printed and its exit code."""
        self.running += 1
        started = time.perf_counter()
        try:
            listening = await _send(writer, {"answer": "accepted"})
            done = _in_daemon_thread(self.runner.run, request["argv"], request["prog"])
            while True:
                finished, _ = await asyncio.wait({done}, timeout=BEAT_SECONDS)
                if finished:
                    break
                listening = listening and await _send(writer, {"answer": "beat"})
            stdout, stderr, code = done.result()
        finally:
            self.running -= 1
        self.counts["rings"] += 1
        log.info("ring served: exit %d in %.0f ms", code, (time.perf_counter() - started) * 1000)
        if listening:
            await _send(writer, {"answer": "done", "stdout": stdout, "stderr": stderr, "exit": code})


async def _send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> bool:
    """Write one answer line; False when the peer is gone or not reading."""
    try:
        writer.write(encode(message))
        await asyncio.wait_for(writer.drain(), SEND_SECONDS)
    except (OSError, TimeoutError, RuntimeError):
        return False
    return True


def _not_a_socket(path: str) -> str | None:
    """What is at ``path`` when it is not a socket ("a file", "a folder"…), or None: only a socket can be
    a stale listener's, anything else is someone's and is never removed."""
    import stat

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISSOCK(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a file" if stat.S_ISREG(mode) else "a special file"


async def _answers(path: str) -> bool:
    """Whether a live listener accepts connections on ``path``."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def _in_daemon_thread(function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """``function(*args)`` on a daemon thread: a ring still waiting (``--wait``) never holds up the
    listener's exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        try:
            result, error = function(*args), None
        except BaseException as failure:
            result, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="ring", daemon=True).start()
    return future
