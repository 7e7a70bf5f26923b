"""``hotline tickets``: list, show, create, reply (through the outbox, with attachments) and the
attachments of a ticket (list, save)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from hotline.cli.attachment_files import attachment_json, read_attachments, save_attachments
from hotline.cli.options import MAX_ID, CampaignOption, JsonFlag, SourceOption
from hotline.cli.output import Multiline, Page, info, print_json, safe, stdout, table
from hotline.cli.state import cli_state
from hotline.core.enums import Priority, TicketStatus
from hotline.core.text import printable, printable_path

if TYPE_CHECKING:
    from hotline.core.services.tickets import EventLine, TicketDetail

app = typer.Typer(help="List, show, create and answer tickets.", no_args_is_help=True)

DEFAULT_QUEUE = "Support"
PRIORITY_NAMES = ", ".join(priority.value for priority in Priority)
STATUS_NAMES = ", ".join(status.value for status in TicketStatus)


@app.command("list")
def list_(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    status: Annotated[str | None, typer.Option("--status", help=f"{STATUS_NAMES}.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only tickets of this login.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=10_000, help="How many at most (one page).")
    ] = 500,
    offset: Annotated[int, typer.Option("--offset", min=0, max=10**9, help="Skip this many first.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Tickets, the next SLA deadline first; a page at a time, saying when there are more."""
    from hotline.core.services.tickets import list_tickets, parse_status

    wanted = parse_status(status) if status is not None else None  # blank ("$S" unset) dropped the filter
    with cli_state().uow(readonly=True) as uow:
        tickets = list_tickets(
            uow, queue=queue, status=wanted, assignee_login=assignee, limit=limit + 1, offset=offset
        )
    more = len(tickets) > limit
    tickets = tickets[:limit]
    page = Page(offset=offset, count=len(tickets), more=more)
    if as_json:
        print_json({"tickets": [ticket.as_json() for ticket in tickets], **page.as_json()})
        return
    zone = cli_state().settings.zone
    rows = [
        (f"#{t.number}", t.status, t.priority, t.queue, t.assignee_login, _short(t.due_at, zone), t.subject)
        for t in tickets
    ]
    stdout().print(table(None, ["number", "status", "priority", "queue", "assignee", "due", "subject"], rows))
    page.tell()


@app.command()
def show(
    number: Annotated[int, typer.Argument(metavar="NUMBER", min=1, max=MAX_ID, help="The ticket number.")],
    as_json: JsonFlag = False,
) -> None:
    """A ticket with its whole chronology."""
    from hotline.core.services.tickets import ticket_detail

    with cli_state().uow(readonly=True) as uow:
        detail = ticket_detail(uow, number=number)
    if as_json:
        print_json(detail.as_json())
        return
    _print_ticket(detail)


@app.command()
def create(
    subject: Annotated[str, typer.Option("--subject", help="What it is about.")],
    client: Annotated[
        int | None, typer.Option("--client", min=1, max=MAX_ID, help="The client's id.")
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", help="An existing queue (default: Support, made on first use).")
    ] = None,
    new_queue: Annotated[
        bool, typer.Option("--new-queue", help="Create the --queue if it does not exist (supervisors).")
    ] = False,
    priority: Annotated[str, typer.Option("--priority", help=f"{PRIORITY_NAMES}.")] = Priority.NORMAL.value,
    body: Annotated[str, typer.Option("--body", help="The first note.")] = "",
    requester: Annotated[str | None, typer.Option("--requester", help="Email address to answer.")] = None,
    source: SourceOption = None,
    campaign: CampaignOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a ticket; prints its number (its SLA due times start now)."""
    from hotline.core.services.clients import get_client
    from hotline.core.services.tickets import create_ticket, parse_priority, ticket_summary

    wanted = parse_priority(priority)
    setup = cli_state().sla
    came_from = cli_state().settings.attributions.resolve(source=source, campaign=campaign, where="--")
    with cli_state().uow() as uow:
        if client is not None:
            get_client(uow, client_id=client)
        number = create_ticket(
            uow,
            subject=subject,
            queue=DEFAULT_QUEUE if queue is None else queue,  # a blank one ("$Q" unset) is refused
            new_queue=new_queue or queue is None,
            priority=wanted,
            client_id=client,
            requester=requester,
            body=body,
            sla=setup,
            attribution=came_from,
        ).number
        created = ticket_summary(uow, number=number)
    if as_json:
        print_json(created.as_json())
        return
    stdout().print(Text(f"#{created.number}"))
    if created.first_response_due_at is not None:
        info(f"first response due {created.first_response_due_at.isoformat()}")
    elif created.resolution_due_at is not None:
        info(f"resolution due {created.resolution_due_at.isoformat()}")


@app.command()
def reply(
    number: Annotated[int, typer.Argument(metavar="NUMBER", min=1, max=MAX_ID, help="The ticket number.")],
    body: Annotated[str, typer.Option("--body", help="The answer to the requester.")],
    attach: Annotated[
        list[str] | None,
        typer.Option("--attach", metavar="FILE", help="Attach this file (repeat for more)."),
    ] = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expect-version",
            min=1,
            max=MAX_ID,
            help="Only if the ticket is still at this version (its `version` in `tickets show --json`; "
            "a change, a note or the client's new message moves it); otherwise exit 1 and send nothing.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer the requester: the message is recorded and queued in the outbox (``hotline mail send``
    delivers it). Refused (exit 2, nothing queued) when no mail account can send it."""
    from hotline.core.services.mail.sending import MailSending
    from hotline.core.services.tickets import reply_ticket, ticket_summary

    state = cli_state()
    sending = MailSending.from_settings(state.settings)
    files = read_attachments(attach or [], at_most=sending.max_outgoing_bytes)
    with state.uow() as uow:
        reply_ticket(
            uow,
            number=number,
            expected_version=expect_version,
            body=body,
            sla=state.sla,
            sending=sending,
            attachments=files,
        )
        replied = ticket_summary(uow, number=number)
    if as_json:
        print_json(replied.as_json())
        return
    attached = f" with {len(files)} attachment(s)" if files else ""
    info(f"reply to #{number}{attached} queued in the outbox (not sent yet: `hotline mail send` delivers it)")


@app.command()
def attachment(
    number: Annotated[int, typer.Argument(metavar="NUMBER", min=1, max=MAX_ID, help="The ticket number.")],
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="Only this attachment (as listed); else all.")
    ] = None,
    save: Annotated[
        str | None, typer.Option("--save", metavar="DIR", help="Write the file(s) into this directory.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write over files that exist.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List a ticket's attachments, or save them (``--save DIR``) under safe names. An unknown name is
    exit 2; an existing file is never written over without ``--force``."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.attachments import ticket_files

    if save is not None and not save.strip():
        # Read as a path, a blank --save (an unset shell variable) was "." and wrote into the current folder.
        raise InvalidInput("a blank directory; name the one to save into", where="--save")
    with cli_state().uow(readonly=True) as uow:
        files = ticket_files(uow, number=number, name=name, with_content=save is not None)
    if save is None:
        listed = [attachment_json(item) for item in files]
        if as_json:
            print_json(listed)
            return
        rows = [(item["name"], item["content_type"], item["size"], item["stored"]) for item in listed]
        stdout().print(table(f"#{number}: attachments", ["name", "type", "bytes", "stored"], rows))
        return
    written = save_attachments(files, Path(save), force=force)
    if as_json:
        print_json([str(path) for path in written])
        return
    if not written:  # it printed nothing, as if the files had been saved somewhere
        info(f"#{number} has no attachments: nothing saved")
    for path in written:
        info(f"saved {printable_path(path)}")  # a byte of a koi8-r folder name was dropped from it


def _short(moment: datetime | None, zone: tzinfo) -> str | None:
    """A time in the call centre's zone, as the mail notes and the reminders show it (the bare UTC time
    read three hours early in Moscow, beside a mail note in local time)."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _print_ticket(detail: TicketDetail) -> None:
    console = stdout()
    zone = cli_state().settings.zone
    ticket = detail.ticket
    subject = safe(ticket.subject)
    subject.stylize("bold")
    console.print(Text.assemble(("#", "dim"), str(ticket.number), "  ", subject))
    facts = [
        ("status", ticket.status),
        ("priority", ticket.priority),
        ("queue", ticket.queue),
        ("client", ticket.client_name),
        ("requester", ticket.requester),
        ("assignee", ticket.assignee_login),
        ("created", _iso(ticket.created_at)),
        ("first response due", _iso(ticket.first_response_due_at)),
        ("resolution due", _iso(ticket.resolution_due_at)),
    ]
    console.print(table(None, ["field", "value"], facts))
    rows = [
        (_short(e.created_at, zone), e.kind, e.author, _event_text(e, zone), len(e.attachments) or None)
        for e in detail.events
    ]
    console.print(table("Chronology", ["when", "kind", "author", "text", "attachments"], rows))


def _event_text(event: EventLine, zone: tzinfo) -> Multiline:
    """The line's text (its lines kept, as the console shows them), then where its mail is (a reply) or
    that its charset was guessed (a message), each on a line of its own."""
    notes = []
    if event.delivery is not None:
        notes.append(f"[mail: {printable(event.delivery.summary(zone))}]")
    notes.extend(f"[charset guessed: {printable(note)}]" for note in event.charset_guessed)
    return Multiline("\n".join([event.body.strip("\n"), *notes]))
