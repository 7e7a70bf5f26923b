"""A ring's command line run inside ``hotline call listen``: the full path's own command, in-process.

The listener runs the ring's ``hotline [options] call incoming ...`` through the same click group as the
``hotline`` program, on a thread of its own, with what the command prints captured for the ring: the
options, their validation, the messages and the exit codes are the full path's by construction, and the
write goes through the same service and unit of work. When the ring names the same database,
configuration, operator and clock as the listener, the root callback adopts the listener's loaded
settings and engine (``cli.state.adopt_resident``); the acting identity is still proven for each ring,
so each is authorized and audited as its own process would have been.
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from hotline.cli.state import CliState, serving_resident

log = logging.getLogger("hotline.cli.rings")


class RoutedStream:
    """The listener's ``sys.stdout`` or ``sys.stderr``: a ring's thread writes into its own buffer (never a
    terminal: plain text), every other thread to the real stream."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self._local = threading.local()

    @property
    def _buffer(self) -> io.StringIO | None:
        return getattr(self._local, "buffer", None)

    @contextmanager
    def captured(self, buffer: io.StringIO) -> Iterator[None]:
        self._local.buffer = buffer
        try:
            yield
        finally:
            self._local.buffer = None

    def write(self, text: str) -> int:
        buffer = self._buffer
        return (buffer if buffer is not None else self.real).write(text)

    def flush(self) -> None:
        if self._buffer is None:
            self.real.flush()

    def isatty(self) -> bool:
        return False if self._buffer is not None else self.real.isatty()

    def fileno(self) -> int:
        if self._buffer is not None:
            raise io.UnsupportedOperation("a ring's output is captured")
        return self.real.fileno()

    @property
    def encoding(self) -> str:
        return "utf-8" if self._buffer is not None else self.real.encoding

    @property
    def errors(self) -> str | None:
        return "strict" if self._buffer is not None else self.real.errors

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def routed_streams() -> tuple[RoutedStream, RoutedStream]:
    """``sys.stdout`` and ``sys.stderr`` as ``RoutedStream``s (installed once per process)."""
    if not isinstance(sys.stdout, RoutedStream):
        sys.stdout = RoutedStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, RoutedStream):
        sys.stderr = RoutedStream(sys.stderr)  # type: ignore[assignment]
    return sys.stdout, sys.stderr  # type: ignore[return-value]


class RingRunner:
    """Runs rings' command lines on the listener's resident state; ``run`` is called from any thread."""

    def __init__(self, state: CliState) -> None:
        import click
        import typer

        from hotline.cli.main import app

        self.listener_state = state
        self.resident = state.make_resident()
        self.group: Any = typer.main.get_command(app)
        self.group.get_command(click.Context(self.group), "call")  # the command's module, loaded now
        # What a ring's write needs, imported now rather than during the first ring.
        import hotline.core.services.screen_pop  # noqa: F401

        self._refreshing = threading.Lock()
        self.stdout, self.stderr = routed_streams()

    def run(self, argv: list[str], prog: str) -> tuple[str, str, int]:
        """The ring's stdout, stderr and exit code, as ``prog argv`` would have printed and exited."""
        self._refresh_if_changed()
        out, err = io.StringIO(), io.StringIO()
        code = contextvars.Context().run(self._invoke, argv, prog, out, err)
        return out.getvalue(), err.getvalue(), code

    def _invoke(self, argv: list[str], prog: str, out: io.StringIO, err: io.StringIO) -> int:
        with serving_resident(self.resident), self.stdout.captured(out), self.stderr.captured(err):
            try:
                self.group.main(args=argv, prog_name=prog, standalone_mode=True)
            except SystemExit as exit_:
                return _exit_code(exit_.code, err)
            except Exception as error:
                log.exception("a ring failed")
                err.write(f"hotline: error: the call listener failed on this ring ({type(error).__name__})\n")
                return 1
        return 0

    def _refresh_if_changed(self) -> None:
        """A changed configuration file is read again (once, by the first ring to see it); until it
        reads cleanly, rings run on states of their own and report its errors as the full path does."""
        if not self.resident.config_changed():
            return
        with self._refreshing:
            if not self.resident.config_changed():
                return
            old = self.resident
            fresh = CliState(
                db=old.db, config=old.config, operator=old.operator, now=old.now, command=old.command
            )
            try:
                self.resident = fresh.make_resident()
            except Exception as error:
                fresh.close()
                log.warning("the configuration changed and does not load (%s); rings start afresh", error)
                return
            if old is not self.listener_state and old._engine is not None:
                old._engine.dispose()  # rings still on it finish on their checked-out connections
            log.info("the configuration changed: rings use it from now on")


def _exit_code(code: object, err: io.StringIO) -> int:
    """``sys.exit``'s argument as a process would turn it into an exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    err.write(f"{code}\n")
    return 1
