"""New client (prefilled from what was typed in the lookup) and editing an existing one.

ctrl+s checks every field at once and shows each problem beside its field. A birthday is typed as people
here write dates (the ``date_order`` setting: ``16.01.1999`` day-first). A phone or email that already
belongs to another client shows a warning with that client's name (ctrl+o opens that client instead), and
saving it anyway needs an explicit yes; so does a group name that does not exist yet (it would be created).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker

from hotline.core.attribution import Attribution
from hotline.core.dates import date_pattern, format_date, parse_date
from hotline.core.errors import InvalidInput
from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import CardLoaded, ClientSaved, DuplicatesFound, KeysHeld, forward_worker_failure
from hotline.tui.screens.attribution_pick import PicksAttribution, attribution_text, pick_source_command
from hotline.tui.screens.confirm import ConfirmScreen
from hotline.tui.widgets.one_line_input import OneLineInput

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

KINDS = (("Person", "person"), ("Organisation", "organisation"))
NAME_MAX = 300
"""A client's name is at most this long (the column's width): the field takes no more, but a name prefilled
from the lookup can be longer."""
CHECKED_FIELDS = ("name", "phones", "emails", "group", "birthday")
"""The fields that can be wrong; each has an error line under it (``#<field>-error``)."""

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
    from hotline.core.search.text import address_and_rest, looks_like_phone

    typed = printable(typed)
    if not typed:
        return {}
    if "@" in typed:
        # A From line copied whole ('Иван Иванов <ivan@example.com>') went into Emails as it was, which
        # then refused it; its address is the email, its name the name.
        found = address_and_rest(typed)
        if found is None:
            return {"email": typed}
        address, name = found
        return {"name": name, "email": address} if name else {"email": address}
    if looks_like_phone(typed):  # the lookup's rule: a number with a document's dashes is a phone
        return {"phone": typed}
    return {"name": typed}


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def _accepted(normalize: Any, raw: str) -> bool:
    try:
        normalize(raw)
    except InvalidInput:
        return False
    return True


def _error_line(field: str) -> ComposeResult:
    """The (hidden until needed) line under ``field`` that says what is wrong with it."""
    yield Static("", id=f"{field}-error", classes="field-error", markup=False)


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
        caller: bool = False,
    ) -> None:
        """``caller``: ``typed`` is a caller's number (a screen pop, a missed call): it goes in Phones as
        the PBX gave it, never in Emails or Name as a lookup query's "@" or letters would send it."""
        super().__init__()
        self.ctx = ctx
        self.attribution = attribution or Attribution()
        self._stored_attribution: Attribution | None = None
        self.client_id = client_id
        self.prefill = {"phone": printable(typed)} if caller and printable(typed) else prefill_from(typed)
        self.duplicates: list[tuple[int, str]] = []
        self._check_generation = 0
        self._answered_generation = 0
        """The newest duplicate check answered (``keys_await`` while it is behind ``_check_generation``)."""
        self._open_when_answered = False
        """ctrl+o came before the newest check answered: open the duplicate once it does."""
        self._shown_errors: dict[str, str] = {}
        """Field → its value when its error was shown: the error goes once the value is changed."""
        self._own_contacts: set[str] = set()
        """The edited client's phones (E.164) and emails as loaded: sharing one of those was agreed before."""
        self._typed: dict[str, str] = {}
        """The fields this edit changes, as typed (stripped), when it was last checked for saving."""
        self._loaded: dict[str, str] = {}
        """An edited client's fields as loaded (field → text): one left so is not written back, so a
        colleague's change to it made meanwhile stays."""
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="client-form") as form:
            form.border_title = "Edit client" if self.client_id else "New client"
            form.border_subtitle = key_hints(self)
            with Grid(id="client-fields"):
                yield Label("Kind")
                yield Select(KINDS, value="person", allow_blank=False, id="kind", compact=True)
                yield Label("Name")
                yield OneLineInput(
                    self.prefill.get("name", ""),
                    what="a name",
                    id="name",
                    max_length=NAME_MAX,
                    compact=True,
                    select_on_focus=False,
                )
                yield from _error_line("name")
                yield Label("Phones")
                yield OneLineInput(
                    self.prefill.get("phone", ""),
                    what="phones",
                    joiner=", ",
                    id="phones",
                    placeholder="+7 912 345-67-89, …",
                    compact=True,
                    select_on_focus=False,
                )
                yield from _error_line("phones")
                yield Label("Emails")
                yield OneLineInput(
                    self.prefill.get("email", ""),
                    what="emails",
                    joiner=", ",
                    id="emails",
                    placeholder="name@example.com, …",
                    compact=True,
                    select_on_focus=False,
                )
                yield from _error_line("emails")
                yield Label("Group")
                yield OneLineInput(
                    id="group", max_length=100, compact=True, select_on_focus=False, what="a group"
                )
                yield from _error_line("group")
                yield Label("Birthday")
                yield OneLineInput(
                    what="a birthday",
                    id="birthday",
                    placeholder=date_pattern(self.ctx.settings.date_order),
                    compact=True,  # takes any key: "1O.01.1990" kept whole is refused, never saved as 1.01
                    select_on_focus=False,
                )
                yield from _error_line("birthday")
                yield Label("Tags")
                yield OneLineInput(
                    id="tags",
                    placeholder="vip, wholesale, …",
                    compact=True,
                    select_on_focus=False,
                    what="tags",
                    joiner=", ",
                )
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
        values = {f"#{field}": text for field, text in self._texts_of(card).items()}
        self.attribution = self._stored_attribution = Attribution(client.source, client.campaign)
        self._own_contacts = {phone.e164 for phone in card.phones} | {email.address for email in card.emails}
        self.query_one("#attribution", Static).update(attribution_text(self.attribution))
        for selector, value in values.items():
            field = self.query_one(selector, Input)
            field.value = printable(value)
            # as stored: a field shown cleaned (a control character in an old name) is written cleaned
            self._loaded[selector.removeprefix("#")] = value.strip()
            field.cursor_position = len(field.value)  # typing adds to the name, never replaces it

    def _texts_of(self, card: Any) -> dict[str, str]:
        """A client's fields as the form shows them (field → text)."""
        client = card.client
        birthday = client.birthday
        return {
            "name": client.name,
            "phones": ", ".join(phone.raw or phone.e164 for phone in card.phones),
            "emails": ", ".join(email.address for email in card.emails),
            "group": card.group.name if card.group else "",
            "birthday": format_date(birthday, self.ctx.settings.date_order) if birthday else "",
            "tags": ", ".join(str(tag) for tag in client.tags),
        }

    def _changed_meanwhile(self, card: Any, fields: dict[str, Any]) -> list[tuple[str, str]]:
        """The fields this edit changes that someone else changed since the form read them, to another
        value than this one (field, its value now): saved over, their change would be lost unseen."""
        now = {field: text.strip() for field, text in self._texts_of(card).items()}
        return [
            (field, now[field])
            for field in fields
            if field in self._typed
            and now[field] != self._loaded.get(field)
            and now[field] != self._typed[field]
        ]

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
        self._answered_generation = message.generation
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
        if self._open_when_answered:
            self._open_when_answered = False
            self.post_message(KeysHeld(self, False))
            self.action_open_duplicate()

    def keys_await(self) -> bool:
        """The newest duplicate check has not answered yet (the type-ahead valve waits for it)."""
        return self._answered_generation != self._check_generation

    # -- commands ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_duplicate":
            return bool(self.duplicates) or self.keys_await()
        return True

    def action_open_duplicate(self) -> None:
        """Open the client who has the phone or email; typed before the check answered (at once with the
        number), it waits for the answer and holds the keys after it (it was dropped: a new client made)."""
        if self.keys_await():
            if not self._open_when_answered:
                self._open_when_answered = True
                self.post_message(KeysHeld(self, True))
            return
        if self.duplicates:
            self.dismiss(self.duplicates[0][0])

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Changed, "#name, #phones, #emails, #group, #birthday")
    def _edited(self, event: Input.Changed) -> None:
        """A field being corrected no longer shows its old error."""
        field = event.input.id or ""
        if field in self._shown_errors and event.value != self._shown_errors[field]:
            self._show_error(field, "")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget.id == "name":
            self._number_out_of_the_name()

    def action_save(self) -> None:
        if self._saving:
            return
        if self.client_id is not None and not self._loaded:
            # its read failed (the database busy): the empty fields saved would wipe its phones and tags
            self.notify(
                "Not saved: this client's details did not load (Esc, then e to try again).",
                severity="error",
                markup=False,
            )
            return
        fields, errors = self._checked()
        for field in CHECKED_FIELDS:
            self._show_error(field, errors.get(field, ""))
        if errors:
            first = next(field for field in CHECKED_FIELDS if field in errors)
            self.query_one(f"#{first}", Input).focus()
            problems = "1 field needs" if len(errors) == 1 else f"{len(errors)} fields need"
            self.notify(f"Not saved: {problems} correcting.", severity="error", markup=False)
            return
        self._saving = True
        self._confirm_and_save(fields)

    def _show_error(self, field: str, message: str) -> None:
        if message:
            self._shown_errors[field] = self.query_one(f"#{field}", Input).value
        else:
            self._shown_errors.pop(field, None)
        line = self.query_one(f"#{field}-error", Static)
        line.update(Text(f"⚠ {message}" if message else ""))
        line.set_class(bool(message), "-shown")

    def _checked(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The form's values for the service, and every field's problem at once (field → reason)."""

        def value(selector: str) -> str:
            return self.query_one(selector, Input).value.strip()

        from hotline.core.emails import normalize_email
        from hotline.core.phones import normalize_phone

        self._number_out_of_the_name()
        errors: dict[str, str] = {}
        if not value("#name"):
            errors["name"] = "a client needs a name"
        elif len(value("#name")) > NAME_MAX:
            errors["name"] = f"a name is at most {NAME_MAX} characters (this one has {len(value('#name'))})"
        phones, emails = _split(value("#phones")), _split(value("#emails"))
        region = self.ctx.settings.default_region
        bad_phones = [
            raw
            for raw in phones
            if not _accepted(lambda raw: normalize_phone(raw, default_region=region), raw)
        ]
        if bad_phones:
            errors["phones"] = f"not a phone number: {', '.join(bad_phones)}"
        bad_emails = [raw for raw in emails if not _accepted(normalize_email, raw)]
        if bad_emails:
            errors["emails"] = f"not an email address: {', '.join(bad_emails)}"
        birthday: date | None = None
        if birthday_text := value("#birthday"):
            try:
                birthday = parse_date(birthday_text, self.ctx.settings.date_order)
            except InvalidInput as error:
                errors["birthday"] = error.message
            else:
                if birthday > self.ctx.clock.now().astimezone(self.ctx.settings.zone).date():
                    errors["birthday"] = f"{birthday_text!r} is in the future"
        fields: dict[str, Any] = {}
        if self.attribution != self._stored_attribution:
            fields = {"source": self.attribution.source, "campaign": self.attribution.campaign}
        typed = {
            "name": value("#name"),
            "phones": phones,
            "emails": emails,
            "group": value("#group") or None,
            "birthday": birthday,
            "tags": _split(value("#tags")),
        }
        # An edit writes only the fields changed here: written back as read, a field a colleague changed
        # meanwhile (an email added, a tag) lost that change without a word.
        changed = {
            field: typed_value
            for field, typed_value in typed.items()
            if field not in self._loaded or value(f"#{field}") != self._loaded[field]
        }
        self._typed = {field: value(f"#{field}") for field in changed}  # as typed, for ``_changed_meanwhile``
        return fields | {"kind": str(self.query_one("#kind", Select).value)} | changed, errors

    def _number_out_of_the_name(self) -> None:
        """A phone number typed into an empty form's Name (F4 with nothing in the lookup box) belongs in
        Phones: it moves there when the operator leaves Name or saves, and the form asks for the name."""
        name, phones = self.query_one("#name", Input), self.query_one("#phones", Input)
        if self.client_id is None and not phones.value.strip() and "phone" in prefill_from(name.value):
            phones.value = name.value.strip()
            name.value = ""
            name.focus()

    # -- confirmations, then the write -------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _confirm_and_save(self, fields: dict[str, Any]) -> None:
        """What needs a yes before the write: a group that does not exist yet, another client's phone or
        email (looked up afresh, not taken from the live warning)."""
        group = fields.get("group")
        new_group = bool(group) and not self._group_exists(group)
        if new_group and not self._may_make_groups():
            self.app.call_from_thread(self._refuse_group, group)
            return
        duplicates = self._owners_of(fields.get("phones", []), fields.get("emails", []))
        self.app.call_from_thread(self._ask_group, fields, new_group, duplicates)

    def _refuse_group(self, group: str) -> None:
        """An operator chooses among the groups; making one is a supervisor's (F8, then g)."""
        self._saving = False
        self._show_error("group", f"no group named {group!r}; a supervisor makes new groups")
        self.query_one("#group", Input).focus()

    def _ask_group(self, fields: dict[str, Any], new_group: bool, duplicates: list[tuple[int, str]]) -> None:
        if not new_group:
            self._ask_duplicates(fields, duplicates)
            return
        group = fields["group"]

        def answered(yes: bool | None) -> None:
            if yes:
                self._ask_duplicates(fields, duplicates)
                return
            self._saving = False
            self._show_error("group", f"no group named {group!r} (not created)")
            self.query_one("#group", Input).focus()

        question = f"There is no group named {group!r}. Create it and put the client in it?"
        self.app.push_screen(ConfirmScreen(question, title="New group", yes="Create"), answered)

    def _ask_duplicates(self, fields: dict[str, Any], duplicates: list[tuple[int, str]]) -> None:
        if not duplicates:
            self._save(fields)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._save(fields)
            else:
                self._saving = False

        names = ", ".join(f"{printable(name)} #{client_id}" for client_id, name in duplicates[:3])
        more = f" and {len(duplicates) - 3} more" if len(duplicates) > 3 else ""
        question = (
            f"This phone or email already belongs to {names}{more}. Save this client with it too?"
            " (No, then ctrl+o, opens the existing client instead.)"
        )
        self.app.push_screen(ConfirmScreen(question, title="Already a client", yes="Save anyway"), answered)

    def _may_make_groups(self) -> bool:
        with self.ctx.uow(readonly=True) as uow:
            return uow.may("group.manage")

    def _group_exists(self, name: str) -> bool:
        from hotline.core.errors import NotFound
        from hotline.core.services.groups import get_group

        with self.ctx.uow(readonly=True) as uow:
            try:
                get_group(uow, name=name)
            except NotFound:
                return False
        return True

    def _owners_of(self, phones: list[str], emails: list[str]) -> list[tuple[int, str]]:
        """Other clients that already have one of these phones or emails (checked afresh at save)."""
        from hotline.core.emails import normalize_email
        from hotline.core.phones import normalize_phone
        from hotline.core.services.clients import find_clients_by_contact

        region = self.ctx.settings.default_region
        e164s = [normalize_phone(raw, default_region=region).e164 for raw in phones]
        addresses = [normalize_email(raw) for raw in emails]
        e164s = [e164 for e164 in e164s if e164 not in self._own_contacts]  # kept as they were: asked before
        addresses = [address for address in addresses if address not in self._own_contacts]
        if not e164s and not addresses:
            return []
        with self.ctx.uow(readonly=True) as uow:
            clients = find_clients_by_contact(uow, e164s=e164s, emails=addresses)
            return [(int(c.id or 0), c.name) for c in clients if c.id != self.client_id]

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, fields: dict[str, Any]) -> None:
        from hotline.core.errors import Conflict
        from hotline.core.services.clients import (
            ClientChanges,
            ClientDraft,
            client_card,
            create_client,
            update_client,
        )

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
                fields.pop("kind", None)
                # read again in the saving transaction: a field a colleague changed since the form
                # read it is not saved over (the rest of the form is not saved either)
                meanwhile = self._changed_meanwhile(client_card(uow, client_id=self.client_id), fields)
                if meanwhile:
                    said = "; ".join(f"{field} is now {printable(text)[:80]!r}" for field, text in meanwhile)
                    raise Conflict(
                        f"Not saved: changed by someone else since this form opened ({said}); Esc, open the"
                        " card again and make the change there"
                    )
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
        if not forward_worker_failure(self, event):
            return
        if event.worker.group == "save":
            self._saving = False
        elif event.worker.group == "duplicates":
            self._answered_generation = self._check_generation  # no answer will come: nothing to wait for
            if self._open_when_answered:
                self._open_when_answered = False  # the keys go on; ctrl+o opened nothing
                self.post_message(KeysHeld(self, False))
