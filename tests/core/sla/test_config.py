"""Configuration of calendars, SLA policies and escalation rules: bad input is rejected when loaded."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from hotline.core.errors import ConfigError
from hotline.core.sla.config import (
    Action,
    CalendarConfig,
    EscalationRuleConfig,
    SlaPolicyConfig,
    check_references,
    config_error,
    parse_condition,
)
from hotline.core.sla.duration import parse_duration

HOURS = {"mon": "09:00-18:00", "tue": "09:00-18:00"}


@pytest.mark.parametrize(
    ("text", "business", "calendar"),
    [("1h", 60, 0), ("30m", 30, 0), ("8h", 480, 0), ("1h30m", 90, 0), ("3d", 0, 3 * 1440), ("2w", 0, 20160)],
)
def test_durations(text: str, business: int, calendar: int) -> None:
    duration = parse_duration(text)
    assert (duration.minutes, duration.calendar_minutes) == (business, calendar)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "0m", "1h1h", "1d4h", "-1h", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_calendar_spans_cut_breaks() -> None:
    cal = CalendarConfig(timezone="Europe/Moscow", hours=HOURS, breaks=["13:00-14:00"])
    assert cal.day_spans("mon") == [(540, 780), (840, 1080)]
    assert cal.day_spans("sun") == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timezone": "Mars/Olympus", "hours": HOURS}, "unknown time zone"),
        ({"timezone": "UTC", "hours": {}}, "no working hours"),
        ({"timezone": "UTC", "hours": {"mon": "09:00-10:00"}, "breaks": ["08:00-11:00"]}, "no working hours"),
        ({"timezone": "UTC", "hours": HOURS, "breaks": ["12:00-13:30", "13:00-14:00"]}, "overlapping breaks"),
        ({"timezone": "UTC", "hours": {"mon": "18:00-09:00"}}, "end must come after"),
        ({"timezone": "UTC", "hours": {"funday": "09:00-18:00"}}, "unknown weekday"),
        ({"timezone": "UTC", "hours": HOURS, "country_holidays": "XX"}, "unknown country"),
    ],
)
def test_bad_calendars(fields: dict, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        CalendarConfig(**fields)


def test_sla_policy_parses_durations() -> None:
    policy = SlaPolicyConfig(
        queue="Support",
        priority="high",
        calendar="office",
        first_response="30m",
        resolution="4h",
        pause_when_pending=True,
    )
    assert policy.first_response.minutes == 30
    assert policy.resolution.minutes == 240
    with pytest.raises(ValidationError, match="bad duration"):
        SlaPolicyConfig(calendar="office", first_response="soon", resolution="4h")


@pytest.mark.parametrize(
    ("when", "kind", "percent", "minutes"),
    [
        ("first_response_overdue", "first_response_overdue", 0, None),
        ("resolution_overdue", "resolution_overdue", 0, None),
        ("resolution_used >= 80%", "resolution_used", 80, None),
        ("first_response_used>=200 %", "first_response_used", 200, None),
        ("idle >= 4h", "idle", 0, 240),
        ("pending >= 3d", "pending", 0, 0),
    ],
)
def test_conditions(when: str, kind: str, percent: int, minutes: int | None) -> None:
    condition = parse_condition(when)
    assert (condition.kind, condition.percent) == (kind, percent)
    if minutes is not None:
        assert condition.duration is not None
        assert condition.duration.minutes == minutes


def test_rule_actions_parse() -> None:
    rule = EscalationRuleConfig(
        name="late",
        when="resolution_overdue",
        actions=["priority:URGENT", "queue:Escalated", "assign:supervisor", "notify:ivan", "event"],
    )
    assert rule.parsed_actions == [
        Action("priority", "urgent"),
        Action("queue", "Escalated"),
        Action("assign", "supervisor"),
        Action("notify", "ivan"),
        Action("event"),
    ]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"name": "r1", "when": "full_moon", "actions": ["event"]}, "unknown condition"),
        ({"name": "r2", "when": "idle >= soon", "actions": ["event"]}, "bad duration"),
        ({"name": "r3", "when": "resolution_overdue", "actions": ["priority:extreme"]}, "bad action"),
        ({"name": "r4", "when": "resolution_overdue", "actions": ["explode"]}, "bad action"),
        ({"name": "r5", "when": "resolution_overdue", "actions": []}, "at least 1"),
    ],
)
def test_bad_rules_name_the_file_the_rule_and_the_reason(rule: dict, reason: str) -> None:
    data = [{"name": "fine", "when": "resolution_overdue", "actions": ["event"]}, rule]
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(list[EscalationRuleConfig]).validate_python(data)
    error = config_error(caught.value, source="/etc/hotline/config.toml", data=data)
    assert isinstance(error, ConfigError)
    assert error.exit_code == 2
    text = str(error)
    assert text.startswith("/etc/hotline/config.toml: 1.")
    assert rule["name"] in text
    assert reason in text


def test_references_between_sections() -> None:
    calendars = {"office": CalendarConfig(timezone="UTC", hours=HOURS)}
    good = SlaPolicyConfig(calendar="office", first_response="1h", resolution="8h")
    rule = EscalationRuleConfig(name="late", when="resolution_overdue", actions=["event"])
    check_references(calendars=calendars, sla=[good], escalation=[rule], source="c.toml")
    bad = SlaPolicyConfig(queue="Support", calendar="night", first_response="1h", resolution="8h")
    with pytest.raises(ConfigError, match=r"c.toml: sla\[1\] \(Support/\*\): unknown calendar 'night'"):
        check_references(calendars=calendars, sla=[good, bad], escalation=[], source="c.toml")
    with pytest.raises(ConfigError, match=r"escalation\[1\] \(rule 'late'\): the name is used twice"):
        check_references(calendars=calendars, sla=[], escalation=[rule, rule], source="c.toml")


def test_checking_the_country_imports_no_country_module() -> None:
    """Any country's module imports all 250 (0.1 s); every command that reads a configuration with a
    calendar (a cold ring among them) checked the country that way before it had built a calendar."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from hotline.core.sla.config import CalendarConfig\n"
        "config = CalendarConfig(timezone='UTC', hours={'mon': '09:00-18:00'}, country_holidays='ru')\n"
        "assert config.country_holidays == 'RU'\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


A_MINUTE_A_WEEK = CalendarConfig(timezone="Europe/Moscow", hours={"mon": "09:00-09:01"})


@pytest.mark.parametrize(
    ("policy", "rule", "reason"),
    [
        ("87600h", "idle >= 1h", r"sla\[0\] \(\*/\*\): first_response 87600h is more than ten years"),
        (
            "1h",
            "idle >= 1000h",
            r"escalation\[0\] \(rule 'r'\): when 'idle >= 1000h': 1000h is more than ten",
        ),
    ],
)
def test_a_target_past_ten_years_of_working_time_is_refused(policy: str, rule: str, reason: str) -> None:
    """``87600h`` on a calendar of one minute a week was accepted: every ticket's deadline was then
    "date value out of range", after seconds of counting, and an escalation run counted back for ever."""
    sla = [SlaPolicyConfig(calendar="odd", first_response=policy, resolution="2h")]
    escalation = [EscalationRuleConfig(name="r", when=rule, actions=["event"])]
    with pytest.raises(ConfigError, match=reason):
        check_references(calendars={"odd": A_MINUTE_A_WEEK}, sla=sla, escalation=escalation, source="f")
    # a full week takes ten years of targets; calendar days (d, w) are the wall clock's
    full = CalendarConfig(
        timezone="UTC",
        hours={day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    sla = [SlaPolicyConfig(calendar="odd", first_response="87600h", resolution="3000d")]
    check_references(calendars={"odd": full}, sla=sla, escalation=[], source="f")
    sla = [SlaPolicyConfig(calendar="odd", first_response="1h", resolution="3000d")]
    check_references(calendars={"odd": A_MINUTE_A_WEEK}, sla=sla, escalation=[], source="f")
