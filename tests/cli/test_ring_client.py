"""The ring's side of the socket (``cli.ring_client``) against fake listeners: it falls back whenever
nothing was done, prints the listener's answer once it accepted, and is bounded when a listener hangs."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.cli import ring_client
from hotline.cli.ring_socket import encode, socket_path

ARGV = ["--db", "sqlite:////nowhere/ring.db", "call", "incoming", "89161234567", "--operator", "olga"]


@pytest.fixture
def environ(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The ring's variables, with a short private runtime folder (pytest's are too deep for a socket)."""
    runtime = tempfile.mkdtemp(prefix="hotline-ring-")
    try:
        yield {"XDG_RUNTIME_DIR": runtime, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


class FakeListener:
    """A listener on the ring's socket path that answers each connection with ``script(connection)``."""

    def __init__(self, path: str, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self.server.bind(path)
        self.server.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.server:
            connection, _ = self.server.accept()
            with connection:
                connection.settimeout(5)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                with contextlib.suppress(OSError):  # the ring may have hung up: that is the test
                    self.script(connection)


@pytest.fixture
def listener(environ: dict[str, str]) -> Iterator[Callable[[Callable[[socket.socket], None]], FakeListener]]:
    started: list[FakeListener] = []

    def start(script: Callable[[socket.socket], None]) -> FakeListener:
        fake = FakeListener(socket_path("sqlite:////nowhere/ring.db", None, environ), script)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.thread.join(10)


def test_no_listener_means_the_full_path(environ: dict[str, str]) -> None:
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) is None
    assert ring_client.ring(["tickets", "list"], prog="hotline", environ=environ) is None


def test_a_runtime_folder_open_to_others_is_not_used(environ: dict[str, str], listener) -> None:
    fake = listener(lambda connection: connection.sendall(encode({"answer": "accepted"})))
    os.chmod(os.path.dirname(fake.server.getsockname()), 0o777)
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) is None
    socket.socket(socket.AF_UNIX).connect(fake.server.getsockname())  # lets the fake finish


def test_the_answer_is_printed_with_its_exit_code(environ: dict[str, str], listener, capsys) -> None:
    def script(connection: socket.socket) -> None:
        connection.sendall(encode({"answer": "accepted"}) + encode({"answer": "beat"}))
        connection.sendall(encode({"answer": "done", "stdout": "out\n", "stderr": "no console\n", "exit": 1}))

    fake = listener(script)
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) == 1
    assert capsys.readouterr() == ("out\n", "no console\n")
    request = fake.requests[0]
    assert b'"argv":["--db","sqlite:////nowhere/ring.db","call","incoming","89161234567"' in request
    assert b'"cwd":null' in request  # absolute paths: the folder does not matter


@pytest.mark.parametrize(
    "first",
    [
        encode({"answer": "fallback", "why": "the ring's environment differs: PGUSER"}),
        encode({"answer": "refused", "why": "no"}),
        b"garbage\n",
        b"",
        encode({"answer": "done", "stdout": "", "stderr": "", "exit": 0}),  # not accepted first
    ],
)
def test_anything_but_accepted_first_means_the_full_path(environ, listener, capsys, first: bytes) -> None:
    listener(lambda connection: connection.sendall(first))
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) is None
    assert capsys.readouterr() == ("", "")


def test_a_listener_that_never_answers_is_left_in_time(environ, listener, monkeypatch) -> None:
    monkeypatch.setattr(ring_client, "ACCEPT_SECONDS", 0.3)
    released = threading.Event()
    listener(lambda connection: released.wait(10))
    started = time.monotonic()
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) is None
    assert time.monotonic() - started < 3
    released.set()


def test_a_listener_silent_after_accepting_is_exit_1_not_a_second_pop(
    environ, listener, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(ring_client, "BEAT_PATIENCE_SECONDS", 0.3)
    released = threading.Event()

    def script(connection: socket.socket) -> None:
        connection.sendall(encode({"answer": "accepted"}))
        released.wait(10)

    listener(script)
    started = time.monotonic()
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) == 1
    assert time.monotonic() - started < 3
    assert "the call listener stopped answering during the ring" in capsys.readouterr().err
    released.set()


@pytest.mark.parametrize(
    "then",
    [b"", b"garbage\n", encode({"answer": "done", "stdout": 1, "stderr": "", "exit": 0}), b"x" * 2_000_000],
)
def test_a_broken_answer_after_accepting_is_exit_1(environ, listener, capsys, then: bytes) -> None:
    listener(lambda connection: connection.sendall(encode({"answer": "accepted"}) + then))
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) == 1
    assert "stopped answering" in capsys.readouterr().err


def test_a_listener_of_another_user_is_not_trusted(environ, listener, monkeypatch) -> None:
    """The peer check is wired in: a listener that is not the same user gets no request."""
    monkeypatch.setattr(ring_client, "same_principal", lambda peer, own=None: False)
    fake = listener(lambda connection: connection.sendall(encode({"answer": "accepted"})))
    assert ring_client.ring(ARGV, prog="hotline", environ=environ) is None
    fake.thread.join(10)
    assert fake.requests == [b""]


def test_a_request_too_long_for_the_socket_takes_the_full_path(environ, listener) -> None:
    fake = listener(lambda connection: None)
    assert ring_client.ring([*ARGV, "--dialled", "9" * 70_000], prog="hotline", environ=environ) is None
    socket.socket(socket.AF_UNIX).connect(fake.server.getsockname())  # lets the fake finish
