"""Where the caller or client came from: a source and a campaign, picked from the configured lists.

The log-call and new-client forms open it with one key (ctrl+g); enter keeps the choice, escape leaves
the form's values as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from hotline.core.attribution import Attribution
from hotline.tui.commands import Command, bindings_for, key_hints, register

if TYPE_CHECKING:
    from hotline.core.attribution import Attributions

PICK_KEY = "ctrl+g"

register(
    Command(
        id="attribution.keep",
        key="ctrl+s",
        title="source: keep",
        help="Keep the source and campaign picked.",
        action="keep",
        scope="attribution",
        label="Keep",
        priority=True,
        in_palette=False,
    ),
    Command(
        id="attribution.cancel",
        key="escape",
        title="source: cancel",
        help="Close without changing the source and campaign.",
        action="cancel",
        scope="attribution",
        label="Cancel",
        in_palette=False,
    ),
)


def pick_source_command(scope: str, *, title: str, who: str) -> Command:
    """The form command that opens the picker (``ctrl+g``), the same in every form that has one."""
    return Command(
        id=f"{scope}.pick_source",
        key=PICK_KEY,
        title=f"{title}: where from (source, campaign)",
        help=f"Pick where the {who} came from: a configured source and campaign.",
        action="pick_source",
        scope=scope,
        label="Source",
        priority=True,
    )


class PicksAttribution:
    """For a form screen with ``ctx``, ``attribution`` and a ``#attribution`` Static: ctrl+g opens the
    picker and the line shows the choice."""

    ctx: Any
    attribution: Attribution
    app: Any
    query_one: Any  # the screen's own (the mixin comes before Screen in its bases)

    def action_pick_source(self) -> None:
        def picked(attribution: Attribution | None) -> None:
            if attribution is not None:
                self.attribution = attribution
                self.query_one("#attribution", Static).update(attribution_text(attribution))

        self.app.push_screen(AttributionScreen(self.ctx.settings.attributions, self.attribution), picked)


def attribution_text(attribution: Attribution | None) -> Text:
    """The one line a form shows: ``Source: TV · campaign TV-NOV`` (dim "none" when unknown)."""
    line = Text("Source: ", style="dim")
    if attribution is None or (attribution.source is None and attribution.campaign is None):
        line.append("none", style="dim italic")
    else:
        line.append(attribution.source or "—")
        if attribution.campaign:
            line.append(" · campaign ", style="dim")
            line.append(attribution.campaign)
    line.append(f"  ({PICK_KEY.replace('ctrl+', '^')} to change)", style="dim")
    return line


class AttributionScreen(ModalScreen[Attribution | None]):
    """Returns the picked attribution, or None when cancelled."""

    COMMAND_SCOPE = "attribution"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("attribution")

    def __init__(self, attributions: Attributions, current: Attribution | None = None) -> None:
        super().__init__()
        self.attributions = attributions
        self.current = current or Attribution()

    def compose(self) -> ComposeResult:
        with Vertical(id="attribution-form") as form:
            form.border_title = "Where from?"
            form.border_subtitle = key_hints(self)
            with Grid(id="attribution-fields"):
                yield Label("Source")
                yield Select(
                    [(Text(name), name) for name in self.attributions.sources],  # never markup
                    value=self.current.source
                    if self.current.source in self.attributions.sources
                    else Select.NULL,
                    prompt="(none)",
                    id="source",
                    compact=True,
                )
                yield Label("Campaign")
                codes = list(self.attributions.campaign_codes)
                yield Select(
                    [(Text(self._campaign_label(code)), code) for code in codes],
                    value=self.current.campaign if self.current.campaign in codes else Select.NULL,
                    prompt="(none)",
                    id="campaign",
                    compact=True,
                )

    def _campaign_label(self, code: str) -> str:
        campaign = self.attributions.campaign(code)
        return f"{code} — {campaign.name}" if campaign and campaign.name else code

    def on_mount(self) -> None:
        self.query_one("#source", Select).focus()

    def action_keep(self) -> None:
        source = self.query_one("#source", Select).value
        campaign = self.query_one("#campaign", Select).value
        self.dismiss(
            self.attributions.resolve(
                source=None if source is Select.NULL else str(source),
                campaign=None if campaign is Select.NULL else str(campaign),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
