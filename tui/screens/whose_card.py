"""Whose card? A ringing number that belongs to several clients (a company's office number, also its
contact persons' number): the operator picks whose card opens, organisation first. The call timer runs
from the ring whichever card opens, and Esc opens the first rather than dropping the live call.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import NumberOwner
from hotline.tui.widgets.call_timer import CallTimer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hotline.core.clock import Clock
    from hotline.core.db import UnitOfWork
    from hotline.core.models import Client
    from hotline.tui.app import HotlineApp
    from hotline.tui.messages import ScreenPopRequested

SCOPE = "whose_card"

register(
    Command(
        id="whose_card.first",
        key="escape",
        title="whose card: the first",
        help="Open the first card of the list (the organisation); the call goes on either way.",
        action="first",
        scope=SCOPE,
        label="First",
        in_palette=False,
    ),
    Command(
        id="whose_card.help",
        key="f1",
        title="whose card: help",
        help="List the keys of this choice.",
        action="app.show_help",
        scope=SCOPE,
        label="Help",
        in_palette=False,
    ),
)


def owner_prompt(owner: NumberOwner) -> Text:
    """One line per client: the name, then what it is (and a person's organisation); never markup."""
    text = Text(printable(owner.name), style="bold")
    text.append(f"  {owner.kind}", style="dim italic")
    if owner.organisation:
        text.append(" · ", style="dim")
        text.append(printable(owner.organisation), style="dim")
    return text


class WhoseCardScreen(ModalScreen[int]):
    """Returns the chosen client's id: Enter the highlighted one, Esc the first."""

    COMMAND_SCOPE = SCOPE
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for(SCOPE)

    def __init__(
        self, number: str, owners: Sequence[NumberOwner], *, rang_at: datetime, clock: Clock
    ) -> None:
        super().__init__()
        if not owners:
            raise ValueError("a choice needs at least one client")
        self.number = number
        self.owners = tuple(owners)
        self.rang_at = rang_at
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Vertical(id="whose-box") as box:
            box.border_title = Text(f"Whose card? {printable(self.number)[:40]}")  # caller ID: not markup
            box.border_subtitle = "Enter open · ↑↓ choose · Esc the first"
            yield CallTimer(self.rang_at, self.clock, id="whose-timer")
            yield OptionList(
                *(Option(owner_prompt(owner), id=str(owner.client_id)) for owner in self.owners),
                id="whose-list",
            )

    def on_mount(self) -> None:
        options = self.query_one("#whose-list", OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or self.owners[0].client_id))

    def action_first(self) -> None:
        self.dismiss(self.owners[0].client_id)


def number_owners(uow: UnitOfWork, callers: Sequence[Client]) -> tuple[NumberOwner, ...]:
    """The owners to offer when a number belongs to several clients (in ``callers_of``'s order), else ()."""
    if len(callers) < 2:
        return ()
    from hotline.core.models import Client

    names = {int(c.id or 0): c.name for c in callers}
    owners = []
    for caller in callers:
        organisation = None
        if caller.organisation_id is not None:
            organisation = names.get(caller.organisation_id)
            if organisation is None:
                found = uow.session.get(Client, caller.organisation_id)
                organisation = found.name if found else None
        owners.append(NumberOwner(int(caller.id or 0), caller.name, caller.kind, organisation))
    return tuple(owners)


def offer_owners(app: HotlineApp, message: ScreenPopRequested, started: datetime) -> None:
    """Ask whose card a shared number's call opens, then open it with the timer from ``started`` (the
    ring); the card read with the pop is used when the first owner is chosen."""

    def chosen(client_id: int | None) -> None:
        chosen_id = client_id if client_id is not None else message.owners[0].client_id
        app.open_client(
            chosen_id,
            call_started_at=started,
            campaign=message.campaign,
            loaded=message.card if chosen_id == message.client_id else None,
        )

    app.push_screen(
        WhoseCardScreen(message.number, message.owners, rang_at=started, clock=app.ctx.clock), chosen
    )
