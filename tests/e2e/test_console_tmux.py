"""End to end in a real terminal: ``hotline`` on a demo database inside tmux.

Types part of a known client's phone, opens the card with Enter, logs a call with ``c`` and ctrl+s,
quits with ctrl+q, and then finds the call in the database. Skipped (loudly) without tmux.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import Interaction

pytestmark = pytest.mark.tmux

HOTLINE = [sys.executable, "-m", "hotline.cli"]
STEP_DEADLINE_SECONDS = 30
MARKER = "e2e invoice call"  # short enough for the timeline summary, which ends in … when cut


def run_hotline(url: str, *args: str) -> str:
    result = subprocess.run(
        [*HOTLINE, "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=clean_env(),
    )
    assert result.returncode == 0, f"hotline {' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout


_NO_CONFIG_HOME = tempfile.mkdtemp(prefix="hotline-no-config-")
"""An empty config folder of this process (a fixed path could be created by one run and read by the next)."""


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TMUX"))}
    env["XDG_CONFIG_HOME"] = _NO_CONFIG_HOME
    return env


class Tmux:
    """One tmux server on a private socket, one session running the console."""

    def __init__(self) -> None:
        self.socket = f"hotline-e2e-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=False
        )
        assert result.returncode == 0, f"tmux {' '.join(args)}: {result.stderr}"
        return result.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "console")

    def wait_for(self, text: str, *, deadline_seconds: float = STEP_DEADLINE_SECONDS) -> str:
        deadline = time.monotonic() + deadline_seconds
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen within {deadline_seconds} s:\n{screen}")
            time.sleep(0.1)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self("send-keys", "-t", "console", *(["-l"] if literal else []), *keys)

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )


@pytest.fixture
def demo_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run_hotline(url, "db", "init")
    run_hotline(url, "demo", "--clients", "300")
    return url


def test_find_the_caller_log_a_call_and_quit(demo_database: str, tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("TMUX NOT INSTALLED: the end-to-end console test needs tmux")
    url = demo_database
    card = json.loads(run_hotline(url, "clients", "show", "1", "--json"))
    operators = json.loads(run_hotline(url, "operators", "list", "--json"))
    login = next(o["login"] for o in operators if o["role"] == "operator" and o["active"])
    digits = "".join(ch for ch in card["phones"][0]["e164"] if ch.isdigit())
    part = digits[-7:]
    name = card["name"]

    tmux = Tmux()
    env = clean_env()
    command = (
        f"HOTLINE_DATABASE_URL={url} HOTLINE_OPERATOR={login} XDG_CONFIG_HOME={env['XDG_CONFIG_HOME']}"
        f" {' '.join(HOTLINE)}; echo CONSOLE-EXITED-$?; sleep 60"
    )
    tmux("new-session", "-d", "-s", "console", "-x", "120", "-y", "36", command)
    try:
        tmux.wait_for("Phone, name, email")
        tmux.keys(part, literal=True)
        tmux.wait_for(name)
        tmux.keys("Enter")
        tmux.wait_for("Timeline")
        screen = tmux.wait_for(card["phones"][0]["raw"])
        assert name in screen
        tmux.keys("c")
        tmux.wait_for("Log a call")
        tmux.keys(MARKER, literal=True)
        tmux.wait_for(MARKER)
        tmux.keys("C-s")
        screen = tmux.wait_for("call ")
        deadline = time.monotonic() + STEP_DEADLINE_SECONDS
        while "Log a call" in screen and time.monotonic() < deadline:
            time.sleep(0.1)
            screen = tmux.screen()
        assert "Log a call" not in screen, screen
        tmux.wait_for(MARKER)
        tmux.keys("C-q")
        tmux.wait_for("CONSOLE-EXITED-0")
    finally:
        tmux.kill()

    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            calls = uow.session.exec(select(Interaction).where(Interaction.notes == MARKER)).all()
            assert len(calls) == 1
            assert (calls[0].client_id, calls[0].kind, calls[0].direction) == (card["id"], "call", "in")
            assert calls[0].operator_id is not None
    finally:
        engine.dispose()
