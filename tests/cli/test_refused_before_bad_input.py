"""A privileged command is refused (and audited) before its arguments are checked: ``report send BADNAME``
by an operator was "no schedule or report named" (exit 2) with no audit entry, so an operator's attempt
left no trace whenever she also typed something wrong. Both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from core.escalation.world import populate
from sqlmodel import col, select

from hotline.core.db import UnitOfWork
from hotline.core.models import AuditEntry
from tests.cli.invoke import hotline

ATTEMPTS = [
    (("report", "send", "BADNAME"), "report.send"),
    (("report", "queues", "--from", "not-a-date"), "report"),
    (("report", "renewals", "--within", "3", "--from", "2026-01-01"), "report"),
    (("audit", "list", "--entity", "ticket 1"), "audit.read"),
    (("audit", "list", "--since", "yesterday"), "audit.read"),
    (("clients", "import", "missing.csv", "--map", "nonsense"), "client.import"),
    (("clients", "export", "--output", "{existing}"), "client.export"),
    (("operators", "add", "newbie", "--role", "emperor"), "operator.manage"),
    (("operators", "role", "ivan", "emperor"), "operator.manage"),
    (("clients", "list", "--export", "xlsx", "--sort", "nonsense"), "client.list_export"),
    (("demo", "--clients", "10", "--unexpected"), "demo.load"),
    (("shifts", "off", "ivan", "--from", "someday"), "roster.manage"),
    (("shifts", "swap", "ivan", "--with", "boss", "--date", "someday"), "roster.manage"),
    (("contracts", "add", "1", "--level", "gold", "--start", "x", "--end", "y"), "contract.manage"),
    (("contracts", "end", "1", "--on", "someday"), "contract.manage"),
    (("escalate", "--now", "not-an-instant"), "escalate"),
    (("clients", "groups", "set", "VIP"), "group.manage"),
]


@pytest.mark.parametrize(
    ("args", "operation"), ATTEMPTS, ids=[" ".join(a[:2]) + f" {i}" for i, (a, _) in enumerate(ATTEMPTS)]
)
def test_an_operators_attempt_with_bad_input_is_refused_and_audited(
    engine, clock, database_url: str, tmp_path: Path, args: tuple[str, ...], operation: str
) -> None:
    populate(engine, clock)
    existing = tmp_path / "there.csv"
    existing.write_text("taken\n")
    typed = [arg.replace("{existing}", str(existing)) for arg in args]
    result = hotline("--db", database_url, "--operator", "ivan", *typed)
    assert result.exit_code == 2, result.output
    assert f"{operation} needs" in result.output, result.output
    with UnitOfWork(engine, readonly=True) as uow:
        refused = list(
            uow.session.exec(select(AuditEntry).where(col(AuditEntry.action) == f"refused:{operation}"))
        )
    assert [entry.actor for entry in refused] == ["ivan"]
    assert existing.read_text() == "taken\n"
