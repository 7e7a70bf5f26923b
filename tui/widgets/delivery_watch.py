"""Watching a ticket's outgoing mail for the ticket screen: a cheap look at its outbox state.

When the console hears the ticket was written (the mail sender signals each reply sent, failed or
bounced, like every ticket write: ``TicketsChanged``), the screen asks for a look: a thread worker reads
one small fingerprint of the ticket's outbox rows (how many, how many sent, how many failed, their
attempts); when it changed, ``TicketMailMoved`` is posted and the screen reads the ticket again, so
queued → sent → failed shows without a key. Nothing polls on a timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.widget import Widget

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext


@dataclass
class TicketMailMoved(Message):
    """The outbox rows of ticket ``number`` changed (a reply queued, sent, failed, retried, bounced)."""

    number: int


@dataclass
class _Polled(Message):
    fingerprint: tuple[int, ...]


class DeliveryWatch(Widget):
    """An invisible widget that looks at ticket ``number``'s outbox state when asked."""

    DEFAULT_CSS = "DeliveryWatch { display: none; }"

    def __init__(self, ctx: ConsoleContext, number: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        self.fingerprint: tuple[int, ...] | None = None

    def on_mount(self) -> None:
        self.poll()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-delivery")
    def poll(self) -> None:
        """Read the fingerprint now (the screen calls this on a pushed change; a test may too)."""
        from hotline.core.services.tickets import delivery_fingerprint

        with self.ctx.uow(readonly=True) as uow:
            fingerprint = delivery_fingerprint(uow, number=self.number)
        self.post_message(_Polled(fingerprint))

    def on__polled(self, message: _Polled) -> None:
        message.stop()
        previous, self.fingerprint = self.fingerprint, message.fingerprint
        if previous is not None and previous != message.fingerprint:
            self.post_message(TicketMailMoved(self.number))
