"""Checks of the configuration against the database, made before an escalation run does anything.

The file is checked on loading (``hotline.core.sla.config``); what it names in the database — queues
and operators — is checked here, so a typo is exit 2 with the file and the rule, never a failure at
02:00 half-way through a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import select

from hotline.core.errors import ConfigError
from hotline.core.models import Operator, Queue
from hotline.core.models.enums import Role
from hotline.core.services.queues import MAIL_DEFAULT_QUEUE
from hotline.core.shifts.routing import MODES as ROUTING_MODES
from hotline.core.sla.policy import SlaSetup

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


def validate_against_db(uow: UnitOfWork, *, setup: SlaSetup) -> None:
    """Raise ``ConfigError`` (file, rule, reason) for any queue or operator the configuration names
    that the database does not have, or for ``supervisor`` when there is no active supervisor."""
    queues = set(uow.session.exec(select(Queue.name)))
    # The default queue is made by the first ticket or mail: before it, a policy or rule scoped to it is
    # no typo (a new installation's cron escalate was exit 2 until then) and simply finds nothing; an
    # action moving tickets into it still needs it.
    scopes = queues | {MAIL_DEFAULT_QUEUE}
    operators = {op.login: op for op in uow.session.exec(select(Operator))}
    has_supervisor = any(op.active and op.role == Role.SUPERVISOR.value for op in operators.values())
    source = setup.source

    for index, policy in enumerate(setup.policies):
        if policy.queue != "*" and policy.queue not in scopes:
            raise ConfigError(f"sla[{index}] ({policy.label}): unknown queue {policy.queue!r}", where=source)
    for index, rule in enumerate(setup.rules):
        where = f"escalation[{index}] (rule {rule.name!r})"
        if rule.queue != "*" and rule.queue not in scopes:
            raise ConfigError(f"{where}: unknown queue {rule.queue!r}", where=source)
        if rule.supervisor is not None:
            named = operators.get(rule.supervisor)
            if named is None or not named.active:
                raise ConfigError(f"{where}: unknown or inactive operator {rule.supervisor!r}", where=source)
        for action in rule.parsed_actions:
            if action.kind == "queue" and action.target not in queues:
                raise ConfigError(f"{where}: action {action}: unknown queue {action.target!r}", where=source)
            if action.kind == "assign" and action.target in ROUTING_MODES:
                continue
            if action.kind in ("assign", "notify"):
                if action.target == "supervisor":
                    if rule.supervisor is None and not has_supervisor:
                        raise ConfigError(
                            f"{where}: action {action}: there is no active supervisor", where=source
                        )
                    continue
                named = operators.get(action.target)
                if named is None or not named.active:
                    raise ConfigError(
                        f"{where}: action {action}: unknown or inactive operator {action.target!r}",
                        where=source,
                    )
