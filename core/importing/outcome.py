"""What an import did (or, in a dry run, would do): counts, one line per row decision, every error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hotline.core.errors import InvalidInput
from hotline.core.importing.drafts import RowError

Action = Literal["created", "updated", "unchanged", "skipped", "rejected"]
OnDuplicate = Literal["skip", "update", "fail"]


@dataclass(slots=True)
class RowDecision:
    """The fate of one row: created, updated, unchanged (an update with nothing new), skipped, rejected."""

    line: int
    action: Action
    client_id: int | None = None
    detail: str = ""


@dataclass
class ImportOutcome:
    """The result of one import; ``errors`` lists every row error with its line and column."""

    path: str
    dry_run: bool
    on_duplicate: OnDuplicate
    rows: int = 0
    organisations_created: int = 0
    groups_created: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    decisions: list[RowDecision] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    write_started: float | None = None
    """``time.perf_counter()`` when the writing transaction began (how long it held the lock is measured
    from here to its commit)."""
    write_started_cpu: float | None = None
    """``time.thread_time()`` then: the transaction's own CPU time, which a loaded machine inflates less."""
    lock_holds: list[tuple[str, float, float]] = field(default_factory=list)
    """A staged import's writing transactions, each (what, wall seconds, CPU seconds): the ``publish`` of
    the clients, then each ``index`` transaction. Empty on the direct path (one transaction, measured
    from ``write_started`` to its commit)."""
    publish_check_seconds: float | None = None
    """Of a staged publish's hold, the wall time of its check that nothing changed since the file was
    read (``service.clients_version``, then ``TempStage.still_valid`` if something did)."""
    index_pending: bool = False
    """The clients committed but some of their lookup-index rows could not be written yet (a database
    error after the commit): the next import or ``hotline db upgrade`` writes them."""

    def count(self, action: Action) -> int:
        return sum(1 for decision in self.decisions if decision.action == action)

    @property
    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(("created", "updated", "unchanged", "skipped", "rejected"), 0)
        for decision in self.decisions:
            totals[decision.action] += 1
        return totals

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "on_duplicate": self.on_duplicate,
            "rows": self.rows,
            **self.counts,
            "organisations_created": self.organisations_created,
            "groups_created": self.groups_created,
            "ignored_columns": self.ignored_columns,
            "errors": [
                {"line": error.line, "column": error.column, "reason": error.reason} for error in self.errors
            ],
            "decisions": [
                {"line": d.line, "action": d.action, "client_id": d.client_id, "detail": d.detail}
                for d in self.decisions
            ],
        }


class ImportRejected(InvalidInput):
    """An atomic import met invalid rows: nothing was written; ``outcome.errors`` lists them all."""

    def __init__(self, outcome: ImportOutcome) -> None:
        count = len({error.line for error in outcome.errors})
        super().__init__(
            f"{count} invalid row{'s' if count != 1 else ''}; nothing was imported "
            "(fix them, or use --skip-invalid to import the valid rows)",
            where=outcome.path,
        )
        self.outcome = outcome
