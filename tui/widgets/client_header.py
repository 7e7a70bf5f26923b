"""The top of a client's card: name, organisation, group in its colour, phones, emails, birthday, tags."""

from __future__ import annotations

from typing import Any

from rich.color import Color, ColorParseError
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from hotline.core.text import printable


def group_style(colour: str | None) -> Style:
    """The group's colour as a style; a colour the terminal cannot parse falls back to bold."""
    try:
        return Style(color=Color.parse(colour or ""), bold=True)
    except ColorParseError:
        return Style(bold=True)


def header_text(card: Any) -> Text:
    """The card's header as plain data: every value passes through ``printable``, none is markup."""
    client = card.client
    text = Text()
    text.append(printable(client.name), style="bold")
    text.append(f"  #{client.id}", style="dim")
    if client.kind == "organisation":
        text.append("  organisation", style="italic")
    if card.organisation is not None:
        text.append("  · ")
        text.append(printable(card.organisation.name), style="italic")
    if card.group is not None:
        text.append("  ")
        text.append(f"■ {printable(card.group.name)}", style=group_style(card.group.colour))
    lines: list[tuple[str, str]] = []
    if card.phones:
        lines.append(("Phone", ", ".join(printable(p.raw) or p.e164 for p in card.phones)))
    if card.emails:
        lines.append(("Email", ", ".join(printable(e.address) for e in card.emails)))
    if client.birthday:
        lines.append(("Birthday", client.birthday.strftime("%d %b %Y")))
    if client.tags:
        lines.append(("Tags", ", ".join(printable(str(tag)) for tag in client.tags)))
    for label, value in lines:
        text.append("\n")
        text.append(f"{label:<9}", style="dim")
        text.append(value)
    return text


class ClientHeader(Static):
    """Renders a ``ClientCard`` (from ``hotline.core.services.clients.client_card``)."""

    def show(self, card: Any) -> None:
        self.update(header_text(card))
