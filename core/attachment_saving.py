"""Writing a ticket's attachments to a directory the operator chose, all or nothing.

Every target is checked before the first byte is written: the directory exists and is one, no file
would be written over (unless ``force``), every file has its bytes. Every file is written to a
temporary name beside its target first, and only when all are whole are they renamed into place, so a
crash or a full disk never leaves half a file, nor some of the files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hotline.core.errors import InvalidInput
from hotline.core.filenames import safe_filename
from hotline.core.services.attachments import StoredFile
from hotline.core.text import printable_path


class TargetExists(InvalidInput):
    """A file to be saved is there already (and ``force`` was not given): nothing was written. Each face
    says how to write over it, if it can."""

    def __init__(self, target: Path) -> None:
        super().__init__(f"{printable_path(target)}: already exists", where="--save")
        self.target = target


def save_files(files: Sequence[StoredFile], directory: Path, *, force: bool = False) -> list[Path]:
    """Write ``files`` into ``directory`` under their safe names; the paths written."""
    folder = directory.expanduser()
    if not folder.is_dir():
        raise InvalidInput(f"{printable_path(folder)}: not a directory", where="--save")
    targets = [(item, folder / safe_filename(item.name)) for item in files]
    for item, target in targets:
        if item.content is None:
            raise InvalidInput(
                f"{item.name}: its bytes were left out when the mail came in (over the size limit)",
                where="attachment",
            )
        # A link to nothing is something there too (``exists`` follows links: it read as no file).
        if (target.exists() or target.is_symlink()) and not force:
            raise TargetExists(target)
        if target.exists() and not target.is_file():
            raise InvalidInput(f"{printable_path(target)}: exists and is not a file", where="--save")
    temporaries: list[str] = []
    try:
        for item, _ in targets:
            temporaries.append(_write_temporary(folder, item.content or b""))
        for temporary, (_, target) in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    except BaseException:
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    return [target for _, target in targets]


def _write_temporary(folder: Path, content: bytes) -> str:
    """``content`` in a new file beside the targets (readable by its owner only); its path."""
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".hotline-", suffix=".part")
    except OSError as error:
        where = printable_path(folder)
        raise InvalidInput(f"{where}: cannot write there ({error.strerror})", where="--save") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o600)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary
