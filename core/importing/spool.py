"""Reading an import from standard input (``-``), ``/dev/stdin`` or a named pipe.

The readers need a file they can read twice (the encoding is decided on the whole file), so a stream is
copied to a private temporary file first, bounded by the import's size limit. A pipe nobody writes to
does not hang the import: it waits ``WRITER_WAIT_SECONDS`` for the first byte, then says so.
"""

from __future__ import annotations

import os
import select
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from hotline.core.errors import InvalidInput

WRITER_WAIT_SECONDS = 10.0
CHUNK_BYTES = 1 << 16


def is_stream(path: Path) -> bool:
    """Whether ``path`` is ``-`` or names something that is read once (a pipe, a terminal, a device)."""
    if str(path) == "-":
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def spooled(path: Path, *, stdin: BinaryIO, limit: int) -> Iterator[Path]:
    """``path`` itself when it is a regular file; else a temporary copy of what the stream holds (at most
    ``limit`` bytes), named like the stream, removed afterwards."""
    if not is_stream(path):
        yield path
        return
    name = "stdin" if str(path) in ("-", "/dev/stdin") else path.name or "stream"
    with tempfile.TemporaryDirectory(prefix="hotline-import-") as folder:
        copy = Path(folder) / name
        if str(path) == "-":
            if stdin.isatty():
                raise InvalidInput(
                    "standard input is a terminal: pipe the file in, or give its name", where="-"
                )
            _copy_blocking(stdin, copy, limit=limit, label="-")
        else:
            _copy_pipe(path, copy, limit=limit)
        yield copy


def _copy_blocking(stream: BinaryIO, copy: Path, *, limit: int, label: str) -> None:
    with copy.open("wb") as out:
        size = 0
        while chunk := stream.read(CHUNK_BYTES):
            size += len(chunk)
            _check_size(size, limit, label)
            out.write(chunk)


def _copy_pipe(path: Path, copy: Path, *, limit: int) -> None:
    """Copy a pipe or device opened without blocking, so a pipe without a writer cannot hang us."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise InvalidInput(f"cannot read it: {error.strerror or error}", where=str(path)) from None
    try:
        if os.isatty(descriptor):
            raise InvalidInput("this is a terminal: pipe the file in, or give its name", where=str(path))
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        # Only a pipe may still get a writer; a device's empty read is its end (/dev/null waited 10 s).
        waits = stat.S_ISFIFO(os.fstat(descriptor).st_mode)
        size = 0
        with copy.open("wb") as out:
            while True:
                try:
                    chunk = os.read(descriptor, CHUNK_BYTES)
                except BlockingIOError:  # a writer is there, with nothing to say yet
                    select.select([descriptor], [], [], 0.5)
                    continue
                if chunk:
                    size += len(chunk)
                    _check_size(size, limit, str(path))
                    out.write(chunk)
                    continue
                if size or not waits or time.monotonic() >= deadline:
                    return  # the end of the data; or no writer came (the readers then say "empty")
                time.sleep(0.05)  # no writer yet: wait a little for one to open the pipe
    finally:
        os.close(descriptor)


def _check_size(size: int, limit: int, label: str) -> None:
    if size > limit:
        raise InvalidInput(
            f"more than {limit >> 20} MB arrived; one import takes at most that: split it", where=label
        )
