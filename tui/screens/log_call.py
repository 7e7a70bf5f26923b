"""Log a call: direction, wrap-up code, duration, notes.

The duration runs from the call's start (the ring of a screen pop, or the moment the card was opened from
the lookup) and ticks in its field until the operator types over it; what the field says is saved. A
running duration ends when ctrl+s was pressed: keys typed ahead wait their turn, and on a busy machine
the save may run seconds later.

Saved with ctrl+s from anywhere in the form: open it with ``c`` on the card, pick the outcome, save.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea
from textual.worker import Worker

from hotline.core.attribution import Attribution
from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import CallLogged, forward_worker_failure
from hotline.tui.screens.attribution_pick import PicksAttribution, attribution_text, pick_source_command
from hotline.tui.type_ahead import pressed_at
from hotline.tui.widgets.call_timer import elapsed_seconds, format_duration
from hotline.tui.widgets.kb_insert import insert_article
from hotline.tui.widgets.one_line_input import OneLineInput
from hotline.tui.widgets.when_input import WhenInput

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

WRAP_UP_CODES: tuple[tuple[str, str], ...] = (
    ("Resolved", "resolved"),
    ("Information given", "information"),
    ("Call back", "callback"),
    ("Complaint", "complaint"),
    ("Sale", "sale"),
    ("Escalated", "escalated"),
    ("Wrong number", "wrong_number"),
    ("No answer", "no_answer"),
)
DIRECTIONS: tuple[tuple[str, str], ...] = (("Incoming", "in"), ("Outgoing", "out"))

register(
    Command(
        id="log_call.save",
        key="ctrl+s",
        title="call: save",
        help="Save the call on the client's timeline.",
        action="save",
        scope="log_call",
        label="Save",
        priority=True,
    ),
    Command(
        id="log_call.insert_article",
        key="ctrl+k",
        title="call: insert a knowledge-base article",
        help="Search the knowledge base and insert the chosen article into the text.",
        action="insert_article",
        scope="log_call",
        label="KB article",
        priority=True,
    ),
    pick_source_command("log_call", title="call", who="caller"),
    Command(
        id="log_call.cancel",
        key="escape",
        title="call: cancel",
        help="Close the form without saving.",
        action="cancel",
        scope="log_call",
        label="Cancel",
    ),
)


_DURATION = re.compile(r"^\s*(?:(\d+):)?(\d+)(?::(\d{1,2}))?\s*$")


def parse_duration(text: str) -> int | None:
    """Seconds from ``m:ss``, ``h:mm:ss`` or plain minutes (``5``); blank is None; junk is ValueError, and
    so are seconds (or minutes after hours) of 60 and more: ``1:60`` was taken as 2:00 without a word."""
    if not text.strip():
        return None
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use m:ss)")
    first, second, third = match.groups()
    if first is None and third is None:
        return int(second) * 60
    if third is None:
        _below_60(text, int(second), "seconds")
        return int(first) * 60 + int(second)
    _below_60(text, int(second), "minutes")
    _below_60(text, int(third), "seconds")
    return int(first) * 3600 + int(second) * 60 + int(third)


def _below_60(text: str, value: int, unit: str) -> None:
    if value >= 60:
        raise ValueError(f"not a duration: {text.strip()!r} ({unit} go up to 59; use m:ss)")


class LogCallScreen(PicksAttribution, ModalScreen[int | None]):
    """Returns the logged interaction's id, or None when cancelled."""

    COMMAND_SCOPE = "log_call"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("log_call")

    def __init__(
        self,
        ctx: ConsoleContext,
        client_id: int,
        *,
        client_name: str = "",
        call_started_at: datetime | None = None,
        attribution: Attribution | None = None,
    ) -> None:
        super().__init__()
        self.attribution = attribution or Attribution()
        self.ctx = ctx
        self.client_id = client_id
        self.client_name = client_name
        self.call_started_at = call_started_at
        """When the call began; the duration runs from it (None: typed by hand only)."""
        self._ticking = call_started_at is not None
        """The duration field follows the clock until the operator changes it."""
        self._shown_duration = self._running_duration()
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="log-call-form") as form:
            form.border_title = "Log a call"
            form.border_subtitle = key_hints(self)
            yield Static(Text(printable(self.client_name), style="bold"), id="call-client")
            with Grid(id="call-fields"):
                yield Label("Direction")
                yield Select(DIRECTIONS, value="in", allow_blank=False, id="direction", compact=True)
                yield Label("Outcome")
                yield Select(WRAP_UP_CODES, value="resolved", allow_blank=False, id="outcome", compact=True)
                yield Label("Duration")
                yield OneLineInput(
                    self._shown_duration,
                    what="a duration (m:ss)",
                    placeholder="m:ss",
                    id="duration",  # takes any key: "1.5" kept whole is refused at save, never logged as 15
                    compact=True,
                    select_on_focus=False,
                    tooltip="Runs from the start of the call; type to correct it.",
                )
                yield Static("", id="duration-error", classes="field-error", markup=False)
                yield Label("Follow up")
                yield WhenInput(order=self.ctx.settings.date_order, id="follow-up")
                yield Static("", id="follow-up-error", classes="field-error", markup=False)
            yield Static(attribution_text(self.attribution), id="attribution")
            yield Label("Notes")
            yield TextArea(id="notes", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self.query_one("#notes", TextArea).focus()
        if self._ticking:
            self.set_interval(1.0, self._tick)

    def _running_duration(self) -> str:
        if self.call_started_at is None:
            return ""
        return format_duration(elapsed_seconds(self.call_started_at, self.ctx.clock))

    def _following_clock(self) -> bool:
        if self.query_one("#duration", Input).value != self._shown_duration:
            self._ticking = False  # typed over, its Changed message not handled yet
        return self._ticking

    def _tick(self) -> None:
        if self._following_clock():
            self._shown_duration = self._running_duration()
            self.query_one("#duration", Input).value = self._shown_duration

    @on(Input.Changed, "#duration")
    def _duration_typed(self, event: Input.Changed) -> None:
        if event.value != self._shown_duration:
            self._ticking = False  # the operator's correction stands
            self._show_error("duration", "")

    @on(Input.Changed, "#follow-up")
    def _follow_up_typed(self) -> None:
        self._show_error("follow-up", "")

    def _show_error(self, field: str, message: str) -> None:
        """``message`` under ``field`` (an empty one hides the line)."""
        line = self.query_one(f"#{field}-error", Static)
        line.update(Text(f"⚠ {message}" if message else ""))
        line.set_class(bool(message), "-shown")

    def action_insert_article(self) -> None:
        insert_article(self, self.ctx, self.query_one("#notes", TextArea))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self._saving:
            return
        errors: dict[str, str] = {}
        duration: int | None = None
        if self._following_clock() and self.call_started_at is not None:
            ended = pressed_at(self.app, self.ctx.clock)
            duration = elapsed_seconds(self.call_started_at, self.ctx.clock, until=ended)
        else:
            try:
                duration = parse_duration(self.query_one("#duration", Input).value)
            except ValueError as error:
                errors["duration"] = str(error)
        follow_up_at: datetime | None = None
        try:
            follow_up_at = self.query_one("#follow-up", WhenInput).when(
                now=self.ctx.clock.now(), zone=self.ctx.settings.zone
            )
        except ValueError as error:
            errors["follow-up"] = str(error).removeprefix("when: ")
        self._saving = True
        if errors:
            # Said once the operator is known to be allowed: a deactivated one is refused (audited), not
            # told about what she typed.
            self._authorize_then_show(errors)
            return
        self._show_errors({})
        self._save(
            direction=str(self.query_one("#direction", Select).value),
            outcome=str(self.query_one("#outcome", Select).value),
            duration=duration,
            notes=self.query_one("#notes", TextArea).text.strip(),
            follow_up_at=follow_up_at,
        )

    def _show_errors(self, errors: dict[str, str]) -> None:
        for field in ("duration", "follow-up"):
            self._show_error(field, errors.get(field, ""))
        if errors:
            self._saving = False
            self.query_one(f"#{next(iter(errors))}", Input).focus()
            self.notify("Not logged: " + "; ".join(errors.values()), severity="error", markup=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _authorize_then_show(self, errors: dict[str, str]) -> None:
        with self.ctx.uow(readonly=True) as uow:
            uow.authorize("interaction.write", entity="interaction")
        self.app.call_from_thread(self._show_errors, errors)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(
        self, *, direction: str, outcome: str, duration: int | None, notes: str, follow_up_at: datetime | None
    ) -> None:
        from hotline.core.errors import InvalidInput
        from hotline.core.models.enums import Direction
        from hotline.core.services.interactions import MAX_CALL_SECONDS, log_call

        try:
            with self.ctx.uow() as uow:
                call = log_call(
                    uow,
                    client_id=self.client_id,
                    direction=Direction(direction),
                    duration_seconds=duration,
                    outcome=outcome,
                    notes=notes,
                    started_at=self.call_started_at,
                    attribution=self.attribution,
                )
                interaction_id = int(call.id or 0)
                if follow_up_at is not None:
                    from hotline.core.services.reminders import follow_up

                    follow_up(uow, client_id=self.client_id, due_at=follow_up_at)
        except InvalidInput as refused:
            if refused.where != "duration" or duration is None:
                raise
            # core's refusal in the field's units, beside it (it counts seconds: "between 0 and 86400")
            limit = (
                f"a call lasts at most {format_duration(MAX_CALL_SECONDS)}, not {format_duration(duration)}"
            )
            self.app.call_from_thread(self._show_errors, {"duration": limit})
            return
        self.post_message(CallLogged(self.client_id, interaction_id))

    def on_call_logged(self, message: CallLogged) -> None:
        message.stop()
        self.notify("Call logged.", timeout=3)
        self.dismiss(message.interaction_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            self._saving = False


__all__ = ["LogCallScreen", "format_duration", "parse_duration"]
