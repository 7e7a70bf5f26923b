"""The ``[[rules]]`` of the TOML file: on an event, when the conditions hold, do the actions.

Everything that can be checked without the database is checked when the file is loaded, so a rule
that could never work is a configuration error naming the file, the rule and the reason: an unknown
field, an action that cannot apply to the event (no ticket to assign on ``client.created``), a
condition that can never be true (an empty list, a ticket field on ``client.created``, a status other
than ``new`` on ``ticket.created``, words that have no stem), a template naming a field the event does
not have. Operators and queues are checked against the database by ``hotline rules check``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline.core.enums import Priority, TicketStatus
from hotline.core.errors import ConfigError
from hotline.core.kb.text import stems
from hotline.core.sla.duration import parse_duration
from hotline.core.text import MAX_NOTES, MAX_REMINDER_TEXT

EVENTS = ("ticket.created", "ticket.updated", "mail.received", "call.logged", "client.created")
TICKET_EVENTS = frozenset({"ticket.created", "ticket.updated", "mail.received"})
"""Events that always have a ticket; ``call.logged`` has one when the call was logged on a ticket."""
CHANNELS = ("email", "phone", "manual")
CHANNELS_OF = {
    "mail.received": frozenset({"email"}),
    "call.logged": frozenset({"phone"}),
    "client.created": frozenset(),
}
"""The channels an event can come by (the others: any)."""
ROUTING = ("round-robin", "least-loaded")

Event = Literal[EVENTS]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]

_TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
_TICKET_FIELDS = ("number", "subject", "status", "priority", "queue", "assignee", "requester", "tags")
_CLIENT_FIELDS = ("name", "email", "group", "contract")
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    event: frozenset(
        {"rule.name", "event.name"}
        | {f"client.{name}" for name in _CLIENT_FIELDS}
        | (
            {f"ticket.{name}" for name in _TICKET_FIELDS}
            if event in TICKET_EVENTS or event == "call.logged"
            else set()
        )
        | ({"mail.from", "mail.subject"} if event == "mail.received" else set())
        | ({"call.outcome", "call.direction"} if event == "call.logged" else set())
    )
    for event in EVENTS
}
"""What a template may name, per event: ``{ticket.subject}``, ``{client.name}`` …"""


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def template_fields(template: str) -> list[str]:
    """The ``{field}`` names a template uses (``{{`` and ``}}`` are literal braces)."""
    return _TEMPLATE_FIELD.findall(template.replace("{{", "").replace("}}", ""))


def word_stems(phrase: str) -> tuple[str, ...]:
    """The stems a word or phrase of a ``words`` condition must all find in the text."""
    return tuple(dict.fromkeys(stems(phrase)))


class RuleConditions(BaseModel):
    """``when``: every condition given must hold (a list means any of its values)."""

    model_config = ConfigDict(extra="forbid")

    queue: list[str] | None = None
    channel: list[Channel] | None = None
    priority: list[Priority] | None = None
    status: list[TicketStatus] | None = None
    client_group: list[str] | None = None
    contract_level: list[str] | None = None
    sender_domain: list[str] | None = None
    words: list[str] | None = Field(default=None, description="Any of these words in the subject or body.")
    subject_words: list[str] | None = None
    body_words: list[str] | None = None
    tags: list[str] | None = Field(default=None, description="Any of these tags on the ticket or client.")
    inside_calendar: str | None = None
    outside_calendar: str | None = None

    _lists = field_validator(
        "queue",
        "channel",
        "priority",
        "status",
        "client_group",
        "contract_level",
        "sender_domain",
        "words",
        "subject_words",
        "body_words",
        "tags",
        mode="before",
    )(classmethod(lambda cls, value: _as_list(value)))

    @field_validator("sender_domain")
    @classmethod
    def _domains(cls, value: list[str] | None) -> list[str] | None:
        """As addresses are stored: lower case, IDNA (``почта.рф`` never matched the sender's
        ``xn--80a1acny.xn--p1ai``)."""
        if value is None:
            return None
        domains = []
        for domain in value:
            cleaned = domain.strip().lower().lstrip("@").rstrip(".")
            if not cleaned:
                raise ValueError("a blank sender domain can never match")
            try:
                domains.append(cleaned.encode("idna").decode("ascii"))
            except UnicodeError:
                raise ValueError(f"not an email domain: {domain!r}") from None
        return domains

    def given(self) -> dict[str, Any]:
        """The conditions set, by name."""
        return {name: value for name, value in self if value is not None}


MAIL_RECIPIENTS = ("requester", "client", "assignee")


class MailAction(BaseModel):
    """A templated mail through the outbox."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(default="requester", description='"requester", "client", "assignee" or an address.')
    subject: str
    body: str

    @field_validator("to")
    @classmethod
    def _recipient(cls, value: str) -> str:
        """Anything but the three names must be one address (it was checked only when mailing, so the
        rule failed on every event)."""
        if value in MAIL_RECIPIENTS:
            return value
        from hotline.core.emails import normalize_email
        from hotline.core.errors import InvalidInput

        try:
            normalize_email(value)
        except InvalidInput as error:
            raise ValueError(f"to is {', '.join(MAIL_RECIPIENTS)} or one address; {error.message}") from None
        return value


class ReminderAction(BaseModel):
    """A reminder for someone, due after a while."""

    model_config = ConfigDict(extra="forbid")

    text: str
    after: str | None = Field(default=None, description="Wall-clock time from the event, e.g. 2h or 1d.")
    who: str = Field(default="assignee", description='"assignee", "supervisor" or a login.')

    @field_validator("text")
    @classmethod
    def _some_text(cls, value: str) -> str:
        if not value.strip():  # accepted by the check, then refused on every event
            raise ValueError("the text is blank, so the reminder could never be made")
        return value

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def delay(self) -> timedelta:
        if self.after is None:
            return timedelta(0)
        duration = parse_duration(self.after)
        return timedelta(minutes=duration.minutes + duration.calendar_minutes)


class RuleAction(BaseModel):
    """One thing a rule does; exactly one of the fields is given."""

    model_config = ConfigDict(extra="forbid")

    assign: str | None = Field(default=None, description='A login, "round-robin" or "least-loaded".')
    priority: Priority | None = None
    queue: str | None = None
    status: TicketStatus | None = None
    tags: list[str] | None = Field(default=None, description="Tags added to the ticket (client).")
    note: str | None = Field(default=None, description="An internal note (a template).")
    mail: MailAction | None = None
    reminder: ReminderAction | None = None
    notify: str | None = Field(default=None, description='"supervisor" or a login.')

    _tags = field_validator("tags", mode="before")(classmethod(lambda cls, value: _as_list(value)))

    @field_validator("tags")
    @classmethod
    def _storable_tags(cls, value: list[str] | None) -> list[str] | None:
        """Tags the ticket or client can take: a blank one added nothing, one with a control character
        or too long failed on every event."""
        if value is None:
            return value
        from hotline.core.errors import InvalidInput
        from hotline.core.text import MAX_TAG, checked_text

        if not any(tag.strip() for tag in value):
            raise ValueError("tags names no tag, so the action could never apply")
        for tag in value:
            if not tag.strip():
                raise ValueError("a tag is blank")
            try:
                checked_text(" ".join(tag.split()), what="a tag", at_most=MAX_TAG)
            except InvalidInput as error:
                raise ValueError(error.message) from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> RuleAction:
        if len(self.given()) != 1:
            raise ValueError(
                "an action is exactly one of assign, priority, queue, status, tags, note, mail, "
                f"reminder, notify (got {', '.join(self.given()) or 'none'})"
            )
        kind, value = self.kind, self.argument
        if isinstance(value, str) and not value.strip():  # accepted by the check, failed on every event
            raise ValueError(f"{kind} is blank, so the action could never apply")
        for what, template, at_most in self._capped():
            written = len(_TEMPLATE_FIELD.sub("", template))  # the fields only add to it
            if written > at_most:
                raise ValueError(
                    f"{what} is {written:,} characters without its fields; one holds at most {at_most:,},"
                    " so the action could never apply"
                )
        return self

    def _capped(self) -> list[tuple[str, str, int]]:
        """The templates a service caps (a note, a reminder's text), with their caps."""
        if self.note is not None:
            return [("the note", self.note, MAX_NOTES)]
        if self.reminder is not None:
            return [("the reminder's text", self.reminder.text, MAX_REMINDER_TEXT)]
        return []

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in self if value is not None}

    @property
    def kind(self) -> str:
        return next(iter(self.given()))

    @property
    def argument(self) -> Any:
        return next(iter(self.given().values()))

    def __str__(self) -> str:
        value = self.argument
        if isinstance(value, BaseModel):
            return f"{self.kind}: {value.model_dump()}"
        if isinstance(value, list):
            return f"{self.kind}: {', '.join(value)}"
        return f"{self.kind}: {getattr(value, 'value', value)}"

    def templates(self) -> list[str]:
        if self.note is not None:
            return [self.note]
        if self.mail is not None:
            return [self.mail.subject, self.mail.body]
        if self.reminder is not None:
            return [self.reminder.text]
        return []


_TICKET_ACTIONS = ("assign", "priority", "queue", "status", "note")
_TICKET_CONDITIONS = ("queue", "priority", "status", "channel")


class EventRuleConfig(BaseModel):
    """One event rule: on which events, when, what to do; ordered as written, can be switched off and
    can stop the rules after it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    on: list[Event] = Field(min_length=1)
    enabled: bool = True
    stop: bool = Field(default=False, description="When it matched, the rules after it are not evaluated.")
    when: RuleConditions = Field(default_factory=RuleConditions)
    actions: list[RuleAction] = Field(min_length=1)
    supervisor: str | None = Field(
        default=None,
        description="Login that supervisor means in assign/notify/reminder; default the first active "
        "supervisor by login.",
    )

    _on = field_validator("on", mode="before")(classmethod(lambda cls, value: _as_list(value)))

    @model_validator(mode="after")
    def _can_work(self) -> EventRuleConfig:
        for reason in self.problems():
            raise ValueError(f"rule {self.name!r}: {reason}")
        return self

    def problems(self) -> list[str]:
        """Why this rule could never do what it says (empty: it can)."""
        found: list[str] = [
            f"on lists {event} twice: the rule would run twice on each"  # it did: two notes, two mails
            for event in dict.fromkeys(self.on)
            if self.on.count(event) > 1
        ]
        given = self.when.given()
        for name, value in given.items():
            if isinstance(value, list) and not value:
                found.append(f"the condition {name} is an empty list, so it can never be true")
        for name in ("words", "subject_words", "body_words"):  # conditions.WORD_CONDITIONS
            for phrase in given.get(name) or []:
                if not word_stems(phrase):
                    found.append(f"{name} {phrase!r} has no word in it, so it can never match")
        if self.when.inside_calendar and self.when.inside_calendar == self.when.outside_calendar:
            found.append("inside_calendar and outside_calendar name the same calendar: never true")
        for event in self.on:
            found.extend(self._problems_on(event, given))
        return found

    def _problems_on(self, event: str, given: dict[str, Any]) -> list[str]:
        found = []
        if event == "client.created":
            found += [
                f"the condition {name} can never be true on client.created (a client has no ticket)"
                for name in (*_TICKET_CONDITIONS, "subject_words", "body_words", "words")
                if name in given
            ]
            found += [
                f"the action {action.kind} cannot apply on client.created (there is no ticket)"
                for action in self.actions
                if action.kind in _TICKET_ACTIONS
            ]
            found += [
                "the mail to the requester cannot apply on client.created (there is no ticket)"
                for action in self.actions
                if action.mail is not None and action.mail.to in ("requester", "assignee")
            ]
        channels = CHANNELS_OF.get(event)
        if channels is not None and "channel" in given and not channels & set(given["channel"]):
            found.append(f"the condition channel {given['channel']} can never be true on {event}")
        if event == "ticket.created" and "status" in given and TicketStatus.NEW not in given["status"]:
            found.append("a ticket is always new when created: the condition status can never be true")
        for action in self.actions:
            for template in action.templates():
                for field in template_fields(template):
                    if field not in TEMPLATE_FIELDS[event]:
                        known = ", ".join(sorted(TEMPLATE_FIELDS[event]))
                        found.append(
                            f"the template names {{{field}}}, which {event} has not (it has: {known})"
                        )
        return found


def check_rule_references(
    *, rules: Sequence[EventRuleConfig], calendars: Mapping[str, Any], source: str
) -> None:
    """Names between sections: rule names are unique, calendars named by conditions exist."""
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"rules[{index}] (rule {rule.name!r})"
        if rule.name in seen:
            raise ConfigError(f"{where}: the name is used twice", where=source)
        seen.add(rule.name)
        for calendar in (rule.when.inside_calendar, rule.when.outside_calendar):
            if calendar is not None and calendar not in calendars:
                raise ConfigError(f"{where}: unknown calendar {calendar!r}", where=source)
