"""The per-host live relay (PostgreSQL only: SQLite consoles watch a counter in the file and need no relay,
so those tests are PostgreSQL's alone and skip loudly without it).

A real ``hotline live relay`` process; consoles' watchers connected through it hear a screen pop and a
ticket change committed on another connection; the relay killed by pid, they fall back to a LISTEN of
their own and still hear the next change; a console that stops reading is dropped and never holds the
others back; a bad ``relay_socket`` is refused with exit 2.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.core.changes import CHANNELS, MAX_PAYLOAD_IDS, ChangeWatcher, signal_change
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.relay import RelayWatcher, connect_relay, database_key, open_watcher
from hotline.core.services.screen_pop import request_screen_pop
from hotline.core.settings import load_settings
from tests.cli.invoke import NO_CONFIG_HOME

HOTLINE = str(Path(sys.executable).parent / "hotline")
WAIT_SECONDS = 10.0
START_SECONDS = 30.0


@pytest.fixture
def folder() -> Iterator[Path]:
    """A short folder (a socket's path is limited to 107 bytes), as the admin would make."""
    made = Path(tempfile.mkdtemp(prefix="hl-relay-"))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


@pytest.fixture
def config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(f'[database]\nrelay_socket = "{folder / "live.sock"}"\n', encoding="utf-8")
    return path


class Relay:
    """``hotline live relay`` as a process of its own, started and killed by the test."""

    def __init__(self, url: str, config: Path) -> None:
        self.url, self.config = url, config
        self.socket = str(config.parent / "live.sock")
        self.log = config.parent / "relay.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, key: str) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HOTLINE, "--db", self.url, "--config", str(self.config), "live", "relay"],
                env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            probe = connect_relay(self.socket, key, timeout=1)
            if probe is not None:
                probe.close()
                return
            time.sleep(0.05)
        raise AssertionError("the relay did not answer: " + self.log.read_text(errors="replace"))

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


@pytest.fixture
def relay(database_url: str, config: Path, engine) -> Iterator[Relay]:
    started = Relay(database_url, config)
    started.start(database_key(engine))
    try:
        yield started
    finally:
        started.kill()


@pytest.fixture
def console_engine(database_url: str, config: Path):
    """A console's engine and settings (the relay's socket from the same file)."""
    settings = load_settings(config, database_url=database_url)
    made = make_engine(database_url, database=settings.database)
    try:
        yield made, settings
    finally:
        made.dispose()


def heard(watcher, channel: str, *, number: int | None = None) -> bool:
    """Whether ``watcher`` reports ``channel`` (naming ``number`` when given, or naming none: not known
    which) within ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if channel in watcher.wait(0.25):
            ids = watcher.ids(channel)
            if number is None or ids is None or number in ids:
                return True
    return False


def drain(watcher) -> None:
    """Read what is pending (the switch's "everything changed") until a quiet wait."""
    deadline = time.monotonic() + WAIT_SECONDS
    while watcher.wait(0.3) and time.monotonic() < deadline:
        pass


def signal_ticket(engine, number: int) -> None:
    with UnitOfWork(engine) as uow:
        signal_change(uow, "ticket", [number])


def backend_connections(engine, database: str) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND query LIKE 'LISTEN%'"),
                {"d": database},
            ).scalar_one()
        )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_consoles_hear_a_pop_and_a_ticket_through_one_relay(
    relay, console_engine, engine, uow_factory, staff
) -> None:
    made, settings = console_engine
    consoles = [open_watcher(made, settings) for _ in range(2)]
    try:
        assert all(isinstance(watcher, RelayWatcher) and watcher.relayed for watcher in consoles)
        # one LISTEN connection for the whole host: the relay's
        assert backend_connections(engine, engine.url.database) == 1
        with uow_factory() as uow:
            request_screen_pop(uow, operator_login="olga", number="+7 916 123 45 67")
        assert all(heard(watcher, "screen_pop") for watcher in consoles)
        signal_ticket(engine, 4711)
        for watcher in consoles:
            assert heard(watcher, "ticket", number=4711)
            assert watcher.ids("ticket") == frozenset({4711})
    finally:
        for watcher in consoles:
            watcher.close()
    assert relay.stop() == 0
    assert "live relay stopped" in relay.log.read_text()
    assert not Path(relay.socket).exists()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_relay_killed_consoles_fall_back_and_miss_nothing(relay, console_engine, engine) -> None:
    made, settings = console_engine
    consoles = [open_watcher(made, settings) for _ in range(2)]
    try:
        assert all(isinstance(watcher, RelayWatcher) and watcher.relayed for watcher in consoles)
        relay.kill()
        for watcher in consoles:  # the switch itself says everything changed
            assert set(watcher.wait(WAIT_SECONDS)) == set(CHANNELS)
            assert watcher.ids("ticket") is None and not watcher.relayed
        signal_ticket(engine, 12)
        assert all(heard(watcher, "ticket", number=12) for watcher in consoles)

        relay.start(database_key(engine))  # back to the relay at the next try, then through it
        for watcher in consoles:
            watcher.retry_seconds = 0  # not the 30 s of a console
            assert set(watcher.wait(1)) == set(CHANNELS) and watcher.relayed
        signal_ticket(engine, 13)
        assert all(heard(watcher, "ticket", number=13) for watcher in consoles)
    finally:
        for watcher in consoles:
            watcher.close()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_console_that_stops_reading_is_dropped_and_never_holds_the_others(
    relay, console_engine, engine
) -> None:
    made, settings = console_engine
    key = database_key(engine)
    stuck = connect_relay(relay.socket, key)
    reader = open_watcher(made, settings)
    assert stuck is not None and isinstance(reader, RelayWatcher)
    try:
        # Long lines (the longest payload) fill the stuck console's buffers within a few dozen changes.
        last = 0
        for change in range(150):
            first = change * MAX_PAYLOAD_IDS
            with UnitOfWork(engine) as uow:
                signal_change(uow, "ticket", range(first, first + MAX_PAYLOAD_IDS))
            last = first
            assert heard(reader, "ticket", number=last), f"change {change} not heard"
        assert reader.relayed  # never dropped: it read
        # The stuck one was dropped: after what the kernel held, the end of the stream.
        stuck.settimeout(WAIT_SECONDS)
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := stuck.recv(1 << 16):
                received += len(chunk)
        assert 0 < received < 200_000  # of some 380 kB relayed
    finally:
        stuck.close()
        reader.close()
    assert relay.stop() == 0
    assert "dropped 1" in relay.log.read_text()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_relay_losing_the_database_tells_every_console_everything_changed(
    relay, console_engine, engine
) -> None:
    from sqlalchemy import text

    made, settings = console_engine
    consoles = [open_watcher(made, settings) for _ in range(2)]
    try:
        with engine.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :d AND query LIKE 'LISTEN%'"
                ),
                {"d": engine.url.database},
            ).all()
        assert ended == [(True,)]
        for watcher in consoles:
            deadline = time.monotonic() + WAIT_SECONDS
            changed: set[str] = set()
            tickets: list[frozenset[int] | None] = []
            while changed != set(CHANNELS) and time.monotonic() < deadline:
                changed |= watcher.wait(0.25)
                if "ticket" in changed and not tickets:
                    tickets.append(watcher.ids("ticket"))
            assert changed == set(CHANNELS) and tickets == [None]  # not known which: all of them
            assert watcher.relayed  # still through the relay, which listens again
        signal_ticket(engine, 99)
        assert all(heard(watcher, "ticket", number=99) for watcher in consoles)
    finally:
        for watcher in consoles:
            watcher.close()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_relay_of_another_database_is_not_used(relay, console_engine, engine) -> None:
    made, settings = console_engine
    assert connect_relay(relay.socket, "127.0.0.1:5432/another") is None
    watcher = open_watcher(made, settings)
    try:
        assert isinstance(watcher, RelayWatcher)
    finally:
        watcher.close()


def test_sqlite_needs_no_relay(folder: Path, config: Path) -> None:
    """On SQLite a console watches a counter in the file: it never asks a relay, and none runs there."""
    url = f"sqlite:///{folder / 'hotline.db'}"
    from hotline.core import migrate

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        watcher = open_watcher(engine, load_settings(config, database_url=url))
        assert isinstance(watcher, ChangeWatcher)
        watcher.close()
    finally:
        engine.dispose()
    result = subprocess.run(
        [HOTLINE, "--db", url, "--config", str(config), "live", "relay"],
        env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "the live relay is for PostgreSQL" in result.stderr
    assert not (folder / "live.sock").exists()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("live.sock", "relay_socket must be the absolute path"),
        ("/run/hotline/", "relay_socket must be the absolute path"),
        ("/" + "a" * 120, "longer than a Unix socket path"),
    ],
)
def test_config_check_refuses_a_bad_relay_socket(folder: Path, value: str, said: str) -> None:
    config = folder / "config.toml"
    config.write_text(f'[database]\nrelay_socket = "{value}"\n', encoding="utf-8")
    result = subprocess.run(
        [HOTLINE, "--db", f"sqlite:///{folder / 'h.db'}", "--config", str(config), "config", "check"],
        env={**os.environ, "XDG_CONFIG_HOME": NO_CONFIG_HOME},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (folder / "h.db").exists()
