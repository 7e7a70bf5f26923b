"""The conductor: on an event, evaluate the rules in order and apply the actions of those that match.

The service operations call ``conduct`` at the end of their work, in their unit of work, so a rule's
changes commit with the event or not at all. Each matching rule runs in its own savepoint: a rule that
fails for this ticket (an operator gone, a move the lifecycle refuses) is rolled back alone, the
failure is written on the ticket, and the event and the other rules still land. A rule's own changes
raise events too; those are evaluated one level deep and no further, so two rules that undo each other
stop after one round. Every evaluation leaves a trace (``rule_trace``) that ``rules explain`` reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotline.core.rules.conditions import CHECKS

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.models import Ticket
    from hotline.core.rules.book import CompiledRule, RuleBook
    from hotline.core.rules.facts import EventFacts

MAX_DEPTH = 1
"""Events raised by rules' actions are evaluated this many levels deep (0: the event itself)."""
_DEPTH_KEY = "hotline.rules.depth"
_DRY_RUN_KEY = "hotline.rules.dry_run"


@dataclass
class RuleVerdict:
    """One rule on one event: matched or why not, what it did, or why it failed."""

    rule: str
    matched: bool
    reason: str = ""
    did: list[str] = field(default_factory=list)
    failed: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "matched": self.matched,
            "reason": self.reason,
            "did": self.did,
            "failed": self.failed,
        }


def rule_book(uow: UnitOfWork) -> RuleBook | None:
    return getattr(uow, "rules", None)


def depth(uow: UnitOfWork) -> int:
    return int(uow.session.info.get(_DEPTH_KEY, 0))


@contextmanager
def _deeper(uow: UnitOfWork) -> Iterator[None]:
    uow.session.info[_DEPTH_KEY] = depth(uow) + 1
    try:
        yield
    finally:
        uow.session.info[_DEPTH_KEY] -= 1


def why_not(rule: CompiledRule, facts: EventFacts, book: RuleBook) -> str | None:
    """None when every condition of the rule holds; else the first that does not, in words."""
    for name, wanted in rule.conditions:
        reason = CHECKS[name](facts, wanted, book.sla)
        if reason is not None:
            return reason
    return None


def conduct(
    uow: UnitOfWork,
    event: str,
    *,
    ticket: Ticket | None = None,
    client_id: int | None = None,
    channel: str | None = None,
    subject: str = "",
    body: str = "",
    sender: str | None = None,
    extra: dict[str, str] | None = None,
    from_mail: bool = False,
    automated: str | None = None,
) -> list[RuleVerdict]:
    """Run the rules of ``event`` (nothing when the unit of work has no rules or none listen).
    ``from_mail``/``automated``: raised by an incoming message, and its loop verdict (``EventFacts``)."""
    book = rule_book(uow)
    if book is None or not book.for_event(event) or depth(uow) > MAX_DEPTH:
        return []
    from hotline.core.rules.facts import EventFacts

    facts = EventFacts(
        uow=uow,
        event=event,
        at=uow.now(),
        ticket=ticket,
        client_id=client_id,
        channel=channel,
        subject=subject,
        body=body,
        sender=sender,
        extra=extra or {},
        from_mail=from_mail,
        automated=automated,
    )
    return evaluate(uow, book, facts)


def evaluate(uow: UnitOfWork, book: RuleBook, facts: EventFacts) -> list[RuleVerdict]:
    """Every rule of the event in order, applied or not; the verdicts are traced on the ticket."""
    verdicts: list[RuleVerdict] = []
    stopped_by: str | None = None
    for rule in book.for_event(facts.event):
        if stopped_by is not None:
            verdicts.append(
                RuleVerdict(rule.name, False, f"not evaluated: rule {stopped_by!r} stops later rules")
            )
            continue
        if not rule.config.enabled:
            verdicts.append(RuleVerdict(rule.name, False, "disabled"))
            continue
        reason = why_not(rule, facts, book)
        if reason is not None:
            verdicts.append(RuleVerdict(rule.name, False, reason))
            continue
        verdicts.append(_apply(uow, book, rule, facts))
        if rule.config.stop:
            stopped_by = rule.name
    _trace(uow, facts, verdicts)
    return verdicts


def _apply(uow: UnitOfWork, book: RuleBook, rule: CompiledRule, facts: EventFacts) -> RuleVerdict:
    from hotline.core.db import classify_database_error
    from hotline.core.errors import Unavailable
    from hotline.core.rules.actions import apply_action, record_failure

    verdict = RuleVerdict(rule.name, True, "every condition holds")
    if _DRY_RUN_KEY in uow.session.info:
        verdict.did = [f"would {action}" for action in rule.config.actions]
        return verdict
    try:
        with uow.session.begin_nested(), _deeper(uow):
            for action in rule.config.actions:
                verdict.did.append(apply_action(uow, book, rule.config, action, facts))
    except Exception as error:
        if isinstance(classify_database_error(error), Unavailable):
            raise
        verdict.did = []
        verdict.failed = str(error) or type(error).__name__
        record_failure(uow, rule.config, facts, verdict.failed)
    return verdict


def _trace(uow: UnitOfWork, facts: EventFacts, verdicts: list[RuleVerdict]) -> None:
    if _DRY_RUN_KEY in uow.session.info:
        uow.session.info[_DRY_RUN_KEY].append((facts.event, verdicts))
        return
    if not verdicts:
        return
    from hotline.core.models import RuleTrace

    ticket = facts.ticket
    uow.session.add(
        RuleTrace(
            ticket_id=ticket.id if ticket is not None else None,
            client_id=None if ticket is not None else facts.client_id,
            event=facts.event,
            depth=depth(uow),
            at=facts.at,
            entries=[verdict.as_dict() for verdict in verdicts],
        )
    )


@contextmanager
def dry_run(uow: UnitOfWork) -> Iterator[list[tuple[str, list[RuleVerdict]]]]:
    """Inside: rules are evaluated and say what they would do, but do nothing and leave no trace; the
    list yielded collects each event's verdicts."""
    collected: list[tuple[str, list[RuleVerdict]]] = []
    uow.session.info[_DRY_RUN_KEY] = collected
    try:
        yield collected
    finally:
        uow.session.info.pop(_DRY_RUN_KEY, None)
