"""The SLA set-up of a running process: calendars built from the configuration, policies, rules.

Entry points build one ``SlaSetup.from_settings(settings)`` and pass it to the ticket services and to
the escalation run; nothing here reads the file or the environment by itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hotline.core.sla.calendar import BusinessCalendar
from hotline.core.sla.config import CalendarConfig, EscalationRuleConfig, SlaPolicyConfig
from hotline.core.sla.duration import Duration, parse_duration

ROUND_THE_CLOCK = CalendarConfig(
    timezone="UTC", hours={day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
)
"""The calendar of tickets that have none: every minute counts."""


@dataclass
class SlaSetup:
    """Calendars by name, SLA policies and escalation rules, as configured."""

    calendar_configs: Mapping[str, CalendarConfig] = field(default_factory=dict)
    policies: Sequence[SlaPolicyConfig] = ()
    rules: Sequence[EscalationRuleConfig] = ()
    source: str = "configuration"
    zone: ZoneInfo | None = None
    """The call centre's zone: a contract's first and last days are its local days (None: UTC's)."""
    _calendars: dict[str, BusinessCalendar] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Any, *, source: str = "configuration") -> SlaSetup:
        """From ``hotline.core.settings.Settings`` (its ``calendars``, ``sla`` and ``escalation``)."""
        return cls(
            calendar_configs=dict(settings.calendars),
            policies=list(settings.sla),
            rules=list(settings.escalation),
            source=source,
            zone=settings.zone,
        )

    def calendar(self, name: str | None) -> BusinessCalendar:
        """The calendar of that name; the round-the-clock one for an empty or unknown name."""
        key = name if name and name in self.calendar_configs else ""
        built = self._calendars.get(key)
        if built is None:
            config = self.calendar_configs[key] if key else ROUND_THE_CLOCK
            built = self._calendars[key] = BusinessCalendar(config, name=key or "round the clock")
        return built

    def resolve(self, *, queue: str, priority: str, contract: str | None) -> SlaPolicyConfig | None:
        """The most specific policy for a queue, a priority and a client's contract level.

        A policy naming a contract applies only to clients of that contract level and beats one that
        does not; then an exact queue beats ``*``, then an exact priority beats ``*``; ties go to the
        policy written first.
        """
        best: tuple[int, int] | None = None
        chosen: SlaPolicyConfig | None = None
        for index, policy in enumerate(self.policies):
            if policy.contract is not None and policy.contract != contract:
                continue
            if policy.queue not in ("*", queue) or policy.priority not in ("*", priority):
                continue
            score = (
                (4 if policy.contract is not None else 0)
                + (2 if policy.queue != "*" else 0)
                + (1 if policy.priority != "*" else 0)
            )
            if best is None or (score, -index) > best:
                best, chosen = (score, -index), policy
        return chosen


def target(text: str) -> Duration | None:
    """A stored target (``"8h"``) back as a duration; ``None`` for none."""
    return parse_duration(text) if text else None
