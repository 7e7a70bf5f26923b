"""Files on the command line: the files ``tickets reply --attach`` sends, and a ticket's attachments
listed or saved by ``tickets attachment``. Problems name the file and exit 2, before anything is
queued or written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.core.errors import InvalidInput
from hotline.core.text import printable_path

if TYPE_CHECKING:
    from hotline.core.services.attachments import StoredFile
    from hotline.core.services.mail.sending import OutgoingFile

MAX_READ_BYTES = 200 * 1024 * 1024
"""Never read more than this of one file (the outgoing limit refuses far less anyway)."""


def read_attachments(names: Sequence[str], *, at_most: int) -> list[OutgoingFile]:
    """The files to attach, read whole; a blank name, a missing, unreadable or non-regular file is exit 2,
    and so are files that together would make a mail over ``at_most`` bytes (``mail.max_outgoing_bytes``),
    said before any is read (a film attached by mistake was read into memory whole before it was refused)."""
    from hotline.core.services.mail.sending import OutgoingFile

    if any(not name.strip() for name in names):
        # Read as a path, a blank --attach (an unset shell variable) was "." and refused as ". : not a file".
        raise InvalidInput("a blank file name; name the file to attach", where="--attach")
    paths = [Path(name) for name in names]
    total = 0
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file", where="--attach")
        if not path.is_file():
            raise InvalidInput(f"{path}: not a file", where="--attach")
        size = path.stat().st_size
        if size > MAX_READ_BYTES:
            raise InvalidInput(f"{path}: {size:,} bytes is too large to attach", where="--attach")
        total += size
        if total * 4 // 3 > at_most:  # base64 on the wire, as the reply's own check counts it
            raise InvalidInput(
                f"{path}: with it the attachments would be {total * 4 // 3:,} bytes on the wire, over the "
                f"{at_most:,}-byte limit (mail.max_outgoing_bytes): attach less",
                where="--attach",
            )
    files: list[OutgoingFile] = []
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise InvalidInput(f"{path}: cannot read it ({error.strerror})", where="--attach") from None
        files.append(OutgoingFile.named(path.name, content))
    return files


def attachment_json(item: StoredFile) -> dict[str, Any]:
    """An attachment as ``tickets attachment --json`` lists it (never its bytes)."""
    return {
        "name": item.name,
        "content_type": item.content_type,
        "size": item.size,
        "stored": item.stored,
    }


def save_attachments(files: Sequence[StoredFile], directory: Path, *, force: bool) -> list[Path]:
    from hotline.core.attachment_saving import TargetExists, save_files

    try:
        return save_files(files, directory, force=force)
    except TargetExists as exists:
        hint = f"{printable_path(exists.target)}: already exists (--force writes over it)"
        raise InvalidInput(hint, where="--save") from None
