"""``kill -9`` at a chosen moment of a child process: the one loop the kill tests share (start the child,
wait for its moment, kill it, reap it and whatever it started), bounded by a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path


def kill_when(
    command: list[str],
    ready: Callable[[], bool],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> bool:
    """Run ``command`` (quietly, in a session of its own) and kill -9 it once ``ready()``; whether it was
    still running then. Its own children (``pg_dump``) are killed after it, so none outlives the test."""
    process = subprocess.Popen(
        command,
        env=None if env is None else dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if ready():
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return True
            time.sleep(0.005)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def kill_script_once_signalled(
    script: str, args: list[str], signal_file: Path, *, timeout: float = 120
) -> None:
    """Run ``python -c SCRIPT ARGS`` and kill -9 it once it has written ``signal_file`` (its moment: it
    then waits to be killed); fails the test if it ends or times out first."""
    killed = kill_when([sys.executable, "-c", script, *args], signal_file.exists, timeout=timeout)
    assert killed and signal_file.exists(), f"the child never wrote {signal_file.name}"
