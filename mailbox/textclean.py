"""Making untrusted mail text safe to display: no control characters, no escape sequences."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
# that can make a line read differently from what it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Multi-line text for display: newlines normalised, tabs kept, every other control removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """One-line text (subject, name): line breaks and tabs become spaces, runs of spaces collapse."""
    text = re.sub(r"[\r\n\t]+", " ", text)
    return re.sub(r" {2,}", " ", _CONTROL.sub("", text)).strip()
