"""Saving a change to a ticket from the console, guarded by the version the screen loaded.

``apply_change`` runs inside a thread worker: it calls the one ticket operation of core that makes the
change (each checks the version, audits and bumps it) in one unit of work, and returns the message to
post — ``TicketChanged`` when saved, ``TicketChangeConflicted`` when someone else changed the ticket
since it was loaded, ``TicketChangeRefused`` when core refused a reply or note (no mail account to
send a reply from, a file that cannot be read, a reply over the size limit): then nothing is written,
nothing is overwritten, and the operator's text stays a draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from hotline.core.services.mail.sending import OutgoingFile
    from hotline.tui.context import ConsoleContext

TEXTS = ("reply", "note")
"""Changes that carry text an operator typed (kept as a draft when they cannot be saved)."""


@dataclass(frozen=True)
class TicketChange:
    """One change an operator asked for: a field (status, priority, queue, assignee, take) or a text
    (reply, note) and its value (a login, ``""`` for nobody; the text of a reply or note)."""

    what: str
    value: str
    files: tuple[Path, ...] = ()
    """Files to attach to a reply."""

    def describe(self) -> str:
        if self.what == "reply":
            attached = f" with {len(self.files)} attachment(s)" if self.files else ""
            return f"reply queued{attached} (not sent yet: the chronology shows when it is)"
        if self.what == "note":
            return "note saved"
        if self.what in ("assignee", "take"):
            return f"assigned to {self.value}" if self.value else "unassigned"
        return f"{self.what} → {self.value}"


@dataclass
class TicketChanged(Message):
    """A change to ticket ``number`` was saved."""

    number: int
    change: TicketChange


@dataclass
class TicketChangeConflicted(Message):
    """Ticket ``number`` was changed by someone else since it was loaded: the change was not saved."""

    number: int
    change: TicketChange


@dataclass
class TicketChangeRefused(Message):
    """Core refused the change to ticket ``number`` (``reason`` says why, without the CLI's option that
    core's error names, ``--body``): nothing was saved."""

    number: int
    change: TicketChange
    reason: str


def conflict_text(number: int) -> str:
    return f"Ticket #{number} was changed by someone else meanwhile. Nothing was saved."


def apply_change(
    ctx: ConsoleContext, *, number: int, expected_version: int, change: TicketChange
) -> TicketChanged | TicketChangeConflicted | TicketChangeRefused:
    """Save ``change`` if ticket ``number`` still has ``expected_version`` (call it in a thread worker):
    one ticket operation of core, in one unit of work."""
    from hotline.core.errors import ConfigError, Conflict, InvalidInput

    try:
        operation = _operation(ctx, change)
        with ctx.uow() as uow:
            operation(uow, number=number, expected_version=expected_version, sla=ctx.sla)
    except Conflict:
        return TicketChangeConflicted(number, change)
    except (ConfigError, InvalidInput) as refused:
        if change.what not in TEXTS:
            raise  # a field change: the screen's worker-failure toast says it, as it always did
        return TicketChangeRefused(number, change, refused.message)  # ``where`` names a CLI option
    return TicketChanged(number, change)


def _operation(ctx: ConsoleContext, change: TicketChange) -> Callable[..., object]:
    """The core operation that makes ``change``, its value bound; called with the number, the expected
    version and the SLA set-up."""
    from hotline.core.enums import Priority, TicketStatus
    from hotline.core.services import tickets
    from hotline.core.services.mail.sending import MailSending

    value = change.value
    match change.what:
        case "reply":
            sending = MailSending.from_settings(ctx.settings)
            return partial(
                tickets.reply_ticket,
                body=value,
                sending=sending,
                attachments=read_files(change.files, at_most=sending.max_outgoing_bytes),
            )
        case "note":
            return partial(tickets.add_note, body=value)
        case "status":
            return partial(tickets.change_status, status=TicketStatus(value))
        case "priority":
            return partial(tickets.change_priority, priority=Priority(value))
        case "queue":
            return partial(tickets.change_queue, queue=value)
        case "assignee":
            return partial(tickets.assign_ticket, assignee_login=value or None)
        case "take":
            return tickets.take_ticket
    raise ValueError(f"unknown ticket change {change.what!r}")


def read_files(paths: tuple[Path, ...], *, at_most: int) -> list[OutgoingFile]:
    """The files picked for a reply, read whole (in the worker); one that cannot be read, or larger on
    disk than a whole outgoing mail may be (``at_most`` bytes: a film picked by mistake was read into
    memory, gigabytes, before the size was checked), is ``InvalidInput`` naming it, and nothing is sent."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.mail.sending import OutgoingFile

    files: list[OutgoingFile] = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > at_most:
                raise InvalidInput(
                    f"{path.name} is {size:,} bytes, over the {at_most:,}-byte limit of a mail:"
                    " ctrl+u takes it off the reply",
                    where="attachment",
                )
            files.append(OutgoingFile.named(path.name, path.read_bytes()))
        except OSError as error:
            raise InvalidInput(f"{path}: cannot read it ({error.strerror})", where="attachment") from None
    return files
