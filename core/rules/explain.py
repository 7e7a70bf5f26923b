"""What the rules did to a ticket, and what they would do to a message: ``rules explain`` and ``rules
test``, and the ticket screen's explanation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from hotline.core.models import RuleTrace
from hotline.core.rules.engine import dry_run
from hotline.core.services.tickets import get_ticket

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.rules.book import RuleBook
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef


@dataclass(frozen=True)
class EventExplanation:
    """One event the rules were evaluated on, and every rule's verdict."""

    event: str
    at: datetime | None
    depth: int
    verdicts: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "at": self.at.isoformat() if self.at else None,
            "depth": self.depth,
            "rules": self.verdicts,
        }

    def lines(self) -> list[str]:
        """Plain text, one line per rule (the CLI and the console show these)."""
        when = f" at {self.at.isoformat(timespec='seconds')}" if self.at else ""
        nested = " (raised by a rule)" if self.depth else ""
        lines = [f"{self.event}{when}{nested}:"]
        for verdict in self.verdicts:
            if verdict["failed"]:
                lines.append(f"  ✗ {verdict['rule']}: matched, FAILED: {verdict['failed']}")
            elif verdict["matched"]:
                lines.append(f"  ✓ {verdict['rule']}: {'; '.join(verdict['did']) or 'nothing to do'}")
            else:
                lines.append(f"  · {verdict['rule']}: not matched: {verdict['reason']}")
        return lines


def explain_ticket(uow: UnitOfWork, *, number: int) -> list[EventExplanation]:
    """Every evaluation of the rules on ticket ``number``, oldest first."""
    ticket = get_ticket(uow, number=number)
    traces = uow.session.exec(
        select(RuleTrace).where(RuleTrace.ticket_id == ticket.id).order_by(col(RuleTrace.id))
    )
    return [EventExplanation(t.event, t.at, t.depth, list(t.entries)) for t in traces]


def dry_run_mail(
    uow: UnitOfWork, *, book: RuleBook, mailbox: MailboxRef, mail: IncomingMail
) -> list[EventExplanation]:
    """What the rules would do with ``mail`` arriving in ``mailbox`` now: the message is taken in inside a
    savepoint that is always rolled back, and the rules only say what they would do."""
    from hotline.core.services.mail.intake import take_in

    uow.rules = book
    savepoint = uow.session.begin_nested()
    try:
        with dry_run(uow) as collected:
            take_in(uow, mailbox=mailbox, uidvalidity=0, uid=0, mail=mail, sla=book.sla)
    finally:
        savepoint.rollback()
    return [
        EventExplanation(event, None, 0, [v.as_dict() for v in verdicts]) for event, verdicts in collected
    ]
