"""Messages that flow through the console: workers post them, handlers change state.

Each is a small dataclass named as what happened, or as what a screen asks for (``…Requested``: screens
post those and the app, which owns the screen stack, handles them). ``forward_worker_failure`` is how
every screen sends a failed worker to the app's one error handler (``Worker.StateChanged`` does not
bubble).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.worker import Worker

    from hotline.core.db import UnitOfWork
    from hotline.tui.context import ConsoleContext


class _Flow(Message):
    """Base for the console's messages (Textual's ``Message.__post_init__`` initialises dataclasses)."""


@dataclass
class LookupFinished(_Flow):
    """A lookup worker found the hits for ``query`` (generation ``generation`` of the lookup box)."""

    generation: int
    query: str
    hits: list[Any]
    seconds: float = 0.0


@dataclass
class KeysHeld(_Flow):
    """A screen holds what is typed next until it has done what the last key asked (``held`` False: done)."""

    holder: object
    held: bool


@dataclass(frozen=True)
class NumberOwner:
    """One of the clients a ringing number belongs to (``organisation``: a person's organisation name)."""

    client_id: int
    name: str
    kind: str
    organisation: str | None = None


@dataclass
class ScreenPopRequested(_Flow):
    """The phone system asked this console to show a caller (``client_id`` None: unknown number)."""

    number: str
    client_id: int | None
    requested_at: datetime
    campaign: str | None = None
    card: CardLoaded | None = None
    """The caller's card, read with the pop so the card shows at once (None: the card reads it)."""
    owners: tuple[NumberOwner, ...] = ()
    """Every client the number belongs to when it is more than one (organisation first): the operator
    picks whose card opens; ``client_id`` is the first of them."""


@dataclass
class RemindersChanged(_Flow):
    """A reminder was created, changed or done somewhere: the reminder panels read theirs again."""


@dataclass
class TicketsChanged(_Flow, bubble=False):
    """Tickets or their chronologies were written somewhere; ``numbers``: which (None: not known which,
    as on SQLite). The app hands one to each open screen; the queue and ticket screens read again."""

    numbers: frozenset[int] | None = None


@dataclass
class ConsoleLocked(_Flow):
    """The console's operator was deactivated (or given another role): ``reason``, said on the lock
    screen. The app locks the console; nothing reads after it."""

    reason: str


@dataclass
class OpenClientRequested(_Flow):
    """A screen asks for a client's card (``call_started_at``: with a call timer running from then)."""

    client_id: int
    call_started_at: datetime | None = None


@dataclass
class OpenTicketRequested(_Flow):
    """A screen asks for a ticket."""

    number: int


@dataclass
class NewClientRequested(_Flow):
    """A screen asks for the new-client form, prefilled from what was typed (digits: phone, words: name);
    ``caller``: the text is a caller's number (a missed call), which goes in Phones whatever it holds."""

    typed: str
    call_started_at: datetime | None = None
    caller: bool = False


@dataclass
class CallLogged(_Flow):
    """A call was saved on a client's timeline."""

    client_id: int
    interaction_id: int


@dataclass
class NoteAdded(_Flow):
    """A note was saved on a client's timeline."""

    client_id: int
    interaction_id: int


@dataclass
class CallDialled(_Flow):
    """A dial request went to the PBX listener: the operator's phone rings first."""

    number: str
    extension: str


@dataclass
class ClientSaved(_Flow):
    """A client was created or changed."""

    client_id: int
    created: bool = True


@dataclass
class WorkerFailed(_Flow):
    """A worker raised: the app shows one readable toast and the console stays usable."""

    error: BaseException
    worker_name: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def forward_worker_failure(node: DOMNode, event: Worker.StateChanged) -> bool:
    """Post ``WorkerFailed`` to the app when ``event`` reports a worker error; True if it did."""
    from textual.worker import WorkerState

    worker = event.worker
    if event.state is WorkerState.ERROR and worker.error is not None:
        node.app.post_message(WorkerFailed(worker.error, worker.name))
        return True
    return False


def readable_error(error: BaseException) -> str:
    """One line an operator can act on, never a traceback."""
    from hotline.core.db import classify_database_error
    from hotline.core.errors import HotlineError, PermissionDenied
    from hotline.tui.permissions import REFUSED_WORK, refusal_in_words

    if isinstance(error, PermissionDenied) and error.rule == "role" and error.operation in REFUSED_WORK:
        return refusal_in_words(error.operation)  # a person's words, not the operation's name
    if isinstance(error, HotlineError):
        return str(error)  # names where the problem is, when it knows
    database_error = classify_database_error(error)
    if database_error is not None:
        return str(database_error)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@dataclass
class CardLoaded(_Flow):
    """A client's card (header data and open tickets) was read."""

    card: Any
    open_tickets: list[Any]


OPEN_TICKETS_ON_CARD = 200


def read_card(ctx: ConsoleContext, client_id: int) -> CardLoaded:
    """Read a client's card and open tickets (in a worker thread) for the card screen."""
    with ctx.uow(readonly=True) as uow:
        return read_card_in(uow, client_id)


def read_card_in(uow: UnitOfWork, client_id: int) -> CardLoaded:
    """A client's card and open tickets read in ``uow``: a screen pop reads it in the transaction that
    takes the pop (one round of connection, begin and commit fewer before the card shows)."""
    from hotline.core.services.clients import client_card
    from hotline.core.services.tickets import tickets_by_number

    card = client_card(uow, client_id=client_id)
    return CardLoaded(card, tickets_by_number(uow, card.open_ticket_numbers[:OPEN_TICKETS_ON_CARD]))


@dataclass
class TimelinePageLoaded(_Flow):
    """One page of a client's timeline was read (``first``: it replaces what is shown)."""

    client_id: int
    items: list[Any]
    first: bool
    newest: bool = False
    """The newest page read again (back on the card, a ticket written): merged above what is shown."""


@dataclass
class WorkLoaded(_Flow):
    """The home screen's operator line and ticket summary were read."""

    operator: str
    role: str
    summary: Any


@dataclass
class DuplicatesFound(_Flow):
    """Existing clients share a phone or email with the form being filled in."""

    generation: int
    clients: list[tuple[int, str]]


@dataclass
class TicketOpened(_Flow):
    """A ticket was created for a client from the console."""

    client_id: int | None
    number: int


@dataclass
class ReminderSet(_Flow):
    """A reminder about a client was created for the operator."""

    client_id: int | None
    reminder_id: int
    due_at: datetime


@dataclass
class WallboardLoaded(_Flow):
    """The wallboard's figures were read (``board``: a ``hotline.core.services.wallboard.Wallboard``)."""

    board: Any


@dataclass
class ClientPageLoaded(_Flow):
    """A page of the client list was read (``generation``: which filter it answers)."""

    generation: int
    page: Any


@dataclass
class GroupsLoaded(_Flow):
    """The client groups were read (``groups``: ``GroupLine`` values)."""

    groups: list[Any]


@dataclass
class AuditHistoryLoaded(_Flow):
    """A client's or a ticket's audit entries were read (newest first); ``more`` when older ones exist."""

    entries: list[Any]
    more: bool
