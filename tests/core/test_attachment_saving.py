"""Saving a ticket's attachments (``core/attachment_saving.py``): all of them, or none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import resource, signal, sys
from pathlib import Path
from hotline.core.attachment_saving import save_files
from hotline.core.services.attachments import StoredFile

files = [StoredFile(1, 1, "small.txt", "text/plain", 5, b"small"),
         StoredFile(2, 1, "large.bin", "application/octet-stream", 100_000, b"x" * 100_000)]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))  # the disk fills up on the second file
try:
    save_files(files, Path(sys.argv[1]))
except OSError as error:
    print(error.strerror)
"""


def test_a_disk_that_fills_up_midway_leaves_none_of_the_files(tmp_path: Path) -> None:
    said = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert said.strip() == "File too large"
    assert list(tmp_path.iterdir()) == []  # small.txt was saved, and the command said it failed
