"""Files a command writes (exports, error lists, backups): never the database or the input, never over an
existing file without ``force``, and whole or absent.

A regular file is written to a temporary name beside it and renamed into place, so a full disk or a kill
leaves the old file (or none), never half a new one. A target that exists and is not a regular file
(``/dev/null``, a FIFO, a terminal) is written directly, with ``force``.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from hotline.core.errors import HotlineError, InvalidInput, Unavailable


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or (
            one.exists() and other.exists() and os.path.samefile(one, other)
        )
    except OSError:
        return False


def check_output(
    target: Path, *, force: bool, protected: Iterable[tuple[Path, str]] = (), option: str
) -> None:
    """Refuse (exit 2) a ``target`` that is one of ``protected`` (path, what it is: "the database"), or
    that exists (without ``force``), or whose folder does not exist, or whose name is blank (``--output " "``,
    a variable holding a space, wrote a file named " ")."""
    if target.name and not target.name.strip():
        raise InvalidInput(f"a blank file name: {str(target)!r}", where=option)
    for path, role in protected:
        if _same_file(target, path):
            raise InvalidInput(f"{target} is {role}; it is never written over", where=option)
    try:
        exists, is_dir, parent_is_dir = target.exists(), target.is_dir(), target.parent.is_dir()
    except OSError as error:  # a name too long, a loop of links: the name is wrong, not the system
        raise InvalidInput(f"{target}: {error.strerror or error}", where=option) from None
    if is_dir:
        raise InvalidInput(f"{target} is a directory", where=option)
    if exists and not force:
        raise InvalidInput(f"{target} exists already (--force writes over it)", where=option)
    if not exists and not parent_is_dir:
        raise InvalidInput(f"no such folder: {target.parent}", where=option)


def _names_a_descriptor(target: Path) -> bool:
    """Whether ``target`` is, or links to, a name in ``/dev`` or ``/proc`` (``/dev/stdout``, ``/dev/fd/1``):
    written in place even when it leads to a regular file (stdout redirected to one), since renaming over
    it replaced the link itself (as root, ``/dev/stdout`` became a plain file) and the output was lost."""
    path = os.path.abspath(target)
    for _ in range(40):
        if path.startswith(("/dev/", "/proc/")):
            return True
        if not os.path.islink(path):
            return False
        path = os.path.abspath(os.path.join(os.path.dirname(path), os.readlink(path)))
    return False


def _regular_file_descriptor(target: Path) -> int | None:
    """The descriptor number ``target`` names (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``, or a
    link to one) when it is open on a regular file; None for anything else (a pipe, a terminal)."""
    path = os.path.abspath(target)
    for _ in range(40):
        found = _DESCRIPTOR_NAME.fullmatch(path)
        if found:
            number = int(found.group(1)) if found.group(1) else {"stdout": 1, "stderr": 2}[found.group(2)]
            try:
                return number if stat.S_ISREG(os.fstat(number).st_mode) else None
            except OSError:
                return None
        if not os.path.islink(path):
            return None
        path = os.path.abspath(os.path.join(os.path.dirname(path), os.readlink(path)))
    return None


_DESCRIPTOR_NAME = re.compile(r"/(?:proc/self|dev)/fd/(\d+)|/dev/(stdout|stderr)")


@contextmanager
def write_atomically(target: Path, *, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A stream whose content becomes ``target`` only when the block ends without an error.

    ``OSError`` while writing (a full disk, a vanished folder) is ``Unavailable`` (exit 1).
    """
    mode: dict[str, Any] = {"mode": "wb"} if binary else {"mode": "w", "encoding": encoding, "newline": ""}
    if target.exists() and (not stat.S_ISREG(target.stat().st_mode) or _names_a_descriptor(target)):
        descriptor = _regular_file_descriptor(target)
        try:
            # A descriptor of a regular file (stdout redirected to one) is written through, at its place:
            # opened anew, the file was emptied and what the command wrote on stdout after went over it.
            opened = os.fdopen(os.dup(descriptor), **mode) if descriptor is not None else target.open(**mode)
            with opened as stream:
                yield stream
        except HotlineError:  # a refusal or an unreachable database while writing: said as it is
            raise
        except OSError as error:
            raise Unavailable(f"{target}: cannot write: {error.strerror or error}") from None
        return
    target = Path(os.path.realpath(target))  # a link to the file stays a link: the file is replaced
    kept = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise InvalidInput(f"cannot write there: {error.strerror or error}", where=str(target)) from None
    try:
        with os.fdopen(handle, **mode) as stream:
            yield stream
        if kept is not None:  # written over: its permissions stay (a new file is its owner's only, 0600)
            os.chmod(temporary, kept)
        os.replace(temporary, target)
    except HotlineError:  # PermissionDenied and Unavailable are OSErrors too, but not the file's
        raise
    except OSError as error:
        raise Unavailable(f"{target}: cannot write: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
