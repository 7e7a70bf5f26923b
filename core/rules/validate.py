"""Checking the rules against the database (``hotline rules check``): the queues, client groups and
operators they name exist, and someone can be "supervisor" when a rule needs one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import select

from hotline.core.errors import ConfigError
from hotline.core.models import ClientGroup, Operator, Queue
from hotline.core.rules.config import ROUTING, EventRuleConfig
from hotline.core.services.queues import MAIL_DEFAULT_QUEUE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hotline.core.db import UnitOfWork

_ASSIGN_WORDS = {*ROUTING, "supervisor"}
_PERSON_WORDS = {"supervisor", "assignee"}
"""What assign, and notify or a reminder's who, take besides a login: "round-robin" names nobody to
notify and "assignee" nobody to assign (they passed the check as words, then failed on every event)."""


def _named(rule: EventRuleConfig) -> tuple[set[str], set[str]]:
    """The queues and the logins a rule names."""
    queues = set(rule.when.queue or [])
    logins = {rule.supervisor} if rule.supervisor else set()
    for action in rule.actions:
        if action.queue:
            queues.add(action.queue)
        if action.assign and action.assign not in _ASSIGN_WORDS:
            logins.add(action.assign)
        for who in (action.notify, action.reminder.who if action.reminder else None):
            if who and who not in _PERSON_WORDS:
                logins.add(who)
    return queues, logins


def _needs_supervisor(rule: EventRuleConfig) -> bool:
    whos = [a.assign for a in rule.actions] + [a.notify for a in rule.actions]
    whos += [a.reminder.who for a in rule.actions if a.reminder]
    return "supervisor" in whos and not rule.supervisor


def rule_problems(uow: UnitOfWork, rules: Sequence[EventRuleConfig]) -> list[str]:
    """Each problem as ``rules[i] (rule 'name'): reason``; empty when every rule can work."""
    queues = set(uow.session.exec(select(Queue.name)))
    groups = set(uow.session.exec(select(ClientGroup.name)))
    active = {login for login, on in uow.session.exec(select(Operator.login, Operator.active)) if on}
    known = set(uow.session.exec(select(Operator.login)))
    supervisors = uow.session.exec(
        select(Operator.login).where(Operator.role == "supervisor", Operator.active == True)  # noqa: E712
    ).first()
    problems = []
    for index, rule in enumerate(rules):
        where = f"rules[{index}] (rule {rule.name!r})"
        named_queues, logins = _named(rule)
        # The default queue is made by the first ticket or mail: a condition on it before then is no typo
        # (rules check was exit 2 on a new installation); an action moving tickets into it needs it.
        moved_into = {action.queue for action in rule.actions if action.queue}
        waiting = {MAIL_DEFAULT_QUEUE} - moved_into
        unknown = named_queues - queues - waiting
        problems += [f"{where}: unknown queue {name!r}" for name in sorted(unknown)]
        problems += [  # a typo never matched, as a queue's would not
            f"{where}: unknown client group {name!r}"
            for name in sorted(set(rule.when.client_group or []) - groups)
        ]
        problems += [f"{where}: unknown operator {login!r}" for login in sorted(logins - known)]
        problems += [
            f"{where}: operator {login!r} is deactivated" for login in sorted((logins & known) - active)
        ]
        if _needs_supervisor(rule) and supervisors is None:
            problems.append(f"{where}: there is no active supervisor for 'supervisor'")
    return problems


def check_rules(uow: UnitOfWork, rules: Sequence[EventRuleConfig], *, source: str) -> None:
    """``ConfigError`` naming the file and every rule that names what is not there."""
    problems = rule_problems(uow, rules)
    if problems:
        raise ConfigError("; ".join(problems), where=source)
