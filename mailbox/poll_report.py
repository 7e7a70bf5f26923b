"""What one poll of one account did: the messages it found, counted by what became of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hotline.core.services.mail.intake import IntakeOutcome


@dataclass
class PollReport:
    """One account's poll; ``hotline mail poll`` prints it as a table row or a JSON object."""

    account: str
    new: int = 0
    created: int = 0
    threaded: int = 0
    duplicates: int = 0
    bounces: int = 0
    """Bounces of our own mail, matched to their outbox rows (no ticket opened)."""
    failed: int = 0
    acknowledged: int = 0
    uidvalidity_changed: bool = False
    error: str | None = None

    def count(self, outcome: IntakeOutcome, *, acknowledged: bool = False) -> None:
        """Count one message taken in (or found taken in before)."""
        match outcome:
            case IntakeOutcome.CREATED:
                self.created += 1
            case IntakeOutcome.THREADED:
                self.threaded += 1
            case IntakeOutcome.DUPLICATE:
                self.duplicates += 1
            case IntakeOutcome.BOUNCED:
                self.bounces += 1
            case IntakeOutcome.FAILED:
                self.failed += 1
        if acknowledged:
            self.acknowledged += 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
