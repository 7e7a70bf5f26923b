"""Notifying an operator of escalated tickets: one mail per rule and run, listing the tickets.

Mail goes through the outbox (``hotline.core.services.outbox.enqueue_mail``), committed with the steps.
An operator without an email address, or a build without the outbox, gets the notice as the ticket
event only; the returned text says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotline.core.models import Operator
from hotline.core.sla.config import EscalationRuleConfig

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_LISTED = 200


def notify_operator(
    uow: UnitOfWork, *, operator: Operator, rule: EscalationRuleConfig, tickets: list[Any]
) -> str:
    """Queue the notice for ``operator``; returns how it was delivered, for the ticket events."""
    if not operator.email:
        return f"{operator.login} notified in the ticket (no email address)"
    try:
        from hotline.core.services.outbox import enqueue_mail
    except ImportError:
        return f"{operator.login} notified in the ticket (no outbox)"
    lines = [
        f"#{t.number}  {t.priority:<7} {' '.join(str(t.subject).split())[:120]}" for t in tickets[:MAX_LISTED]
    ]
    if len(tickets) > MAX_LISTED:
        lines.append(f"… and {len(tickets) - MAX_LISTED} more")
    count = len(tickets)
    subject = f"[hotline] {rule.name}: {count} ticket{'s' if count != 1 else ''}"
    body = f"Escalation rule {rule.name!r} ({rule.when}) applied to:\n\n" + "\n".join(lines) + "\n"
    enqueue_mail(uow, to=[operator.email], subject=subject, body=body, kind="notification")
    return f"mail to {operator.login} queued"
