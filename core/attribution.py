"""Where clients and inquiries come from: the configured sources ("how did you hear about us") and the
advertising campaigns (a code, dates, a cost, the phone numbers that ring for it).

Both live in the configuration file; clients, calls and tickets store the source's name and the
campaign's code as plain text, checked against this list when they are written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline.core.errors import InvalidInput, NotFound
from hotline.core.phones import digits_of

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

NAME_LENGTH = 100
MAX_COST = 1e15
"""The most a campaign may cost: far above any budget; the costs of many campaigns sum without overflow."""


class CampaignConfig(BaseModel):
    """One advertising campaign: a code clients and inquiries carry, what it cost, when it ran."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=NAME_LENGTH)
    name: str = ""
    source: str | None = None
    """The source the campaign belongs to (one of ``sources``): a client of the campaign has it."""
    starts: date | None = None
    ends: date | None = None
    cost: float = Field(default=0.0, ge=0, le=MAX_COST, allow_inf_nan=False)
    """What the campaign cost in all, in the call centre's currency (cost per client divides it): a finite
    number, at most ``MAX_COST`` (inf or nan became Infinity/NaN in the reports' JSON, which is invalid)."""
    dialled: list[str] = Field(default_factory=list)
    """Phone numbers printed in the campaign: a call to one of them carries the campaign."""

    @field_validator("code")
    @classmethod
    def _plain_code(cls, value: str) -> str:
        value = value.strip()
        if not value or not value.isprintable():
            raise ValueError("a campaign code is printable text")
        return value

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("a campaign name is printable text")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.starts and self.ends and self.starts > self.ends:
            raise ValueError(f"campaign {self.code!r} ends ({self.ends}) before it starts ({self.starts})")
        for number in self.dialled:
            if not digits_of(number):
                raise ValueError(f"campaign {self.code!r}: dialled {number!r} is not a phone number")
        return self


def check_campaigns(sources: list[str], campaigns: list[CampaignConfig]) -> str | None:
    """What is wrong between the source list and the campaigns (a repeated code or number, a source
    that is not listed), or None."""
    if len(set(sources)) != len(sources):
        return "sources: a source is listed twice"
    for source in sources:  # stored on clients, tickets and calls, printed raw in CSV reports
        if not source.strip():
            return "sources: a source is blank"
        if not source.isprintable():
            return f"sources: {source!r} is not printable text"
        if len(source) > NAME_LENGTH:
            return f"sources: {source[:40]!r}… is longer than {NAME_LENGTH} characters"
    seen_codes: set[str] = set()
    seen_numbers: dict[str, str] = {}
    for campaign in campaigns:
        if campaign.code in seen_codes:
            return f"campaigns: code {campaign.code!r} is used twice"
        seen_codes.add(campaign.code)
        if campaign.source is not None and campaign.source not in sources:
            return f"campaigns.{campaign.code}: source {campaign.source!r} is not in sources"
        for number in campaign.dialled:
            digits = digits_of(number)
            if digits in seen_numbers:
                owner = seen_numbers[digits]
                return f"campaigns.{campaign.code}: dialled {number!r} already belongs to {owner!r}"
            seen_numbers[digits] = campaign.code
    return None


@dataclass(frozen=True)
class Attribution:
    """A source and a campaign code, both optional, both known to the configuration."""

    source: str | None = None
    campaign: str | None = None


@dataclass(frozen=True)
class Attributions:
    """The configured sources and campaigns, and the checks every face uses on what it was given."""

    sources: tuple[str, ...]
    campaigns: tuple[CampaignConfig, ...]

    @property
    def campaign_codes(self) -> tuple[str, ...]:
        """The configured campaigns' codes (what a campaign is given as)."""
        return tuple(campaign.code for campaign in self.campaigns)

    def campaign(self, code: str) -> CampaignConfig | None:
        return next((campaign for campaign in self.campaigns if campaign.code == code), None)

    def resolve(self, *, source: str | None, campaign: str | None, where: str = "") -> Attribution:
        """Check a source and a campaign as typed (blank is none); a campaign without a source gives
        its own. Unknown values are ``InvalidInput`` naming the field and the known values."""
        source = (source or "").strip() or None
        code = (campaign or "").strip() or None
        if source is not None and source not in self.sources:
            known = ", ".join(self.sources) or "none configured"
            raise InvalidInput(f"unknown source {source!r} (known: {known})", where=f"{where}source")
        if code is not None:
            found = self.campaign(code)
            if found is None:
                known = ", ".join(self.campaign_codes) or "none configured"
                raise InvalidInput(f"unknown campaign {code!r} (known: {known})", where=f"{where}campaign")
            source = source or found.source
        return Attribution(source=source, campaign=code)

    def for_dialled(self, number: str | None) -> Attribution:
        """The campaign whose printed number was dialled (matched on digits, the last ten when the
        PBX adds or drops a trunk prefix), with its source; nothing when no campaign has it."""
        digits = digits_of(number or "")
        if not digits:
            return Attribution()
        for campaign in self.campaigns:
            for dialled in campaign.dialled:
                known = digits_of(dialled)
                if known == digits or (len(digits) >= 10 and known[-10:] == digits[-10:]):
                    return Attribution(source=campaign.source, campaign=campaign.code)
        return Attribution()


def check_filter(
    uow: UnitOfWork, *, name: Literal["source", "campaign"], value: str, configured: Iterable[str]
) -> None:
    """A list or report kept to a source or campaign that no client has and the configuration does not
    name is a mistake (a typo, the wrong case): ``NotFound``, not an empty answer with exit 0. One that
    is configured but nobody has yet is an honest empty answer."""
    if value in configured:
        return
    from sqlalchemy import select

    from hotline.core.models import Client

    column = Client.__table__.c[name]  # indexed
    if uow.session.execute(select(column).where(column == value).limit(1)).first() is None:
        raise NotFound(
            f"no client has the {name} {value!r} and no configured {name} is it", where=f"--{name}"
        )
