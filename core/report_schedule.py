"""Reports that arrive by themselves: what ``hotline report send`` mails, to whom, over which period.

A schedule in the configuration names a report, its recipients, a subject and a period relative to the
day it runs ("last-week" on a Monday is the week that just ended); cron runs the command.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.core.emails import normalize_email
from hotline.core.errors import HotlineError, InvalidInput

PERIOD_NAMES = ("yesterday", "last-week", "last-month", "this-month", "last-N-days")
_LAST_DAYS = re.compile(r"last-(\d{1,3})-days")
SendFormat = Literal["xlsx", "csv", "json"]


class ReportSchedule(BaseModel):
    """One mailed report: ``hotline report send NAME`` with NAME the schedule's key."""

    model_config = ConfigDict(extra="forbid")

    report: str
    to: list[str] = Field(default_factory=list)
    subject: str = "{title}: {from} – {to}"
    """``{title}``, ``{from}`` and ``{to}`` are replaced by the report's title and period."""
    period: str | None = None
    """A named period (``period_days``); left out, the report's own: the week before, or for renewals the
    next 30 days."""
    format: SendFormat = "xlsx"

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        try:
            addresses = [normalize_email(address) for address in value]
        except HotlineError as error:
            raise ValueError(error.message) from None
        if twice := repeated(addresses):  # one mail naming an address twice: a server may deliver it twice
            raise ValueError(f"{twice} is listed twice")
        return addresses

    @field_validator("period")
    @classmethod
    def _known_period(cls, value: str | None) -> str | None:
        if value is not None:
            period_days(value, today=date(2000, 1, 1))
        return value

    @field_validator("subject")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("subject: a subject is blank")
        if not value.isprintable():  # an ESC was queued in the subject; a line break became a space unsaid
            raise ValueError("subject: a subject is printable text (no control characters or line breaks)")
        try:
            value.format_map({"title": "", "from": "", "to": ""})
        except (KeyError, ValueError, IndexError) as error:
            raise ValueError(f"subject: only {{title}}, {{from}} and {{to}} may be named ({error})") from None
        return value


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str | None = None
    """The mail account whose SMTP server and sender address carry the reports (default the first)."""
    schedules: dict[str, ReportSchedule] = Field(default_factory=dict)


def check_schedules(settings: ReportSettings, *, accounts: list[str]) -> str | None:
    """What is wrong between the schedules and the rest of the file, or None."""
    from hotline.core.reports import REPORT_NAMES

    if settings.account is not None and settings.account not in accounts:
        return f"reports.account: no mail account named {settings.account!r}"
    for name, schedule in settings.schedules.items():
        if schedule.report not in REPORT_NAMES:
            known = ", ".join(REPORT_NAMES)
            return f"reports.schedules.{name}: unknown report {schedule.report!r} (one of: {known})"
    return None


DEFAULT_PERIOD = "last-week"
FORWARD_REPORTS = ("renewals",)
"""Reports over days to come: without a period they take their own (renewals: the next 30 days), not the
week that has passed."""


def send_days(
    period: str | None, *, report: str, today: date, where: str = "period"
) -> tuple[date | None, date | None]:
    """The days a mailed report covers: the named ``period``; none named, the week before, or for a report
    over days to come its own default (both ends open)."""
    if period is None and report in FORWARD_REPORTS:
        return None, None
    return period_days(period or DEFAULT_PERIOD, today=today, where=where)


def period_days(name: str, *, today: date, where: str = "period") -> tuple[date, date]:
    """The first and last day of a named period, relative to ``today`` (which it never includes,
    except "this-month")."""
    if name == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if name == "last-week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if name == "last-month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if name == "this-month":
        return today.replace(day=1), today
    match = _LAST_DAYS.fullmatch(name)
    if match and int(match.group(1)) >= 1:
        return today - timedelta(days=int(match.group(1))), today - timedelta(days=1)
    raise InvalidInput(f"unknown period {name!r} (one of: {', '.join(PERIOD_NAMES)})", where=where)


def repeated(addresses: list[str]) -> str | None:
    """The first of the (normalised) ``addresses`` that comes again, if one does."""
    seen: set[str] = set()
    for address in addresses:
        if address in seen:
            return address
        seen.add(address)
    return None
