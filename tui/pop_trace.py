"""A trace of a screen pop's way through the console, for finding where a slow ring spent its time.

``HOTLINE_POP_TRACE=<file>`` appends one line per step, stamped with the wall clock (the ring's
``requested_at`` is a wall-clock time, so the steps line up with it): the live thread woke for the ring,
the pop and its card read, the message posted; the card screen built, composed, mounted and first painted;
and every garbage collection (generation, wall and CPU milliseconds, objects collected), which can stop
the console for tens of milliseconds in the middle of a ring. ``tests/bench/bench_pop.py`` sets it
with ``POP_TRACE`` and prints each step's share. Without the variable nothing is written and no hook
is installed.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path
from typing import Any

PATH: Path | None = Path(value) if (value := os.environ.get("HOTLINE_POP_TRACE")) else None
"""Where the trace goes (None: nowhere); read once, when the console starts."""

_lock = threading.Lock()
_gc_started: list[tuple[float, float]] = []


def enabled() -> bool:
    return PATH is not None


def mark(step: str, detail: str = "") -> None:
    """Append ``step`` with the wall-clock time and the thread it ran on."""
    if PATH is None:
        return
    line = f"{time.time():.6f} {threading.current_thread().name} {step} {detail}".rstrip() + "\n"
    with _lock, PATH.open("a", encoding="utf-8") as out:
        out.write(line)


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started.append((time.perf_counter(), time.thread_time()))
    elif _gc_started:
        wall, cpu = _gc_started.pop()
        took, worked = (time.perf_counter() - wall) * 1000.0, (time.thread_time() - cpu) * 1000.0
        # the thread's own CPU time too: on a busy machine the wall time is mostly waiting for a core
        mark(
            "gc", f"gen {info['generation']} {took:.1f} ms cpu {worked:.1f} ms collected {info['collected']}"
        )


def watch_collections() -> None:
    """Trace every garbage collection (once; nothing without the variable)."""
    if PATH is not None and _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
