"""``hotline call incoming`` through a real ``hotline call listen`` process, against the full path.

The fast path must be invisible but for its speed: the same pop row and audit entry, the same output and
exit code for every hostile input, ``--wait`` kept, the full path whenever no listener (or a stale socket)
is there, and a listener that bounds garbage and hanging peers and serves only its own user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from hotline.cli.ring_socket import code_stamp, encode, socket_path
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import AuditEntry, ScreenPop
from hotline.core.services.screen_pop import take_screen_pops
from tests.cli.invoke import NO_CONFIG_HOME
from tests.pbx_samples import CLIENT_PHONE, seed_pbx

pytestmark = pytest.mark.slow

HOTLINE = str(Path(sys.executable).parent / "hotline")
CONFIG = """
sources = ["TV"]

[[campaigns]]
code = "TV-NOV"
source = "TV"
dialled = ["+7 800 555-01-01"]
"""
DEADLINE_SECONDS = 60.0


def private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class Listener:
    """``hotline --db URL --config FILE call listen --no-ami`` with its own runtime folder."""

    def __init__(self, url: str, tmp_path: Path, runtime: Path) -> None:
        self.url = url
        self.config = tmp_path / "config.toml"
        if not self.config.exists():
            self.config.write_text(CONFIG, encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.upper().startswith("HOTLINE_")}
        self.env |= {
            "XDG_CONFIG_HOME": NO_CONFIG_HOME,
            "XDG_RUNTIME_DIR": str(runtime),
        }
        self.cold_env = self.env | {"XDG_RUNTIME_DIR": str(private(tmp_path / "no-listener"))}
        self.path = socket_path(url, str(self.config), self.env)
        self.log = tmp_path / "listener.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                [HOTLINE, "--db", self.url, "--config", str(self.config), "call", "listen", "--no-ami"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + DEADLINE_SECONDS
        while f"serving rings on {self.path}" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.05)

    def stop(self) -> str:
        """SIGTERM; the listener's log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text()

    def served(self) -> int:
        return self.log.read_text().count("ring served")

    def ring(self, *args: str, cold: bool = False, env: dict[str, str] | None = None) -> tuple[str, str, int]:
        """``hotline --db URL --config FILE call incoming ARGS``: through the listener, or ``cold``."""
        result = subprocess.run(
            [HOTLINE, "--db", self.url, "--config", str(self.config), "call", "incoming", *args],
            env=(self.cold_env if cold else self.env) | (env or {}),
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
            check=False,
        )
        return result.stdout, result.stderr, result.returncode


@pytest.fixture
def staff(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with UnitOfWork(engine) as uow:
            seed_pbx(uow)
    finally:
        engine.dispose()
    return database_url


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A short private runtime folder (pytest's are too deep for a socket's path under xdist)."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-ring-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def listener(staff: str, tmp_path: Path, runtime: Path) -> Iterator[Listener]:
    running = Listener(staff, tmp_path, runtime)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def pops_and_audit(url: str) -> tuple[list[tuple], list[tuple]]:
    """The pops, and their audit entries without ids and times."""
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            pops = uow.session.exec(select(ScreenPop).order_by(col(ScreenPop.id))).all()
            entries = uow.session.exec(
                select(AuditEntry).where(AuditEntry.entity == "screen_pop").order_by(col(AuditEntry.id))
            ).all()
    finally:
        engine.dispose()
    untimed = [
        (
            entry.actor,
            entry.action,
            entry.via,
            {k: v for k, v in (entry.after or {}).items() if k not in ("id", "requested_at")},
        )
        for entry in entries
    ]
    return [(pop.operator_login, pop.number, pop.campaign, pop.consumed_at) for pop in pops], untimed


def test_the_fast_path_writes_what_the_full_path_writes(listener: Listener) -> None:
    ring = (CLIENT_PHONE, "--operator", "olga", "--dialled", "8 800 555 01 01")
    fast = listener.ring(*ring)
    assert listener.served() == 1
    cold = listener.ring(*ring, cold=True)
    assert listener.served() == 1
    assert fast == cold == ("", "screen pop sent to olga (campaign TV-NOV)\n", 0)
    pops, audit = pops_and_audit(listener.url)
    assert len(pops) == 2 and pops[0] == pops[1] and pops[0][2] == "TV-NOV"
    assert len(audit) == 2 and audit[0] == audit[1]
    assert audit[0][:3] == ("system", "screen_pop.request", "cron: hotline call incoming")
    # An edited configuration is read again by the next ring, as the full path would read it.
    listener.config.write_text(CONFIG.replace("TV-NOV", "TV-DEC"), encoding="utf-8")
    assert listener.ring(*ring)[1] == "screen pop sent to olga (campaign TV-DEC)\n"
    assert listener.served() == 2
    stopped = listener.stop()
    assert "rings 2" in stopped and "Traceback" not in stopped
    assert not os.path.exists(listener.path)  # removed on exit


HOSTILE = [
    (),
    ("1", "--wait", "-1"),
    ("1", "--wait", "soon"),
    ("1", "--wait", "3601"),
    ("1", "--bogus"),
    (CLIENT_PHONE, "--operator", "nobody"),
    (CLIENT_PHONE, "--operator", "ol\tga"),
    (CLIENT_PHONE, "--operator", "olga\x1b[2J"),
    ("no digits at all", "--operator", "olga"),
    ("\x1b]0;x\x07 916 123", "--operator", "olga"),
    ("7" * 5000, "--operator", "olga"),
    (CLIENT_PHONE, "--operator", "olga", "--dialled", "\u202e8 800"),
    (CLIENT_PHONE, "--operator", "o" * 3000),
    (CLIENT_PHONE,),  # the system account must name the operator
]


@pytest.mark.timeout(600)  # each input is run cold too: a whole program start per input
def test_hostile_input_gets_the_full_paths_messages_and_exit_codes(listener: Listener) -> None:
    for args in HOSTILE:
        before = listener.served()
        fast = listener.ring(*args)
        assert listener.served() == before + 1, args
        assert fast == listener.ring(*args, cold=True), args
    # Longer than a request may be: the ring runs its own full path, with its own messages.
    before = listener.served()
    huge = listener.ring("8" * 70_000, "--operator", "olga")
    assert listener.served() == before and huge == listener.ring(
        "8" * 70_000, "--operator", "olga", cold=True
    )
    pops, audit = pops_and_audit(listener.url)
    assert pops and len(pops) % 2 == 0 and pops[0::2] == pops[1::2]  # each accepted ring: the same pop twice
    assert audit[0::2] == audit[1::2]


def test_wait_through_the_socket(listener: Listener) -> None:
    started = time.monotonic()
    assert listener.ring("89161234567", "--operator", "olga", "--wait", "0.3") == (
        "",
        "no console of olga took the call within 0.3 s\n",
        1,
    )
    assert time.monotonic() - started < 30

    result: list[tuple[str, str, int]] = []
    ringing = threading.Thread(
        target=lambda: result.append(listener.ring("89161234567", "--operator", "olga", "--wait", "30"))
    )
    ringing.start()
    engine = make_engine(listener.url)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            with UnitOfWork(engine, readonly=True) as uow:
                waiting = uow.session.exec(select(ScreenPop.id).where(col(ScreenPop.id) > 1)).all()
            if waiting:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)  # the listener beats while the ring waits
        with UnitOfWork(engine) as uow:
            take_screen_pops(uow, pop_ids=waiting, console="tty-test")
    finally:
        engine.dispose()
    ringing.join(DEADLINE_SECONDS)
    assert result == [("taken by olga's console on tty-test\n", "", 0)]
    assert listener.served() == 2


def test_without_a_listener_or_with_a_stale_socket_the_full_path_runs(
    staff: str, tmp_path: Path, runtime: Path
) -> None:
    listener = Listener(staff, tmp_path, runtime)
    assert listener.ring(CLIENT_PHONE, "--operator", "olga") == ("", "screen pop sent to olga\n", 0)
    os.makedirs(os.path.dirname(listener.path), mode=0o700, exist_ok=True)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(listener.path)
    stale.close()  # a listener killed without cleaning up
    assert listener.ring(CLIENT_PHONE, "--operator", "olga")[2] == 0
    listener.start()
    try:
        assert "removing the stale ring socket" in listener.log.read_text()
        assert listener.ring(CLIENT_PHONE, "--operator", "olga")[2] == 0
        assert listener.served() == 1
    finally:
        listener.stop()
    assert len(pops_and_audit(staff)[0]) == 3


def test_a_ring_from_another_environment_runs_its_own_full_path(listener: Listener) -> None:
    assert listener.ring(CLIENT_PHONE, "--operator", "olga", env={"HOTLINE_TIMEZONE": "UTC"})[2] == 0
    assert listener.served() == 0
    assert "the ring's environment differs: HOTLINE_TIMEZONE" in listener.log.read_text()
    # A variable that decides nothing for a ring (the AMI secret) does not matter.
    assert listener.ring(CLIENT_PHONE, "--operator", "olga", env={"HOTLINE_AMI_SECRET": "x"})[2] == 0
    assert listener.served() == 1


def exchange(path: str, data: bytes, *, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send ``data`` (nothing more), read until the listener closes; what it said and how long it took."""
    started = time.monotonic()
    with socket.socket(socket.AF_UNIX) as peer:
        peer.settimeout(timeout)
        peer.connect(path)
        if data:
            peer.sendall(data)
        said = b""
        while chunk := peer.recv(65536):
            said += chunk
    return said, time.monotonic() - started


def test_garbage_and_hanging_peers_are_bounded(listener: Listener) -> None:
    said, seconds = exchange(listener.path, b"")
    assert seconds < 5 and b"no request within" in said
    said, _ = exchange(listener.path, b"not json at all\n")
    assert json.loads(said)["answer"] == "refused"
    said, _ = exchange(listener.path, b"{" * 70_000)
    assert b"longer than" in said
    said, _ = exchange(listener.path, b'{"answer": "accepted"}\n')
    assert b"no code stamp" in said
    # A well-formed request for any other command is refused: the socket runs rings, nothing else.
    other = {
        "stamp": code_stamp(),
        "argv": ["operators", "add", "mallory", "--role", "admin"],
        "prog": "hotline",
        "env": {},
    }
    said, _ = exchange(listener.path, encode(other))
    assert b"not a `call incoming` command line" in said
    # Still serving.
    assert listener.ring(CLIENT_PHONE, "--operator", "olga")[2] == 0
    log = listener.stop()
    assert re.search(r"ring_refused 5\b", log) and "rings 1" in log
    assert "mallory" not in log


@pytest.mark.skipif(os.geteuid() != 0, reason="a peer of another uid needs root to make")
def test_a_peer_of_another_user_is_refused(staff: str, tmp_path: Path, runtime: Path) -> None:
    """Opened up on purpose (folders 0711, socket 0666), the socket still serves only its own user."""
    system_python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")  # ours may be in /root
    if system_python is None:
        pytest.skip("no system python3 for the other user's probe")
    listener = Listener(staff, tmp_path, runtime)  # runtime: in /tmp, tmp_path is closed to other users
    try:
        listener.start()
        for folder in (runtime, Path(listener.path).parent):
            folder.chmod(0o711)
        os.chmod(listener.path, 0o666)
        argv = ["call", "incoming", CLIENT_PHONE, "--operator", "olga"]
        request = {"stamp": code_stamp(), "argv": argv, "prog": "hotline", "env": {}}
        probe = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])\n"
            "try:\n    s.sendall(sys.argv[2].encode()); said = s.recv(1000)\n"
            "except (BrokenPipeError, ConnectionResetError):\n    said = b''\n"  # closed before reading
            "print(repr(said))\n"
        )
        nobody = subprocess.run(
            [system_python, "-I", "-c", probe, listener.path, encode(request).decode()],
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
            user=65534,
            cwd="/",
            check=False,
        )
        assert nobody.stdout.strip() == "b''", nobody.stderr
    finally:
        log = listener.stop()
    assert "refused a ring from uid 65534" in log and "rings 0" in log
    assert pops_and_audit(staff)[0] == []
