"""The configuration models of ``[calendars.*]``, ``[[sla]]`` and ``[[escalation]]`` in the TOML file.

Everything that can be checked without the database is checked here, when the file is loaded: a calendar
with no working hours, overlapping breaks, an unknown time zone or country, a bad duration, an unknown
``when`` condition, a bad action. ``config_error`` turns a pydantic error into a ``ConfigError`` naming the
file, the rule and the reason; ``check_references`` checks names between sections (an SLA naming a
calendar that does not exist). Queues and operators are checked against the database by
``hotline.core.escalation.validate.validate_against_db``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hotline.core.enums import Priority
from hotline.core.errors import ConfigError
from hotline.core.sla.duration import MAX_MINUTES, Duration, parse_duration
from hotline.core.zones import known_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = tuple(priority.value for priority in Priority)
PriorityOrAny = Literal[(*PRIORITIES, "*")]  # type: ignore[valid-type]
"""A priority's name, or "*" for every priority."""
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = tuple[int, int]
"""Minutes since local midnight: [start, end)."""


def parse_span(text: str) -> Span:
    """Parse ``"09:00-18:00"`` into minutes since midnight; ``24:00`` is allowed as an end."""
    match = _RANGE.match(str(text))
    if not match:
        raise ValueError(f"bad time range {text!r}: write it like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"bad time range {text!r}: no such time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f"bad time range {text!r}: the end must come after the start")
    return start, end


def _parse_spans(text: str) -> list[Span]:
    spans = sorted(parse_span(part) for part in str(text).split(",") if part.strip())
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(f"overlapping time ranges in {text!r}")
    return spans


class CalendarConfig(BaseModel):
    """A business calendar: weekly hours, breaks, holidays and a time zone."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(description="IANA time zone the hours are written in, e.g. Europe/Moscow.")
    country_holidays: str | None = Field(
        default=None, description="Country code whose public holidays are days off (the holidays package)."
    )
    subdivision: str | None = Field(default=None, description="State or province for country holidays.")
    hours: dict[str, str] = Field(
        default_factory=dict,
        description='Working hours per weekday: {mon = "09:00-18:00"}; several ranges comma-separated.',
    )
    breaks: list[str] = Field(default_factory=list, description='Daily breaks, e.g. ["13:00-14:00"].')
    extra_holidays: list[date] = Field(default_factory=list, description="Further days off.")
    extra_workdays: list[date] = Field(
        default_factory=list,
        description="Days off made working days (a working Saturday); they take the hours of the first "
        "weekday that has hours.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        known_zone(value)
        return value

    @field_validator("country_holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from holidays.registry import COUNTRIES

        # The registry, not the countries: importing any country's module (or listing them) imports all
        # 250 of them, 0.1 s of every command that reads a configuration with a calendar (a cold ring).
        code = value.upper()
        if not (len(code) in (2, 3) and any(code in names[1:] for names in COUNTRIES.values())):
            raise ValueError(f"unknown country for public holidays {value!r}")
        return code

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {}
        for day, text in value.items():
            key = day.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}: use mon, tue, wed, thu, fri, sat, sun")
            _parse_spans(text)
            cleaned[key] = text
        return cleaned

    @field_validator("breaks")
    @classmethod
    def _valid_breaks(cls, value: list[str]) -> list[str]:
        spans = sorted(parse_span(text) for text in value)
        for (s1, e1), (s2, e2) in itertools.pairwise(spans):
            if s2 < e1:
                raise ValueError(
                    f"overlapping breaks {s1 // 60:02}:{s1 % 60:02}-{e1 // 60:02}:{e1 % 60:02} and "
                    f"{s2 // 60:02}:{s2 % 60:02}-{e2 // 60:02}:{e2 % 60:02}"
                )
        return value

    @model_validator(mode="after")
    def _some_working_time(self) -> CalendarConfig:
        if not any(self.day_spans(day) for day in WEEKDAYS):
            raise ValueError("the calendar has no working hours (after breaks) on any weekday")
        return self

    def weekly_minutes(self) -> int:
        """Working minutes in a week of the weekly hours (breaks cut out, holidays not)."""
        return sum(end - start for day in WEEKDAYS for start, end in self.day_spans(day))

    def day_spans(self, weekday: str) -> list[Span]:
        """The working spans of a weekday (``mon`` …), breaks cut out."""
        spans = _parse_spans(self.hours.get(weekday, ""))
        for b_start, b_end in (parse_span(text) for text in self.breaks):
            cut: list[Span] = []
            for start, end in spans:
                if b_end <= start or b_start >= end:
                    cut.append((start, end))
                    continue
                if start < b_start:
                    cut.append((start, b_start))
                if b_end < end:
                    cut.append((b_end, end))
            spans = cut
        return spans


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    return parse_duration(str(value))


class SlaPolicyConfig(BaseModel):
    """First-response and resolution targets for a queue × priority (× client contract level)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    queue: str = Field(default="*", description='Queue name, or "*" for every queue.')
    priority: PriorityOrAny = Field(default="*")
    contract: str | None = Field(
        default=None, description="Client group contract level this policy is for; none means everyone."
    )
    calendar: str = Field(description="Name of a [calendars.NAME] section.")
    first_response: Duration = Field(description="Business time to the first response, e.g. 1h.")
    resolution: Duration = Field(description="Business time to resolution, e.g. 8h.")
    pause_when_pending: bool = Field(default=False, description="Stop the clocks while pending.")

    _parse = field_validator("first_response", "resolution", mode="before")(
        classmethod(lambda cls, v: _duration(v))
    )

    @property
    def label(self) -> str:
        """How the policy is named in messages: queue/priority[/contract]."""
        return "/".join([self.queue, self.priority, *([self.contract] if self.contract else [])])


@dataclass(frozen=True)
class Condition:
    """A parsed ``when``: ``kind`` is first_response_overdue, resolution_overdue, first_response_used,
    resolution_used, idle or pending; ``percent`` or ``duration`` carries the threshold."""

    kind: str
    percent: int = 0
    duration: Duration | None = None


@dataclass(frozen=True)
class Action:
    """A parsed action: ``kind`` is priority, queue, assign, notify or event; ``target`` its argument."""

    kind: str
    target: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


_USED = re.compile(r"^(first_response|resolution)_used\s*>=\s*(\d+)\s*%$")
_SINCE = re.compile(r"^(idle|pending)\s*>=\s*(\S+)$")


def parse_condition(text: str) -> Condition:
    """Parse a ``when`` string; raise ValueError naming what is accepted otherwise."""
    cleaned = " ".join(str(text).split()).lower()
    if cleaned in ("first_response_overdue", "resolution_overdue"):
        return Condition(cleaned)
    if match := _USED.match(cleaned):
        percent = int(match.group(2))
        if not 0 < percent <= 10_000:
            raise ValueError(f"bad percentage in {text!r}")
        return Condition(f"{match.group(1)}_used", percent=percent)
    if match := _SINCE.match(cleaned):
        return Condition(match.group(1), duration=parse_duration(match.group(2)))
    raise ValueError(
        f"unknown condition {text!r}: use first_response_overdue, resolution_overdue, "
        '"resolution_used >= 80%", "first_response_used >= 80%", "idle >= 4h" or "pending >= 3d"'
    )


def parse_action(text: str) -> Action:
    """Parse ``priority:X``, ``queue:X``, ``assign:LOGIN``, ``assign:round-robin``, ``notify:supervisor``,
    ``event`` and the like."""
    kind, _, target = str(text).strip().partition(":")
    kind, target = kind.strip().lower(), target.strip()
    if kind == "event" and not target:
        return Action("event")
    if kind == "priority" and target.lower() in PRIORITIES:
        return Action("priority", target.lower())
    if kind in ("queue", "assign", "notify") and target:
        return Action(kind, target)
    raise ValueError(
        f"bad action {text!r}: use priority:{'|'.join(PRIORITIES)}, queue:NAME, assign:LOGIN, "
        "assign:supervisor, assign:round-robin, assign:least-loaded (among the queue's members on "
        "shift), notify:LOGIN, notify:supervisor or event"
    )


class EscalationRuleConfig(BaseModel):
    """One escalation rule: which tickets (queue, priority), when, what to do, at which level."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Unique name; recorded with every step applied.")
    queue: str = Field(default="*", description='Queue name, or "*".')
    priority: PriorityOrAny = Field(default="*")
    level: str = Field(default="", description="Level label, e.g. warn, escalate, again.")
    when: str = Field(description="The condition, see parse_condition.")
    actions: list[str] = Field(min_length=1, description="What to do when the condition holds.")
    calendar: str | None = Field(
        default=None, description="Calendar for idle/pending of tickets that have no SLA policy."
    )
    supervisor: str | None = Field(
        default=None,
        description="Login that assign:supervisor and notify:supervisor mean; default the first active "
        "supervisor by login.",
    )

    @field_validator("when")
    @classmethod
    def _valid_when(cls, value: str, info: Any) -> str:
        try:
            parse_condition(value)
        except ValueError as exc:
            raise ValueError(f"rule {info.data.get('name', '?')!r}: {exc}") from None
        return value

    @field_validator("actions")
    @classmethod
    def _valid_actions(cls, value: list[str], info: Any) -> list[str]:
        for text in value:
            try:
                parse_action(text)
            except ValueError as exc:
                raise ValueError(f"rule {info.data.get('name', '?')!r}: {exc}") from None
        return value

    @property
    def condition(self) -> Condition:
        return parse_condition(self.when)

    @property
    def parsed_actions(self) -> list[Action]:
        return [parse_action(text) for text in self.actions]


def _rule_name(data: Any, loc: Sequence[Any]) -> str | None:
    """The name of the rule or calendar a pydantic error location points at, when it has one."""
    node = data
    for part in loc[:2]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(node, Mapping) and "name" in node:
            return str(node["name"])
    return None


def config_error(exc: ValidationError, *, source: str, data: Any = None) -> ConfigError:
    """A ``ConfigError`` naming the file, the section/rule and the reason of a pydantic error."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        name = _rule_name(data, error["loc"]) if data is not None else None
        reason = str(error["msg"]).removeprefix("Value error, ")
        named = name is not None and f"rule {name!r}" not in reason
        where = ".".join(loc) + (f" (rule {name!r})" if named else "")
        lines.append(f"{where}: {reason}" if where else reason)  # a rule of the whole file has no place
    return ConfigError("; ".join(lines), where=source)


def check_references(
    *,
    calendars: Mapping[str, CalendarConfig],
    sla: Sequence[SlaPolicyConfig],
    escalation: Sequence[EscalationRuleConfig],
    source: str,
) -> None:
    """Check names between sections: calendars named by policies and rules exist, rule names are unique."""
    for index, policy in enumerate(sla):
        if policy.calendar not in calendars:
            raise ConfigError(
                f"sla[{index}] ({policy.label}): unknown calendar {policy.calendar!r}", where=source
            )
    for index, policy in enumerate(sla):
        for name in ("first_response", "resolution"):
            reason = _too_long(getattr(policy, name), calendars[policy.calendar], policy.calendar)
            if reason:
                raise ConfigError(f"sla[{index}] ({policy.label}): {name} {reason}", where=source)
    first_of: dict[tuple[str, str, str | None], int] = {}
    for index, policy in enumerate(sla):
        scope = (policy.queue, policy.priority, policy.contract)
        if scope in first_of:  # the first always won: this one's targets were never used
            earlier = first_of[scope]
            raise ConfigError(
                f"sla[{index}] ({policy.label}): for the same tickets as sla[{earlier}]"
                f" ({sla[earlier].label}); the first would always win: keep one",
                where=source,
            )
        first_of[scope] = index
    used = {policy.calendar for policy in sla}
    seen: set[str] = set()
    for index, rule in enumerate(escalation):
        duration = rule.condition.duration
        for name in sorted({rule.calendar} if rule.calendar in calendars else used):
            reason = _too_long(duration, calendars[name], name) if duration is not None else None
            if reason:
                raise ConfigError(
                    f"escalation[{index}] (rule {rule.name!r}): when {rule.when!r}: {reason}", where=source
                )
        if rule.name in seen:
            raise ConfigError(
                f"escalation[{index}] (rule {rule.name!r}): the name is used twice", where=source
            )
        seen.add(rule.name)
        if rule.calendar is not None and rule.calendar not in calendars:
            raise ConfigError(
                f"escalation[{index}] (rule {rule.name!r}): unknown calendar {rule.calendar!r}", where=source
            )


def _too_long(duration: Duration, calendar: CalendarConfig, name: str) -> str | None:
    """Why a business duration is past ten years of the calendar's working time (a few minutes a week
    make 87600h last millennia: every ticket's deadline was "out of range", after seconds of counting)."""
    if not duration.is_business:
        return None
    weekly = calendar.weekly_minutes()
    if duration.minutes / weekly * 7 * 24 * 60 <= MAX_MINUTES:
        return None
    return (
        f"{duration} is more than ten years of working time on calendar {name!r}"
        f" ({weekly // 60}h{weekly % 60:02}m a week)"
    )
