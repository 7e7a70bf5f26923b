"""The shared corpus of real-world mail: ``shared/testdata/mail`` beside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "mail"


def corpus_manifest() -> list[dict[str, Any]]:
    """The corpus's manifest; an empty list when shared/ is not beside the repository."""
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return []
    return json.loads(manifest.read_text(encoding="utf-8"))
