"""Whether a rule's conditions hold for an event, and if not, which one failed and why.

Conditions are checked in the order written in ``RuleConditions``; the first that fails is the reason
given by ``hotline rules explain``. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hotline.core.rules.config import RuleConditions, word_stems

WORD_CONDITIONS = ("words", "subject_words", "body_words")
ONE_OF_CONDITIONS = (
    "queue",
    "channel",
    "priority",
    "status",
    "client_group",
    "contract_level",
    "sender_domain",
)

if TYPE_CHECKING:
    from hotline.core.rules.facts import EventFacts
    from hotline.core.sla.policy import SlaSetup

Check = Callable[["EventFacts", Any, "SlaSetup | None"], "str | None"]
"""A condition's check: None when it holds, else why not."""


@dataclass(frozen=True, slots=True)
class OneOf:
    """The values a condition accepts, compiled once: a set to test, a text to say what was wanted."""

    values: frozenset[str]
    text: str

    @classmethod
    def of(cls, wanted: list[Any]) -> OneOf:
        values = [str(getattr(value, "value", value)) for value in wanted]
        return cls(frozenset(values), " or ".join(values))


def _one_of(name: str, actual: str | None, wanted: OneOf) -> str | None:
    if actual is not None and actual in wanted.values:
        return None
    return f"{name} is {actual or 'none'}, not {wanted.text}"


def _words(name: str, stems_of: Callable[[EventFacts], frozenset[str]]) -> Check:
    def check(
        facts: EventFacts, phrases: list[tuple[str, frozenset[str]]], _sla: SlaSetup | None
    ) -> str | None:
        found = stems_of(facts)
        for _phrase, needed in phrases:
            if needed <= found:
                return None
        return f"none of {', '.join(phrase for phrase, _ in phrases)} in the {name}"

    return check


def _subject_and_body(facts: EventFacts) -> frozenset[str]:
    return facts.subject_stems | facts.body_stems


def _calendar(inside: bool) -> Check:
    def check(facts: EventFacts, name: str, sla: SlaSetup | None) -> str | None:
        if sla is None:
            return f"calendar {name!r} is not known here"
        working = sla.calendar(name).is_working(facts.at)
        if working == inside:
            return None
        return f"{'outside' if inside else 'inside'} the hours of calendar {name!r}"

    return check


def _tags(facts: EventFacts, wanted: list[str], _sla: SlaSetup | None) -> str | None:
    if facts.tags & set(wanted):
        return None
    return f"none of the tags {', '.join(wanted)}"


CHECKS: dict[str, Check] = {
    "queue": lambda facts, wanted, _sla: _one_of("queue", facts.queue_name, wanted),
    "channel": lambda facts, wanted, _sla: _one_of("channel", facts.channel, wanted),
    "priority": lambda facts, wanted, _sla: _one_of(
        "priority", facts.ticket.priority if facts.ticket else None, wanted
    ),
    "status": lambda facts, wanted, _sla: _one_of(
        "status", facts.ticket.status if facts.ticket else None, wanted
    ),
    "client_group": lambda facts, wanted, _sla: _one_of("client group", facts.client_group, wanted),
    "contract_level": lambda facts, wanted, _sla: _one_of("contract level", facts.contract_level, wanted),
    "sender_domain": lambda facts, wanted, _sla: _one_of("sender domain", facts.sender_domain, wanted),
    "words": _words("subject or body", _subject_and_body),
    "subject_words": _words("subject", lambda facts: facts.subject_stems),
    "body_words": _words("body", lambda facts: facts.body_stems),
    "tags": _tags,
    "inside_calendar": _calendar(inside=True),
    "outside_calendar": _calendar(inside=False),
}


def _compiled(name: str, wanted: Any) -> Any:
    if name in WORD_CONDITIONS:
        return [(phrase, frozenset(word_stems(phrase))) for phrase in wanted]
    if name in ONE_OF_CONDITIONS:
        return OneOf.of(wanted)
    return wanted


def compiled(conditions: RuleConditions) -> tuple[tuple[str, Any], ...]:
    """The conditions given, in order, with the phrases of word conditions stemmed and the lists of
    values made sets, once."""
    return tuple((name, _compiled(name, wanted)) for name, wanted in conditions.given().items())


assert set(CHECKS) == set(RuleConditions.model_fields), "every condition has its check"
