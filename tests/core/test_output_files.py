"""Files commands write (``core/output_files.py``): through a link, the file it names gets the content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hotline.core.errors import InvalidInput
from hotline.core.output_files import check_output, write_atomically


def test_a_link_to_a_descriptor_is_written_through_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/stdout --force > out.csv``: the rename replaced the link (as root, ``/dev/stdout`` itself)."""
    redirected = tmp_path / "out.csv"
    with redirected.open("w") as stream:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{stream.fileno()}")
        with write_atomically(link) as out:
            out.write("id,name\r\n")
    assert link.is_symlink()
    assert redirected.read_bytes() == b"id,name\r\n"


def test_a_link_to_a_regular_file_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "2026-12.csv"
    real.write_text("old")
    latest = tmp_path / "latest.csv"
    latest.symlink_to(real.name)
    with write_atomically(latest) as out:
        out.write("new")
    assert latest.is_symlink() and os.readlink(latest) == real.name
    assert real.read_text() == "new"


def test_a_name_too_long_for_the_file_system_is_bad_usage(tmp_path: Path) -> None:
    """``--output`` with a 300-character name failed as an operational error (exit 1) naming no option."""
    with pytest.raises(InvalidInput, match="File name too long") as refused:
        check_output(tmp_path / ("a" * 300 + ".csv"), force=False, option="--output")
    assert refused.value.where == "--output"


def test_a_file_written_over_keeps_its_permissions_and_a_new_one_is_the_owners(tmp_path: Path) -> None:
    """``--force`` over a report the team reads (0644) made it 0600: the replacement was a new file."""
    shared = tmp_path / "weekly.csv"
    shared.write_text("old")
    shared.chmod(0o644)
    with write_atomically(shared) as out:
        out.write("new")
    assert (shared.read_text(), shared.stat().st_mode & 0o777) == ("new", 0o644)
    fresh = tmp_path / "clients.csv"
    with write_atomically(fresh) as out:  # the client base, perhaps: readable by its owner only
        out.write("id,name\r\n")
    assert fresh.stat().st_mode & 0o777 == 0o600


def test_a_descriptor_leading_to_a_regular_file_is_written_at_its_place_not_over_it(tmp_path: Path) -> None:
    """``clients import … --errors /dev/stdout --force > out.txt``: opening /dev/stdout anew emptied the
    file and wrote from its start, and the summary written on stdout after it went over the rejected
    rows. Written through the descriptor itself, the file gets what came before, the rows, what follows."""
    redirected = tmp_path / "out.txt"
    with redirected.open("w") as stream:
        stream.write("before\n")
        stream.flush()
        with write_atomically(Path(f"/proc/self/fd/{stream.fileno()}")) as out:
            out.write("rejected rows\n")
        stream.write("summary\n")
    assert redirected.read_text() == "before\nrejected rows\nsummary\n"
