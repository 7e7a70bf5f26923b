"""Corpus checks the current code fails: strict xfails, so the fix flips them (and must remove them).

Keyed by (message id, aspect). A reason names the item of issue 14 that covers it; "beyond issue 14"
marks a real defect that none of its items names (reported, not hidden).
"""

from __future__ import annotations

KNOWN_FAILURES: dict[tuple[str, str], str] = {}
