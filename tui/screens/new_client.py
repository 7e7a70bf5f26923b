"""New client (prefilled from what was typed in the lookup) and editing an existing one.

A phone or email that already belongs to another client shows a warning with that client's name;
ctrl+o opens that client instead. ctrl+s saves.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker

from hotline.core.attribution import Attribution
from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import CardLoaded, ClientSaved, DuplicatesFound, forward_worker_failure
from hotline.tui.screens.attribution_pick import PicksAttribution, attribution_text, pick_source_command

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

KINDS = (("Person", "person"), ("Organisation", "organisation"))

register(
    Command(
        id="new_client.save",
        key="ctrl+s",
        title="client form: save",
        help="Save the client.",
        action="save",
        scope="new_client",
        label="Save",
        priority=True,
    ),
    Command(
        id="new_client.open_duplicate",
        key="ctrl+o",
        title="client form: open the existing client",
        help="Open the client that already has this phone or email, instead of creating a new one.",
        action="open_duplicate",
        scope="new_client",
        label="Open existing",
        priority=True,
    ),
    pick_source_command("new_client", title="client form", who="client"),
    Command(
        id="new_client.cancel",
        key="escape",
        title="client form: cancel",
        help="Close without saving.",
        action="cancel",
        scope="new_client",
        label="Cancel",
    ),
)


def prefill_from(typed: str) -> dict[str, str]:
    """What a lookup query says about a new client: an address → email, a number → phone, else name."""
    typed = printable(typed)
    if not typed:
        return {}
    if "@" in typed:
        return {"email": typed}
    digits = sum(char.isdigit() for char in typed)
    if digits and not re.sub(r"[\d\s+()\-.]", "", typed):
        return {"phone": typed}
    return {"name": typed}


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


class NewClientScreen(PicksAttribution, ModalScreen[int | None]):
    """Returns the saved client's id (or the existing one chosen with ctrl+o), or None."""

    COMMAND_SCOPE = "new_client"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("new_client")

    def __init__(
        self,
        ctx: ConsoleContext,
        *,
        typed: str = "",
        client_id: int | None = None,
        attribution: Attribution | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.attribution = attribution or Attribution()
        self._stored_attribution: Attribution | None = None
        self.client_id = client_id
        self.prefill = prefill_from(typed)
        self.duplicates: list[tuple[int, str]] = []
        self._check_generation = 0
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="client-form") as form:
            form.border_title = "Edit client" if self.client_id else "New client"
            form.border_subtitle = key_hints(self)
            with Grid(id="client-fields"):
                yield Label("Kind")
                yield Select(KINDS, value="person", allow_blank=False, id="kind", compact=True)
                yield Label("Name")
                yield Input(
                    self.prefill.get("name", ""),
                    id="name",
                    max_length=300,
                    compact=True,
                    select_on_focus=False,
                )
                yield Label("Phones")
                yield Input(
                    self.prefill.get("phone", ""),
                    id="phones",
                    placeholder="+7 912 345-67-89, …",
                    compact=True,
                    select_on_focus=False,
                )
                yield Label("Emails")
                yield Input(
                    self.prefill.get("email", ""),
                    id="emails",
                    placeholder="name@example.com, …",
                    compact=True,
                    select_on_focus=False,
                )
                yield Label("Group")
                yield Input(id="group", max_length=100, compact=True, select_on_focus=False)
                yield Label("Birthday")
                yield Input(
                    id="birthday",
                    placeholder="YYYY-MM-DD",
                    restrict=r"[0-9-]*",
                    max_length=10,
                    compact=True,
                    select_on_focus=False,
                )
                yield Label("Tags")
                yield Input(id="tags", placeholder="vip, wholesale, …", compact=True, select_on_focus=False)
            yield Static(attribution_text(self.attribution), id="attribution")
            yield Static("", id="duplicates")

    def on_mount(self) -> None:
        if self.client_id is not None:
            self._load()
        first_empty = "#name" if not self.query_one("#name", Input).value else "#phones"
        self.query_one(first_empty, Input).focus()
        if self.prefill.get("phone") or self.prefill.get("email"):
            self._check_duplicates()

    # -- editing an existing client ----------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="client-load")
    def _load(self) -> None:
        from hotline.core.services.clients import client_card

        with self.ctx.uow(readonly=True) as uow:
            card = client_card(uow, client_id=self.client_id or 0)
        self.post_message(CardLoaded(card, []))

    def on_card_loaded(self, message: CardLoaded) -> None:
        card = message.card
        client = card.client
        self.query_one("#kind", Select).value = client.kind
        values = {
            "#name": client.name,
            "#phones": ", ".join(phone.raw or phone.e164 for phone in card.phones),
            "#emails": ", ".join(email.address for email in card.emails),
            "#group": card.group.name if card.group else "",
            "#birthday": client.birthday.isoformat() if client.birthday else "",
            "#tags": ", ".join(str(tag) for tag in client.tags),
        }
        self.attribution = self._stored_attribution = Attribution(client.source, client.campaign)
        self.query_one("#attribution", Static).update(attribution_text(self.attribution))
        for selector, value in values.items():
            field = self.query_one(selector, Input)
            field.value = printable(value)
            field.cursor_position = len(field.value)  # typing adds to the name, never replaces it

    # -- duplicate warning -------------------------------------------------------------------------

    @on(Input.Changed, "#phones, #emails")
    def _contacts_changed(self) -> None:
        self._check_duplicates()

    def _check_duplicates(self) -> None:
        self._check_generation += 1
        self._find_duplicates(
            self._check_generation,
            _split(self.query_one("#phones", Input).value),
            _split(self.query_one("#emails", Input).value),
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="duplicates")
    def _find_duplicates(self, generation: int, phones: list[str], emails: list[str]) -> None:
        from hotline.core.emails import normalize_email
        from hotline.core.errors import InvalidInput
        from hotline.core.phones import normalize_phone
        from hotline.core.services.clients import find_clients_by_contact

        e164s, addresses = [], []
        for raw in phones:
            try:
                e164s.append(normalize_phone(raw, default_region=self.ctx.settings.default_region).e164)
            except InvalidInput:
                continue
        for raw in emails:
            try:
                addresses.append(normalize_email(raw))
            except InvalidInput:
                continue
        found: list[tuple[int, str]] = []
        if e164s or addresses:
            with self.ctx.uow(readonly=True) as uow:
                clients = find_clients_by_contact(uow, e164s=e164s, emails=addresses)
                found = [(int(c.id or 0), c.name) for c in clients if c.id != self.client_id]
        self.post_message(DuplicatesFound(generation, found))

    def on_duplicates_found(self, message: DuplicatesFound) -> None:
        if message.generation != self._check_generation:
            return
        self.duplicates = message.clients
        warning = Text()
        if message.clients:
            warning.append("⚠ This phone or email already belongs to: ", style="bold")
            for index, (client_id, name) in enumerate(message.clients[:3]):
                if index:
                    warning.append(", ")
                warning.append(printable(name), style="bold")
                warning.append(f" #{client_id}", style="dim")
            if len(message.clients) > 3:
                warning.append(f" and {len(message.clients) - 3} more")
            warning.append("  (ctrl+o opens it)", style="dim")
        self.query_one("#duplicates", Static).update(warning)
        self.query_one("#duplicates").set_class(bool(message.clients), "-warning")
        self.refresh_bindings()

    # -- commands ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_duplicate":
            return bool(self.duplicates)
        return True

    def action_open_duplicate(self) -> None:
        if self.duplicates:
            self.dismiss(self.duplicates[0][0])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self._saving:
            return
        try:
            fields = self._fields()
        except ValueError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._saving = True
        self._save(fields)

    def _fields(self) -> dict[str, Any]:
        def value(selector: str) -> str:
            return self.query_one(selector, Input).value.strip()

        self._number_out_of_the_name()

        birthday_text = value("#birthday")
        try:
            birthday = date.fromisoformat(birthday_text) if birthday_text else None
        except ValueError:
            raise ValueError(f"birthday: not a date (YYYY-MM-DD): {birthday_text}") from None
        if not value("#name"):
            raise ValueError("name: a client needs a name")
        fields: dict[str, Any] = {}
        if self.attribution != self._stored_attribution:
            fields = {"source": self.attribution.source, "campaign": self.attribution.campaign}
        return fields | {
            "kind": str(self.query_one("#kind", Select).value),
            "name": value("#name"),
            "phones": _split(value("#phones")),
            "emails": _split(value("#emails")),
            "group": value("#group") or None,
            "birthday": birthday,
            "tags": _split(value("#tags")),
        }

    def _number_out_of_the_name(self) -> None:
        """A phone number typed into an empty form's Name (F4 with nothing in the lookup box) belongs in
        Phones: it moves there, and the form asks for the name."""
        name, phones = self.query_one("#name", Input), self.query_one("#phones", Input)
        if self.client_id is None and not phones.value.strip() and "phone" in prefill_from(name.value):
            phones.value = name.value.strip()
            name.value = ""
            name.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, fields: dict[str, Any]) -> None:
        from hotline.core.services.clients import ClientChanges, ClientDraft, create_client, update_client

        region = self.ctx.settings.default_region
        with self.ctx.uow() as uow:
            if self.client_id is None:
                client = create_client(
                    uow,
                    draft=ClientDraft(**fields),
                    default_region=region,
                    attributions=self.ctx.settings.attributions,
                )
            else:
                fields.pop("kind")
                client = update_client(
                    uow,
                    client_id=self.client_id,
                    changes=ClientChanges(**fields),
                    default_region=region,
                    attributions=self.ctx.settings.attributions,
                )
            client_id = int(client.id or 0)
        self.post_message(ClientSaved(client_id, created=self.client_id is None))

    def on_client_saved(self, message: ClientSaved) -> None:
        message.stop()
        self.notify("Client saved.", timeout=3)
        self.dismiss(message.client_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event) and event.worker.group == "save":
            self._saving = False
