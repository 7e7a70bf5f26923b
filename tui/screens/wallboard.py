"""The supervisors' wallboard (F7): per queue the tickets waiting, the oldest, today's SLA compliance and
what breaches within the hour; the operators on shift (from the roster) and what each is doing; calls per
hour today as a chart.

It re-reads itself every few seconds in a thread worker: nobody has to press anything; under another
screen it reads nothing, and reads at once when back on top. Refused (an
operator's F7), it says so once and closes: it does not ask again every few seconds.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState
from textual_plotext import PlotextPlot

from hotline.core.text import printable
from hotline.tui.coalesce import seen
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import WallboardLoaded, forward_worker_failure

if TYPE_CHECKING:
    from textual.timer import Timer

    from hotline.core.services.wallboard import Wallboard
    from hotline.tui.context import ConsoleContext

REFRESH_SECONDS = 5.0

register(
    Command(
        id="wallboard.refresh",
        key="f5",
        title="wallboard: refresh now",
        help="Read the figures again now (they refresh by themselves every few seconds).",
        action="refresh_board",
        scope="wallboard",
        label="Refresh",
    ),
    Command(
        id="wallboard.back",
        key="escape",
        title="wallboard: back",
        help="Close the wallboard.",
        action="back",
        scope="wallboard",
        label="Back",
        in_palette=False,
    ),
)


def age_text(since: datetime | None, now: datetime) -> str:
    """How long ago, short: ``45s``, ``12m``, ``3h05m``, ``2d04h``; ``—`` for nothing."""
    if since is None:
        return "—"
    seconds = max(int((now - since).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def percent_text(share: float | None) -> str:
    """A compliance share as the wallboard shows it: whole per cents, but never 100 % for less (99.6 is
    ``99.6%``: one breach in 250 tickets showed as a perfect ``100%``); ``—`` for none."""
    if share is None:
        return "—"
    if share < 100 and round(share) >= 100:
        return f"{min(share, 99.9):.1f}%"
    return f"{share:.0f}%"


def _shift_end(hours: str) -> str:
    """``09:00-18:00`` → ``to 18:00`` (what a supervisor needs at a glance, and narrow enough for 80
    columns); an exception or anything else is shown as it is."""
    spans = [span.strip() for span in hours.split(",") if span.strip()]
    last = spans[-1] if spans else ""
    start, _, end = last.partition("-")
    if len(start) == 5 and len(end) == 5:
        return f"to {end}"
    return printable(hours) or "—"


class WallboardScreen(Screen[None]):
    """Live figures for supervisors; ``refresh_seconds`` is how often it re-reads them."""

    COMMAND_SCOPE = "wallboard"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("wallboard")

    def __init__(self, ctx: ConsoleContext, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        super().__init__()
        self.ctx = ctx
        self.refresh_seconds = refresh_seconds
        self.loads = 0
        """How many times the figures were read (the tests watch it refresh by itself)."""
        self._timer: Timer | None = None
        self._reading = False
        self._close_on_resume = False
        """Refused while another screen (a ringing caller's card) was over it: it closes once on top."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Wallboard · loading…", style="dim"), id="wallboard-title")
        with Horizontal(id="wallboard-tables"):
            queues = DataTable(id="wallboard-queues", cursor_type="none", zebra_stripes=True)
            queues.add_columns("Queue", "Wait", "Oldest", "SLA today", "<1h")
            yield queues
            operators = DataTable(id="wallboard-operators", cursor_type="none", zebra_stripes=True)
            operators.add_columns("Operator", "Doing", "Since", "Shift")
            yield operators
        yield PlotextPlot(id="wallboard-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_board()
        self._timer = self.set_interval(self.refresh_seconds, self.refresh_board)

    def action_refresh_board(self) -> None:
        self.refresh_board()

    def action_back(self) -> None:
        self.dismiss(None)

    def refresh_board(self) -> None:
        # Under another screen (a call's card, F3…) it reads nothing, on top again it does; one read at a
        # time (a slow database's reads piled up, each tick one more).
        if seen(self) and not self._reading:
            self._reading = True
            self._load()

        return False

    @work(thread=True, exclusive=True, exit_on_error=False, group="wallboard")
    def _load(self) -> None:
        from hotline.core.services.wallboard import read_wallboard

        with self.ctx.uow(readonly=True) as uow:
            board = read_wallboard(uow, zone=self.ctx.settings.zone)
        self.post_message(WallboardLoaded(board))

    def on_wallboard_loaded(self, message: WallboardLoaded) -> None:
        board: Wallboard = message.board
        self._reading = False
        self.loads += 1
        zone = self.ctx.settings.zone
        local = board.now.astimezone(zone)
        waiting = sum(queue.waiting for queue in board.queues)
        soon = sum(queue.breaching_within_hour for queue in board.queues)
        title = Text.assemble(
            ("Wallboard", "bold"), f" · {local:%H:%M} · waiting {waiting}",
            (f" · {soon} breach within the hour" if soon else "", "bold red"),
        )  # fmt: skip
        self.query_one("#wallboard-title", Static).update(title)
        self._fill_queues(board)
        self._fill_operators(board)
        self._draw_chart(board, local)

    def _fill_queues(self, board: Wallboard) -> None:
        table = self.query_one("#wallboard-queues", DataTable)
        table.clear()
        for queue in board.queues:
            sla = percent_text(queue.sla_today)
            sla_style = "" if queue.sla_today is None or queue.sla_today >= 90 else "bold red"
            table.add_row(
                Text(printable(queue.name)),
                Text(str(queue.waiting), style="bold" if queue.waiting else "dim"),
                Text(age_text(queue.oldest_waiting_since, board.now)),
                Text(sla, style=sla_style),
                Text(
                    str(queue.breaching_within_hour),
                    style="bold red" if queue.breaching_within_hour else "dim",
                ),
            )

    def _fill_operators(self, board: Wallboard) -> None:
        table = self.query_one("#wallboard-operators", DataTable)
        table.clear()
        zone = self.ctx.settings.zone
        for person in board.operators:
            style = {"on a call": "bold green", "idle": "yellow"}.get(person.state, "dim")
            since = person.since.astimezone(zone).strftime("%H:%M") if person.since else "—"
            shift = Text(_shift_end(person.shift)) if person.on_shift else Text("off", style="dim")
            doing = "no calls" if person.state == "no calls today" else person.state  # the board is today's
            table.add_row(Text(printable(person.login)), Text(doing, style=style), Text(since), shift)

    def _draw_chart(self, board: Wallboard, local: datetime) -> None:
        chart = self.query_one(PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        first = next((hour for hour, count in enumerate(board.calls_per_hour) if count), local.hour)
        first = min(first, max(local.hour - 8, 0))
        hours = list(range(first, len(board.calls_per_hour)))
        counts = [board.calls_per_hour[hour] for hour in hours]
        plt.bar([f"{hour:02d}" for hour in hours], counts)
        top = max(counts, default=0) or 1
        plt.yticks(list(range(0, top + 1, max(1, -(-top // 4)))))  # whole calls, at most five ticks
        plt.title(f"Calls per hour today (to {local:%H:%M})")
        chart.refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from hotline.core.errors import PermissionDenied

        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._reading = False
        if forward_worker_failure(self, event) and isinstance(event.worker.error, PermissionDenied):
            # said once: asked again every few seconds, it toasted and audited a refusal each time
            if self._timer is not None:
                self._timer.stop()
            if self.app.screen is self:
                self.dismiss(None)
            else:
                self._close_on_resume = True

    def on_screen_resume(self) -> None:
        if self._close_on_resume:
            self._close_on_resume = False
            self.dismiss(None)
        elif self.loads:
            self.refresh_board()


__all__ = ["WallboardScreen", "age_text", "percent_text"]
