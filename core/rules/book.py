"""The event rules of a running process, ready to evaluate: by event, in order, words already stemmed.

Entry points build one ``RuleBook.from_settings`` and hand it to their units of work
(``UnitOfWork(..., rules=book)``); the service operations find it there. A unit of work without one runs
no rules (tests, imports, the demo loader).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hotline.core.rules.conditions import compiled as compiled_conditions
from hotline.core.rules.config import EVENTS, EventRuleConfig

if TYPE_CHECKING:
    from hotline.core.services.mail.sending import MailSending
    from hotline.core.sla.policy import SlaSetup


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its conditions listed once (the pydantic model is slow to iterate per event)."""

    config: EventRuleConfig
    conditions: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        return self.config.name


@dataclass
class RuleBook:
    """Rules by event, and what their actions need: the SLA set-up (calendars, clocks), the mail
    accounts (templated mail), the zone and region of the call centre."""

    default_region: str
    """For the phones of a client an action changes: the settings' region, passed down."""
    rules: Sequence[EventRuleConfig] = ()
    sla: SlaSetup | None = None
    sending: MailSending | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    source: str = "configuration"
    by_event: dict[str, list[CompiledRule]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_event = {event: [] for event in EVENTS}
        for rule in self.rules:
            compiled = CompiledRule(rule, compiled_conditions(rule.when))
            for event in rule.on:
                self.by_event[event].append(compiled)

    @classmethod
    def from_settings(cls, settings: Any, *, sla: SlaSetup | None, source: str = "configuration") -> RuleBook:
        """From ``hotline.core.settings.Settings`` (its ``rules``, zone, region and mail accounts)."""
        from hotline.core.services.mail.sending import MailSending

        return cls(
            rules=list(settings.rules),
            sla=sla,
            sending=MailSending.from_settings(settings),
            zone=settings.zone,
            default_region=settings.default_region,
            source=source,
        )

    def for_event(self, event: str) -> list[CompiledRule]:
        return self.by_event.get(event, [])
