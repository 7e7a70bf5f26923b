"""The shared corpus of real-world mail: ``shared/testdata/mail`` beside the repository, or beside a
folder that holds it (a git worktree under ``wt/`` finds the same corpus as the main checkout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_REPOSITORY = Path(__file__).resolve().parents[2]


def _find_corpus() -> Path:
    for folder in _REPOSITORY.parents:
        candidate = folder / "shared" / "testdata" / "mail"
        if (candidate / "manifest.json").is_file():
            return candidate
    return _REPOSITORY.parent / "shared" / "testdata" / "mail"


CORPUS = _find_corpus()


def corpus_manifest() -> list[dict[str, Any]]:
    """The corpus's manifest; an empty list when no shared/ holds one."""
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return []
    return json.loads(manifest.read_text(encoding="utf-8"))
