"""The per-host live relay (PostgreSQL): one ``LISTEN`` connection for every console of a host.

Each console holding a ``LISTEN`` connection of its own costs a server connection per console (500
consoles against ``max_connections = 100`` cannot work). ``hotline live relay`` holds one
``ChangeWatcher`` and writes each change to the consoles connected to its Unix socket; a console's
``RelayWatcher`` reads them with the ``ChangeWatcher`` interface, and falls back to a watcher of its own
when no relay answers or the relay goes away.

The protocol is lines of ASCII, relay to console only. First ``hotline-live 1 <database>`` (which
database the relay listens to: a console of another one does not use it), sent once the console is
among those the relay writes to (a change committed after the console read it is never missed); then one
line per changed channel: ``<channel> <record ids, comma-separated>`` (ticket numbers; operator ids for
``operator``; nothing after the channel when not known which: after a reconnection of the relay's
watcher, every channel so). A console still looks at its own operator every ``RECHECK_SECONDS`` (a
relay that keeps an ``operator`` line back keeps no deactivated operator's console open). Nothing else
travels: no client data, so the socket may be open to every user of the host.

A console that does not read is dropped once its buffer exceeds ``MAX_CLIENT_BUFFER_BYTES``; it never
holds the others back (each write is non-blocking).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import stat
import threading
import time
from typing import TYPE_CHECKING

from hotline.core.changes import CHANNELS, ChangeWatcher, parse_ids
from hotline.core.errors import ConfigError, Unavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from hotline.core.settings import Settings

PROTOCOL = "hotline-live 1"
MAX_CLIENT_BUFFER_BYTES = 64 * 1024
"""What the relay keeps for a console that reads slowly beyond the kernel's buffer; past it, dropped."""
CLIENT_SNDBUF_BYTES = 32 * 1024
"""The kernel's send buffer per console (small: a console that stops reading is found out soon)."""
MAX_LINE_BYTES = 16 * 1024
"""A console drops a relay whose line is longer than this (a payload has at most 400 numbers)."""
HELLO_TIMEOUT_SECONDS = 2.0
RELAY_RETRY_SECONDS = 30.0
"""A console on a watcher of its own tries the relay again this often (back to one connection a host)."""
MAX_SOCKET_PATH_BYTES = 107


def default_relay_socket(environ: dict[str, str] | None = None) -> str:
    """The socket on a single-user host: ``$XDG_RUNTIME_DIR/hotline/live.sock``, else
    ``/tmp/hotline-UID/live.sock`` (folders of the user, mode 0700)."""
    environ = dict(os.environ) if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        folder = os.path.join(runtime, "hotline")
    else:
        temporary = environ.get("TMPDIR")
        base = temporary if temporary and os.path.isabs(temporary) else "/tmp"  # noqa: S108 (a 0700 folder)
        folder = os.path.join(base, f"hotline-{os.geteuid()}")
    path = os.path.join(folder, "live.sock")
    if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
        path = os.path.join(f"/tmp/hotline-{os.geteuid()}", "live.sock")  # noqa: S108
    return path


def relay_socket_of(settings: Settings) -> str:
    """The relay's socket path: ``[database] relay_socket``, else the user's default."""
    return settings.database.relay_socket or default_relay_socket()


def database_key(engine: Engine) -> str:
    """Which database a ``LISTEN`` of this engine hears: host, port and name (no user, no password)."""
    from sqlalchemy.engine import make_url

    from hotline.core.db import listen_conninfo

    url = make_url(listen_conninfo(engine))
    return f"{url.host or ''}:{url.port or 5432}/{url.database or ''}"


def encode_change(channel: str, ids: frozenset[int] | None) -> bytes:
    """One change line: the channel, then its ticket numbers when known."""
    numbers = ",".join(map(str, sorted(ids))) if ids else ""
    return f"{channel} {numbers}".rstrip().encode("ascii") + b"\n"


def decode_change(line: bytes) -> tuple[str, frozenset[int] | None] | None:
    """The channel and numbers of one line (None for numbers when not said), or None when malformed."""
    try:
        channel, _, numbers = line.decode("ascii").strip().partition(" ")
    except UnicodeDecodeError:
        return None
    if channel not in CHANNELS:
        return None
    parts = parse_ids(numbers)
    if parts is None:
        return None
    return channel, (frozenset(parts) if parts else None)


# -- the relay ---------------------------------------------------------------------------------------


class RelayServer:
    """Serves one socket: a watcher thread writes changes, the calling thread accepts and flushes."""

    def __init__(self, engine: Engine, path: str) -> None:
        if engine.dialect.name != "postgresql":
            raise ConfigError(
                "the live relay is for PostgreSQL (SQLite consoles watch a counter and need none)",
                where="live relay",
            )
        self.engine = engine
        self.path = path
        self.hello = f"{PROTOCOL} {database_key(engine)}\n".encode("ascii")
        self.counts = {"consoles": 0, "dropped": 0, "changes": 0}
        self._lock = threading.Lock()
        self._buffers: dict[socket.socket, bytearray] = {}
        self._wake_read, self._wake_write = socket.socketpair()
        self._listener: socket.socket | None = None
        self._watcher: ChangeWatcher | None = None

    def start(self) -> None:
        """Listen to the database, then open the socket (a console that connects hears every change)."""
        try:
            self._watcher = ChangeWatcher(self.engine)
        except Exception as error:  # the driver's own error: a listen_url the engine's check did not try
            raise Unavailable(f"the relay cannot listen to the database: {error}") from None
        try:
            self._listener = self._bind()
        except BaseException:
            self._watcher.close()
            raise

    def _bind(self) -> socket.socket:
        folder = os.path.dirname(self.path)
        if self.path == default_relay_socket():
            os.makedirs(folder, mode=0o700, exist_ok=True)
        if not os.path.isdir(folder):
            raise ConfigError(f"no such folder for the relay socket: {folder}", where="relay_socket")
        if os.path.lexists(self.path):
            if not stat.S_ISSOCK(os.lstat(self.path).st_mode):
                raise ConfigError(f"{self.path} exists and is not a socket", where="relay_socket")
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(self.path)
            except OSError:
                try:
                    os.unlink(self.path)  # left by a relay that died
                except OSError as error:
                    raise Unavailable(f"cannot replace {self.path}: {error.strerror}") from None
            else:
                raise Unavailable(f"a relay already serves {self.path}")
            finally:
                probe.close()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.path)
            # Consoles of every user of the host connect; the folder decides who may (0700 by default).
            os.chmod(self.path, 0o666)  # noqa: S103 (channel names and ticket numbers only)
            listener.listen(512)
        except OSError as error:
            listener.close()
            raise Unavailable(f"cannot serve the relay socket {self.path}: {error.strerror}") from None
        listener.setblocking(False)
        return listener

    def serve(self, stop: threading.Event) -> dict[str, int]:
        """Relay until ``stop`` is set; the counts of consoles served, dropped and changes relayed."""
        assert self._listener is not None
        assert self._watcher is not None
        relaying = threading.Thread(target=self._relay, args=(stop,), name="hotline-relay", daemon=True)
        relaying.start()
        selector = selectors.DefaultSelector()
        try:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not stop.is_set():
                self._select_once(selector)
        finally:
            stop.set()
            self._wake()
            relaying.join(timeout=5)
            selector.close()
            self._close()
        return dict(self.counts)

    def _select_once(self, selector: selectors.BaseSelector) -> None:
        with self._lock:
            for peer, buffer in self._buffers.items():
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if buffer else 0)
                if peer in selector.get_map():
                    selector.modify(peer, events)
                else:
                    selector.register(peer, events)
        for key, events in selector.select(timeout=0.5):
            sock = key.fileobj
            if sock is self._listener:
                self._accept()
            elif sock is self._wake_read:
                with contextlib.suppress(BlockingIOError):
                    self._wake_read.recv(4096)
            elif isinstance(sock, socket.socket):
                if events & selectors.EVENT_READ and not self._read_from(sock):
                    self._drop(sock, selector)
                elif events & selectors.EVENT_WRITE:
                    with self._lock:
                        self._flush(sock)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                peer, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CLIENT_SNDBUF_BYTES)
            peer.setblocking(False)
            with self._lock:  # among those written to before it hears the greeting
                self._buffers[peer] = bytearray(self.hello)
                self._flush(peer)
                self.counts["consoles"] += 1

    def _read_from(self, peer: socket.socket) -> bool:
        """Consoles send nothing: whatever comes is discarded; False at the end of the stream."""
        try:
            return bool(peer.recv(4096))
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _drop(self, peer: socket.socket, selector: selectors.BaseSelector | None = None) -> None:
        with self._lock:
            self._buffers.pop(peer, None)
        if selector is not None and peer in selector.get_map():
            selector.unregister(peer)
        peer.close()

    def _flush(self, peer: socket.socket) -> None:
        """Write what the kernel takes now (under the lock); a console gone is dropped at its next read."""
        buffer = self._buffers.get(peer)
        if not buffer:
            return
        try:
            sent = peer.send(buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            buffer.clear()
            return
        del buffer[:sent]

    def _relay(self, stop: threading.Event) -> None:
        assert self._watcher is not None
        while not stop.is_set():
            changed = self._watcher.wait(0.25)
            if not changed:
                continue
            lines = b"".join(
                encode_change(channel, self._watcher.ids(channel)) for channel in sorted(changed)
            )
            self.broadcast(lines)

    def broadcast(self, lines: bytes) -> None:
        """Queue ``lines`` for every console and write what goes at once; drop those that fall behind."""
        too_slow = []
        with self._lock:
            self.counts["changes"] += lines.count(b"\n")
            for peer, buffer in self._buffers.items():
                buffer += lines
                self._flush(peer)
                if len(buffer) > MAX_CLIENT_BUFFER_BYTES:
                    too_slow.append(peer)
            for peer in too_slow:
                del self._buffers[peer]
                self.counts["dropped"] += 1
        for peer in too_slow:
            # Closed by the select thread's next pass (it may be registered there): shut down here.
            with contextlib.suppress(OSError):
                peer.shutdown(socket.SHUT_RDWR)
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")

    def _close(self) -> None:
        with self._lock:
            peers = list(self._buffers)
            self._buffers.clear()
        for peer in peers:
            peer.close()
        if self._listener is not None:
            self._listener.close()
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        if self._watcher is not None:
            self._watcher.close()
        self._wake_read.close()
        self._wake_write.close()


# -- the console's side ---------------------------------------------------------------------------------


def connect_relay(path: str, key: str, *, timeout: float = HELLO_TIMEOUT_SECONDS) -> socket.socket | None:
    """A socket to the relay at ``path`` once it greeted for database ``key``; None when none answers."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        expected = f"{PROTOCOL} {key}\n".encode("ascii")
        hello = b""
        while not hello.endswith(b"\n") and len(hello) <= len(expected):
            chunk = sock.recv(len(expected) - len(hello) or 1)
            if not chunk:
                break
            hello += chunk
        if hello != expected:
            sock.close()
            return None
    except OSError:
        sock.close()
        return None
    return sock


class RelayWatcher:
    """A ``ChangeWatcher`` for a console: the host's relay when one answers, else a watcher of its own
    (one ``LISTEN`` connection), retried every ``RELAY_RETRY_SECONDS``. Each switch reports every
    channel changed (what happened in between is unknown). Not thread-safe: one thread owns it."""

    def __init__(self, engine: Engine, path: str, sock: socket.socket) -> None:
        self.engine = engine
        self.path = path
        self.key = database_key(engine)
        self._sock: socket.socket | None = sock
        self._direct: ChangeWatcher | None = None
        self._pending = b""
        self._ids: dict[str, frozenset[int] | None] = {}
        self._last_try = time.monotonic()
        self.retry_seconds = RELAY_RETRY_SECONDS
        """On a watcher of its own, how often the relay is tried again."""

    @property
    def relayed(self) -> bool:
        """Whether changes come through the relay now (else a watcher of its own, or none yet)."""
        return self._sock is not None

    def wait(self, timeout: float) -> set[str]:
        """The channels that changed since the last call, as soon as one did; empty after ``timeout``."""
        self._ids = {}
        if self._sock is not None:
            return self._wait_relay(timeout)
        if time.monotonic() - self._last_try >= self.retry_seconds or self._direct is None:
            self._last_try = time.monotonic()
            sock = connect_relay(self.path, self.key)
            if sock is not None:
                self._close_direct()
                self._sock = sock
                return set(CHANNELS)
            if self._direct is None:
                try:
                    self._direct = ChangeWatcher(self.engine)
                except Exception:
                    time.sleep(min(timeout, 1.0))
                    return set()
                return set(CHANNELS)
        changed = self._direct.wait(timeout)
        self._ids = {channel: self._direct.ids(channel) for channel in changed}
        return changed

    def ids(self, channel: str) -> frozenset[int] | None:
        """As ``ChangeWatcher.ids``: the records of ``channel`` the last ``wait`` named, None if unknown."""
        return self._ids.get(channel)

    def close(self) -> None:
        self._close_relay()
        self._close_direct()

    def _wait_relay(self, timeout: float) -> set[str]:
        assert self._sock is not None
        changed: set[str] = set()
        self._sock.settimeout(timeout)
        try:
            chunk = self._sock.recv(65536)
            if chunk:
                self._sock.setblocking(False)  # whatever else already arrived, without waiting
                with contextlib.suppress(BlockingIOError):
                    while more := self._sock.recv(65536):
                        chunk += more
                        if len(chunk) > 1024 * 1024:
                            break
        except TimeoutError:
            return changed
        except OSError:
            chunk = b""
        if not chunk:
            return self._lose_relay()
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        if len(self._pending) > MAX_LINE_BYTES:
            return self._lose_relay()
        for line in lines:
            decoded = decode_change(line)
            if decoded is None:
                return self._lose_relay()
            channel, numbers = decoded
            known = self._ids.get(channel, frozenset()) if channel in changed else frozenset()
            changed.add(channel)
            self._ids[channel] = None if known is None or numbers is None else known | numbers
        return changed

    def _lose_relay(self) -> set[str]:
        """The relay went away (or dropped us, or spoke nonsense): another relay, else our own watcher."""
        self._close_relay()
        self._ids = {}
        self._last_try = time.monotonic()
        sock = connect_relay(self.path, self.key)
        if sock is not None:
            self._sock = sock
        else:
            with contextlib.suppress(Exception):  # none now: the next waits try again
                self._direct = ChangeWatcher(self.engine)
        return set(CHANNELS)

    def _close_relay(self) -> None:
        sock, self._sock = self._sock, None
        self._pending = b""
        if sock is not None:
            sock.close()

    def _close_direct(self) -> None:
        direct, self._direct = self._direct, None
        if direct is not None:
            direct.close()


def open_watcher(engine: Engine, settings: Settings) -> ChangeWatcher | RelayWatcher:
    """The console's watcher: through the host's relay on PostgreSQL when it answers, else its own."""
    if engine.dialect.name == "postgresql":
        path = relay_socket_of(settings)
        sock = connect_relay(path, database_key(engine))
        if sock is not None:
            return RelayWatcher(engine, path, sock)
    return ChangeWatcher(engine)
