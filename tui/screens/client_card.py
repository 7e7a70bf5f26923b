"""The client's card: header, then tabs for the timeline (paged lazily), open tickets (every one counted;
read ``OPEN_TICKETS_ON_CARD`` at a time as the cursor nears the last shown), reminders and, on an
organisation's card, its people (Enter opens one; ``o`` on a person's card opens the organisation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, TabbedContent, TabPane
from textual.worker import Worker

from hotline.core.attribution import Attribution
from hotline.core.text import printable
from hotline.tui import pop_trace
from hotline.tui.coalesce import Coalescer
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import (
    CardLoaded,
    OpenClientRequested,
    OpenTicketRequested,
    TicketsChanged,
    TimelinePageLoaded,
    forward_worker_failure,
    read_card,
)
from hotline.tui.screens.card_calls import CardCallActions
from hotline.tui.widgets.call_timer import CallTimer
from hotline.tui.widgets.client_header import ClientHeader
from hotline.tui.widgets.key_footer import KeyFooter
from hotline.tui.widgets.reminder_list import ReminderList
from hotline.tui.widgets.timeline_table import TimelineTable

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

TIMELINE_PAGE = 50


@dataclass
class MoreOpenTicketsLoaded(Message):
    """The next open tickets of the card were read (``generation``: the card read they follow)."""

    generation: int
    asked: int
    """How many numbers were asked for (a ticket gone meanwhile is not among ``lines``)."""
    lines: list[Any]


def forget_rendered_lines() -> None:
    """Let the rendered lines of widgets gone with a closed card go too.

    Textual memoises ``StylesCache.get_inner_outer`` per widget's styles cache (an ``lru_cache`` of 1,024
    entries on a method: the cache instance is part of the key), and each of those caches holds its
    widget's rendered lines. Closed cards' lines so stayed alive until a thousand other widgets pushed
    them out: tens of thousands of objects that every full garbage collection walked. Emptying the memo
    costs the widgets on screen one recomputation of two styles each."""
    from textual._styles_cache import StylesCache

    StylesCache.get_inner_outer.cache_clear()


def _card(id: str, key: str, title: str, help: str, action: str, **extra: Any) -> Command:
    return Command(id=f"card.{id}", key=key, title=title, help=help, action=action, scope="card", **extra)


register(
    _card(
        "log_call",
        "c",
        "client: log a call",
        "Log a call with this client (the timer's duration).",
        "log_call",
        label="Call",
    ),
    _card(
        "new_ticket",
        "t",
        "client: new ticket",
        "Open a ticket for this client.",
        "new_ticket",
        label="Ticket",
    ),
    _card(
        "note", "n", "client: add a note", "Add a note to the client's timeline.", "add_note", label="Note"
    ),
    _card(
        "reminder",
        "r",
        "client: reminder",
        "Remind me about this client later.",
        "add_reminder",
        label="Reminder",
    ),
    _card(
        "edit",
        "e",
        "client: edit",
        "Change the client's name, phones, emails, group, tags.",
        "edit_client",
        label="Edit",
    ),
    _card(
        "more",
        "m",
        "timeline: load more",
        "Load the next page of older timeline lines.",
        "load_more",
        label="More",
    ),
    _card("timeline", "1", "card: timeline tab", "Show the timeline.", "show_tab('timeline')", show=False),
    _card(
        "tickets", "2", "card: open tickets tab", "Show the open tickets.", "show_tab('tickets')", show=False
    ),
    _card(
        "reminders", "3", "card: reminders tab", "Show the reminders.", "show_tab('reminders')", show=False
    ),
    _card(
        "people",
        "4",
        "card: people tab",
        "An organisation's contact persons (Enter opens one's card).",
        "show_tab('people')",
        show=False,
    ),
    _card(
        "organisation",
        "o",
        "client: open the organisation",
        "Open the card of the organisation this person belongs to.",
        "open_organisation",
        show=False,
    ),
    _card(
        "open",
        "enter",
        "card: open the line",
        "Open the ticket of the selected line (a note's or a call's whole text: its line has no ticket),"
        " or the person selected on the People tab.",
        "open_ticket",
        show=False,
        in_palette=False,
    ),
    _card(
        "dial",
        "d",
        "client: dial",
        "Ring my phone, then dial the client's number through the PBX.",
        "dial_client",
        label="Dial",
        show=False,
    ),
    _card(
        "note_call",
        "u",
        "timeline: log the unlogged call",
        "Add a note to the selected PBX call that nobody logged (it is logged with the PBX's times).",
        "note_unlogged_call",
        show=False,
    ),
    _card(
        "history",
        "h",
        "client: history of changes",
        "Who changed this client, when and from where (supervisors and admins).",
        "show_history",
        show=False,
    ),
    _card("back", "escape", "card: back", "Close the card.", "back", label="Back"),
)


class ClientCardScreen(CardCallActions, Screen[None]):
    """One client; ``call_started_at`` (a screen pop) shows a running call timer; ``campaign``: the
    campaign of the number the caller dialled, which the log-call form starts with."""

    COMMAND_SCOPE = "card"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("card")

    def __init__(
        self,
        ctx: ConsoleContext,
        client_id: int,
        *,
        call_started_at: datetime | None = None,
        campaign: str | None = None,
        loaded: CardLoaded | None = None,
    ) -> None:
        super().__init__()
        self._loaded = loaded
        """The card already read (a screen pop reads it with the pop): shown at mount, not read again."""
        self.ctx = ctx
        self.campaign = campaign
        self.client_id = client_id
        self.call_started_at = call_started_at
        """The ring of the screen pop that opened the card (a call timer runs); None: opened by hand."""
        self.opened_at = ctx.clock.now()
        """A call logged from a card opened by hand (found in the lookup) lasts from here."""
        self.card: Any | None = None
        self._loading_page = False
        self._painted = False
        self._tickets_generation = 0
        """Counts the card's reads: a next page of open tickets read before the last one is dropped."""
        self._tickets_shown = 0
        self._loading_tickets = False
        self._covered = False
        """Another screen was put over the card (a ticket, a form): its tickets are read again on return."""
        self.card_reloads = Coalescer(self, self._refresh_card)
        """The card read again on pushed ticket changes, a burst folded into a few."""
        pop_trace.mark("built")

    def _compositor_refresh(self) -> None:
        """Textual's: the screen's changes to the terminal (traced the first time, for ``pop_trace``)."""
        super()._compositor_refresh()
        if not self._painted and self.is_mounted:
            self._painted = True
            pop_trace.mark("painted")

    def compose(self) -> ComposeResult:
        with Horizontal(id="card-top"):
            yield ClientHeader(Text("Loading…", style="dim"), id="header")
            if self.call_started_at is not None:
                yield CallTimer(self.call_started_at, self.ctx.clock, id="call-timer")
        with TabbedContent(id="tabs", initial="timeline"):
            with TabPane("Timeline", id="timeline"):
                yield TimelineTable(zone=self.ctx.settings.zone, id="timeline-table")
            with TabPane("Open tickets", id="tickets"):
                yield DataTable(id="tickets-table", cursor_type="row", zebra_stripes=True)
            yield TabPane("Reminders", id="reminders")  # its list is mounted after the first paint
            with TabPane("People", id="people"):
                yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()
        pop_trace.mark("composed")

    def on_mount(self) -> None:
        pop_trace.mark("mounting")
        tickets = self.query_one("#tickets-table", DataTable)
        for label, width in (("Ticket", 8), ("Status", 8), ("Priority", 8), ("Due", 12), ("Subject", None)):
            tickets.add_column(label, width=width)
        people = self.query_one("#people-table", DataTable)
        for label, width in (("Name", 32), ("Phone", 24), ("Last contact", 12), ("Tags", None)):
            people.add_column(label, width=width)
        self.query_one(TabbedContent).hide_tab("people")  # shown once the card says it is an organisation
        timeline = self.query_one(TimelineTable)
        timeline.focus()
        self.watch(timeline, "scroll_y", self._timeline_scrolled, init=False)
        if self._loaded is not None:
            self.on_card_loaded(self._loaded)
            self._loaded = None
        else:
            self._load_card()
        # The timeline and the reminders (a tab not shown yet) once the card is on the screen: their
        # reading and filling would compete with the first paint, which a ring waits for.
        self.call_after_refresh(self._after_first_paint)
        pop_trace.mark("mounted")

    def _after_first_paint(self) -> None:
        if not self.is_attached:  # closed at once (Esc typed ahead)
            return
        self._load_page(first=True)
        # the panel reads its own list as it mounts
        self.query_one("#reminders", TabPane).mount(
            ReminderList(self.ctx, client_id=self.client_id, id="reminder-list")
        )

    def on_unmount(self) -> None:
        forget_rendered_lines()

    def reload(self) -> None:
        """Read the card and the first timeline page again (after a call, a note, an edit)."""
        self._load_card()
        self._load_page(first=True)
        for panel in self.query("#reminder-list").results(ReminderList):
            panel.reload()

    # -- loading -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="card")
    def _load_card(self) -> None:
        self.post_message(read_card(self.ctx, self.client_id))

    def _refresh_card(self) -> None:
        """The card and its newest timeline lines read again while shown (a note on its ticket, a mail)."""
        self._read_card_again()
        if self.query_one(TimelineTable).items:
            self._load_page(first=False, newest=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="card-refresh")
    def _read_card_again(self) -> None:
        """The card read again while shown (its keys need not wait: the card they act on is there)."""
        self.post_message(read_card(self.ctx, self.client_id))

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        """Back from a ticket changed there (status, a reply), a form…: the open tickets as they are now."""
        if self._covered and self.card is not None and getattr(self.app, "locked", None) is None:
            self._covered = False
            self._refresh_card()

    def on_tickets_changed(self, message: TicketsChanged) -> None:
        """A ticket written anywhere (a mail taken in for this client, one closed elsewhere): the card's
        open tickets read again while it is on top (under another screen: on return, above)."""
        if self.card is not None and self.app.screen is self:
            self.card_reloads.request()

    @work(thread=True, exit_on_error=False, group="timeline")
    def _load_page(
        self, *, first: bool, before: tuple[datetime, str, int] | None = None, newest: bool = False
    ) -> None:
        from hotline.core.services.interactions import timeline_page

        with self.ctx.uow(readonly=True) as uow:
            items = timeline_page(uow, client_id=self.client_id, before=before, limit=TIMELINE_PAGE)
        self.post_message(TimelinePageLoaded(self.client_id, items, first, newest))

    def keys_await(self) -> bool:
        """The card is not filled in yet (the type-ahead valve waits for it)."""
        return self.card is None

    def _off_the_stack(self) -> bool:
        """Whether the card has left the screen stack: a read it began (on resuming, as ``F2`` passes it
        on its way home) may land while its widgets are being removed, and filling them then ended the
        console (``NoMatches`` from a tab's underline)."""
        return not self.is_attached or self not in self.app.screen_stack

    def on_card_loaded(self, message: CardLoaded) -> None:
        if self._off_the_stack():
            return
        self.card = message.card
        self.query_one(ClientHeader).show(message.card)
        self.sub_title = printable(message.card.client.name)
        table = self.query_one("#tickets-table", DataTable)
        selected = self._selected_key(table)
        table.clear()
        self._tickets_generation += 1
        self._loading_tickets = False
        from hotline.tui import messages

        self._tickets_shown = min(len(message.card.open_ticket_numbers), messages.OPEN_TICKETS_ON_CARD)
        self._add_ticket_rows(message.open_tickets)
        if selected is not None and selected in table.rows:  # read again: the cursor stays on its ticket
            table.move_cursor(row=table.get_row_index(selected))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tickets").label = f"Open tickets ({len(message.card.open_ticket_numbers)})"
        self._show_people(message.card)
        self.refresh_bindings()  # call / ticket / note / edit wait for the card

    @staticmethod
    def _selected_key(table: DataTable[Any]) -> str | None:
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    def _add_ticket_rows(self, lines: list[Any]) -> None:
        table = self.query_one("#tickets-table", DataTable)
        zone = self.ctx.settings.zone
        for line in lines:
            if str(line.number) in table.rows:
                continue
            table.add_row(
                Text(f"#{line.number}"),
                Text(line.status),
                Text(line.priority),
                Text(line.due_at.astimezone(zone).strftime("%d.%m %H:%M") if line.due_at else ""),
                Text(printable(line.subject), no_wrap=True, overflow="ellipsis"),
                key=str(line.number),
            )

    @on(DataTable.RowHighlighted, "#tickets-table")
    def _tickets_near_the_end(self, event: DataTable.RowHighlighted) -> None:
        """The cursor near the last open ticket shown, more not shown yet: read the next ones."""
        if self.card is None or self._loading_tickets or event.cursor_row < event.data_table.row_count - 5:
            return
        numbers = self.card.open_ticket_numbers[self._tickets_shown :]
        if numbers:
            from hotline.tui import messages

            self._loading_tickets = True
            self._load_more_tickets(self._tickets_generation, numbers[: messages.OPEN_TICKETS_ON_CARD])

    @work(thread=True, exit_on_error=False, group="card-tickets")
    def _load_more_tickets(self, generation: int, numbers: list[int]) -> None:
        from hotline.core.services.tickets import tickets_by_number

        with self.ctx.uow(readonly=True) as uow:
            lines = tickets_by_number(uow, numbers)
        self.post_message(MoreOpenTicketsLoaded(generation, len(numbers), lines))

    def on_more_open_tickets_loaded(self, message: MoreOpenTicketsLoaded) -> None:
        if self._off_the_stack():
            return
        if message.generation != self._tickets_generation:
            return  # the card was read again meanwhile: its first page replaced what this follows
        self._loading_tickets = False
        self._tickets_shown += message.asked
        self._add_ticket_rows(message.lines)

    def _show_people(self, card: Any) -> None:
        """The People tab lists an organisation's contact persons; a person's card has no such tab."""
        tabs = self.query_one(TabbedContent)
        table = self.query_one("#people-table", DataTable)
        selected = self._selected_key(table)
        table.clear()
        if card.client.kind != "organisation":
            tabs.hide_tab("people")
            return
        zone = self.ctx.settings.zone
        for person in card.contacts:
            phones = card.contact_phones.get(person.id, [])
            last = person.last_interaction_at
            table.add_row(
                Text(printable(person.name), no_wrap=True, overflow="ellipsis"),
                Text(printable(", ".join(phones)), no_wrap=True, overflow="ellipsis"),
                Text(last.astimezone(zone).strftime("%d.%m.%Y") if last else ""),
                Text(
                    printable(", ".join(str(tag) for tag in person.tags)), no_wrap=True, overflow="ellipsis"
                ),
                key=str(person.id),
            )
        if selected is not None and selected in table.rows:  # read again: the cursor stays on its person
            table.move_cursor(row=table.get_row_index(selected))
        tabs.show_tab("people")
        shown, count = len(card.contacts), max(card.contact_count, len(card.contacts))
        # the first ones by name: more than a card reads are found in the lookup
        label = f"People ({shown} of {count})" if count > shown else f"People ({count})"
        tabs.get_tab("people").label = label

    def on_timeline_page_loaded(self, message: TimelinePageLoaded) -> None:
        if self._off_the_stack():
            return
        table = self.query_one(TimelineTable)
        if message.newest:  # not the page ``m`` asked for: that one may still be on its way
            table.merge_newest(message.items)
            return
        self._loading_page = False
        if message.first:
            table.reset()
        table.append_page(message.items, page_size=TIMELINE_PAGE)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            if event.worker.group == "timeline":
                self._loading_page = False
            elif event.worker.group == "card-tickets":
                self._loading_tickets = False

    @on(DataTable.RowHighlighted, "#timeline-table")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 5:
            self.action_load_more()

    def _timeline_scrolled(self, scroll_y: float) -> None:
        timeline = self.query_one(TimelineTable)
        if timeline.max_scroll_y and scroll_y >= timeline.max_scroll_y - 3:
            self.action_load_more()

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open_ticket()

    # -- commands ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (
            action in {"log_call", "new_ticket", "add_note", "edit_client", "dial_client"}
            and self.card is None
        ):
            return None
        if action == "open_organisation" and (self.card is None or self.card.organisation is None):
            return None
        if action == "show_tab" and parameters == ("people",):
            return self.card is not None and self.card.client.kind == "organisation"
        return True

    def action_load_more(self) -> None:
        table = self.query_one(TimelineTable)
        if not self._loading_page and not table.exhausted and table.items:
            self._loading_page = True
            self._load_page(first=False, before=table.cursor_key)

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.query(f"#{tab}"):
            tabs.active = tab
            target = {
                "timeline": "#timeline-table",
                "tickets": "#tickets-table",
                "people": "#people-table",
                # the list's own keys then act on it: ``d`` marks the selected reminder done (left on
                # the card, ``d`` dialled the client)
                "reminders": "#reminder-list #reminder-options",
            }.get(tab)
            if target:
                for found in self.query(target):  # the reminders' list is mounted after the first paint
                    found.focus()

    def action_open_ticket(self) -> None:
        if self.query_one(TabbedContent).active == "people":
            self._open_selected_person()
            return
        if self._selected_unlogged_call() is not None:
            self.action_note_unlogged_call()
            return
        number = self._selected_ticket_number()
        if number is not None:
            self.post_message(OpenTicketRequested(number))
        elif self.query_one(TabbedContent).active == "timeline":
            self._read_selected_line()

    def _read_selected_line(self) -> None:
        """The selected timeline line's whole text (the table shows its first line, cut to the column)."""
        from hotline.tui.screens.timeline_text import TimelineTextScreen
        from hotline.tui.widgets.timeline_table import KIND_LABELS

        timeline = self.query_one(TimelineTable)
        if not timeline.items or not 0 <= timeline.cursor_row < len(timeline.items):
            return
        item = timeline.items[timeline.cursor_row]
        when = item.at.astimezone(self.ctx.settings.zone).strftime("%d.%m.%y %H:%M")
        self.app.push_screen(
            TimelineTextScreen(f"{KIND_LABELS.get(item.kind, item.kind)}, {when}", item.text)
        )

    def _open_selected_person(self) -> None:
        """A contact person's card; a call ringing on the organisation's card goes on with the person."""
        table = self.query_one("#people-table", DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self.post_message(
                OpenClientRequested(int(str(row_key.value)), call_started_at=self.call_started_at)
            )

    def action_open_organisation(self) -> None:
        if self.card is not None and self.card.organisation is not None:
            self.post_message(OpenClientRequested(int(self.card.organisation.id or 0)))

    def _selected_ticket_number(self) -> int | None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == "tickets":
            table = self.query_one("#tickets-table", DataTable)
            if table.row_count:
                row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
                return int(str(row_key.value))
            return None
        timeline = self.query_one(TimelineTable)
        if timeline.items and 0 <= timeline.cursor_row < len(timeline.items):
            return timeline.items[timeline.cursor_row].ticket_number
        return None

    def action_log_call(self) -> None:
        from hotline.tui.screens.log_call import LogCallScreen

        def logged(interaction_id: int | None) -> None:
            if interaction_id is not None:
                self.call_started_at = None
                self.opened_at = self.ctx.clock.now()  # a next call with this client starts afresh
                for timer in self.query(CallTimer):
                    timer.remove()
                self.reload()

        self.app.push_screen(
            LogCallScreen(
                self.ctx,
                self.client_id,
                client_name=self.card.client.name if self.card else "",
                call_started_at=self.call_started_at or self.opened_at,
                attribution=self._call_attribution(),
            ),
            logged,
        )

    def _call_attribution(self) -> Attribution | None:
        """The dialled campaign of the call being taken (with its source), else none."""
        if self.campaign is None or self.call_started_at is None:
            return None
        campaign = self.ctx.settings.attributions.campaign(self.campaign)
        return Attribution(source=campaign.source if campaign else None, campaign=self.campaign)

    def action_show_history(self) -> None:
        from hotline.tui.screens.audit_history import AuditHistoryScreen

        name = printable(self.card.client.name) if self.card is not None else f"client {self.client_id}"
        self.app.push_screen(
            AuditHistoryScreen(
                self.ctx, entity="client", entity_id=str(self.client_id), title=f"History: {name}"
            )
        )

    def action_add_note(self) -> None:
        from hotline.tui.screens.note import NoteScreen

        self.app.push_screen(NoteScreen(self.ctx, self.client_id), self._saved)

    def action_new_ticket(self) -> None:
        from hotline.tui.screens.new_ticket import NewTicketScreen

        def opened(number: int | None) -> None:
            if number is not None:
                self.reload()
                self.post_message(OpenTicketRequested(number))

        self.app.push_screen(NewTicketScreen(self.ctx, self.client_id), opened)

    def action_add_reminder(self) -> None:
        from hotline.tui.screens.reminder import ReminderScreen

        self.app.push_screen(ReminderScreen(self.ctx, self.client_id), self._saved)

    def action_edit_client(self) -> None:
        from hotline.tui.screens.new_client import NewClientScreen

        self.app.push_screen(NewClientScreen(self.ctx, client_id=self.client_id), self._saved)

    def _saved(self, result: object) -> None:
        if result is not None:
            self.reload()

    def action_back(self) -> None:
        self.dismiss()
