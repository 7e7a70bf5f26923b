"""What ``mail poll`` does not import: the stemmer (only rules with words use it) in the poll, asyncio in
its conversion worker (which runs ``hotline.mailbox.incoming.convert_group``). Each import is CPU on
every poll; checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(module: str, names: list[str]) -> list[str]:
    code = f"import sys, {module}; print(' '.join(n for n in {names!r} if n in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("module", "absent", "present"),
    [
        ("hotline.mailbox.poller", ["snowballstemmer"], ["hotline.core.kb.text"]),
        ("hotline.mailbox.incoming", ["asyncio", "snowballstemmer"], ["hotline.mailbox.convert"]),
    ],
    ids=["poll", "conversion-worker"],
)
def test_not_imported(module: str, absent: list[str], present: list[str]) -> None:
    assert _loaded_after(module, [*absent, *present]) == present


def test_the_worker_task_is_importable_without_the_pool() -> None:
    from hotline.mailbox.conversion import convert_group
    from hotline.mailbox.incoming import convert_for_intake

    assert convert_group.__module__ == "hotline.mailbox.incoming"  # what the worker unpickles
    raws = [b"From: a@example.com\nSubject: hi\n\nshort", b"From: b@example.com\nSubject: two\n\nmore"]
    converted = convert_group(raws, 50_000)
    assert [(mail.from_address, mail.subject) for mail in converted] == [
        ("a@example.com", "hi"),
        ("b@example.com", "two"),
    ]
    assert converted == [convert_for_intake(raw, 50_000) for raw in raws]


def test_stems_still_made_on_first_use() -> None:
    code = (
        "import sys\nfrom hotline.core.kb.text import stems\nassert 'snowballstemmer' not in sys.modules\n"
        "print(' '.join(stems('принтеры printing')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["принтер", "print"]
