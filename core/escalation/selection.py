"""Which open tickets a rule's condition holds for: one SQL predicate per rule, no loop over tickets.

Business-time conditions become comparisons with cut-off instants computed once per calendar (and per
SLA target): "idle for 4 business hours" holds exactly when the last activity is at or before
``calendar.cutoff(now, 4h)``, whatever the ticket.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, false, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from hotline.core.models import Queue, Ticket
from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.models.sla import TicketSla
from hotline.core.sla.config import EscalationRuleConfig
from hotline.core.sla.duration import Duration
from hotline.core.sla.policy import SlaSetup, target

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = Ticket.__table__  # type: ignore[attr-defined]
S = TicketSla.__table__  # type: ignore[attr-defined]
OPEN = [status.value for status in OPEN_STATUSES]


def scaled(duration: Duration, percent: int) -> Duration:
    """``percent`` % of a duration (80 % of 8h is 6h24m)."""
    return Duration(
        minutes=duration.minutes * percent / 100,  # type: ignore[arg-type]
        calendar_minutes=duration.calendar_minutes * percent / 100,  # type: ignore[arg-type]
        text=f"{percent}% of {duration.text}",
    )


def level_key(rule: EscalationRuleConfig) -> ColumnElement[Any]:
    """The ``escalation_step.level`` of a rule on a ticket: its level and the ticket's SLA cycle."""
    return literal(f"{rule.level or 'step'}#", String) + cast(S.c.cycle, String)


class Selector:
    """Builds the candidate predicates of a run at one instant; caches what it asked the database."""

    def __init__(self, session: Session, setup: SlaSetup, now: datetime) -> None:
        self.session = session
        self.setup = setup
        self.now = now
        self._pairs: dict[str, list[tuple[str, str]]] = {}
        self._calendars: list[str] | None = None
        self._queues: dict[str, int | None] = {}

    def _distinct_pairs(self, column: str) -> list[tuple[str, str]]:
        """The (calendar, target) pairs present among open tickets, e.g. ("office", "8h")."""
        if column not in self._pairs:
            rows = self.session.execute(
                select(S.c.calendar, S.c[column])
                .select_from(S.join(T, T.c.id == S.c.ticket_id))
                .where(T.c.status.in_(OPEN), S.c[column] != "")
                .distinct()
            )
            self._pairs[column] = [(row[0], row[1]) for row in rows]
        return self._pairs[column]

    def _distinct_calendars(self) -> list[str]:
        if self._calendars is None:
            rows = self.session.execute(
                select(S.c.calendar)
                .select_from(S.join(T, T.c.id == S.c.ticket_id))
                .where(T.c.status.in_(OPEN))
                .distinct()
            )
            self._calendars = [row[0] for row in rows]
        return self._calendars

    def queue_id(self, name: str) -> int | None:
        if name not in self._queues:
            self._queues[name] = self.session.execute(
                select(Queue.id).where(Queue.name == name)  # type: ignore[arg-type]
            ).scalar_one_or_none()
        return self._queues[name]

    def predicate(self, rule: EscalationRuleConfig) -> ColumnElement[bool]:
        """Everything a ticket must satisfy for the rule to apply (not yet applied in this cycle)."""
        parts: list[ColumnElement[bool]] = [T.c.status.in_(OPEN)]
        if rule.queue != "*":
            queue_id = self.queue_id(rule.queue)
            if queue_id is None:
                return false()
            parts.append(T.c.queue_id == queue_id)
        if rule.priority != "*":
            parts.append(T.c.priority == rule.priority)
        parts.append(self.condition(rule))
        return and_(*parts)

    def condition(self, rule: EscalationRuleConfig) -> ColumnElement[bool]:
        condition, now = rule.condition, self.now
        if condition.kind == "first_response_overdue":
            return and_(T.c.first_response_at.is_(None), T.c.first_response_due_at <= now)
        if condition.kind == "resolution_overdue":
            return and_(T.c.resolved_at.is_(None), S.c.paused_at.is_(None), T.c.resolution_due_at <= now)
        if condition.kind in ("first_response_used", "resolution_used"):
            column = f"{condition.kind.removesuffix('_used')}_target"
            started = T.c.created_at if column == "first_response_target" else S.c.clock_started_at
            running = (
                T.c.first_response_at.is_(None)
                if column == "first_response_target"
                else and_(T.c.resolved_at.is_(None), S.c.paused_at.is_(None))
            )
            options = []
            for calendar_name, target_text in self._distinct_pairs(column):
                duration = target(target_text)
                if duration is None:
                    continue
                cut = self.setup.calendar(calendar_name).cutoff(now, scaled(duration, condition.percent))
                options.append(
                    and_(S.c.calendar == calendar_name, S.c[column] == target_text, started <= cut)
                )
            return and_(running, or_(false(), *options))
        assert condition.duration is not None
        since = S.c.last_activity_at if condition.kind == "idle" else S.c.pending_since
        options = []
        for calendar_name in self._distinct_calendars():
            name = calendar_name or rule.calendar or ""
            cut = self.setup.calendar(name).cutoff(now, condition.duration)
            options.append(and_(S.c.calendar == calendar_name, since <= cut))
        clause = or_(false(), *options)
        if condition.kind == "pending":
            clause = and_(T.c.status == "pending", S.c.pending_since.is_not(None), clause)
        return clause
