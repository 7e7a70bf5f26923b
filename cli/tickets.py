"""``hotline tickets``: list, show, create and reply (the reply goes out through the outbox)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from hotline.cli.options import JsonFlag
from hotline.cli.output import info, print_json, safe, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(help="List, show, create and answer tickets.", no_args_is_help=True)


@app.command("list")
def list_(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="new, open, pending, resolved, closed.")
    ] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only tickets of this login.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many at most.")] = 500,
    as_json: JsonFlag = False,
) -> None:
    """Tickets, the next SLA deadline first."""
    from hotline.core.services.tickets import describe_tickets, list_tickets, parse_status

    wanted = parse_status(status) if status else None
    with cli_state().uow(readonly=True) as uow:
        tickets = list_tickets(uow, queue=queue, status=wanted, assignee_login=assignee, limit=limit)
        described = describe_tickets(uow, tickets)
    if as_json:
        print_json(described)
        return
    rows = [
        (
            f"#{t['number']}",
            t["status"],
            t["priority"],
            t["queue"],
            t["assignee"],
            _short(t["due_at"]),
            t["subject"],
        )
        for t in described
    ]
    stdout().print(table(None, ["number", "status", "priority", "queue", "assignee", "due", "subject"], rows))


@app.command()
def show(
    number: Annotated[int, typer.Argument(metavar="NUMBER", help="The ticket number.")],
    as_json: JsonFlag = False,
) -> None:
    """A ticket with its whole chronology."""
    from hotline.core.services.tickets import describe_tickets, get_ticket

    with cli_state().uow(readonly=True) as uow:
        described = describe_tickets(uow, [get_ticket(uow, number=number)], with_events=True)[0]
    if as_json:
        print_json(described)
        return
    _print_ticket(described)


@app.command()
def create(
    subject: Annotated[str, typer.Option("--subject", help="What it is about.")],
    client: Annotated[int | None, typer.Option("--client", help="The client's id.")] = None,
    queue: Annotated[str, typer.Option("--queue", help="The queue.")] = "Support",
    priority: Annotated[str, typer.Option("--priority", help="low, normal, high, urgent.")] = "normal",
    body: Annotated[str, typer.Option("--body", help="The first note.")] = "",
    requester: Annotated[str | None, typer.Option("--requester", help="Email address to answer.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a ticket; prints its number (its SLA due times start now)."""
    from hotline.core.services.clients import get_client
    from hotline.core.services.tickets import create_ticket, describe_tickets, parse_priority

    wanted = parse_priority(priority)
    setup = cli_state().sla
    with cli_state().uow() as uow:
        if client is not None:
            get_client(uow, client_id=client)
        ticket = create_ticket(
            uow,
            subject=subject,
            queue=queue,
            priority=wanted,
            client_id=client,
            requester=requester,
            body=body,
            sla=setup,
        )
        described = describe_tickets(uow, [ticket])[0]
    if as_json:
        print_json(described)
        return
    stdout().print(Text(f"#{described['number']}"))
    if described["due_at"]:
        info(f"first response due {described['first_response_due_at']}")


@app.command()
def reply(
    number: Annotated[int, typer.Argument(metavar="NUMBER", help="The ticket number.")],
    body: Annotated[str, typer.Option("--body", help="The answer to the requester.")],
    as_json: JsonFlag = False,
) -> None:
    """Answer the requester: the message is recorded and queued in the outbox (``hotline mail send``)."""
    from hotline.core.services.tickets import describe_tickets, get_ticket, reply_ticket

    setup = cli_state().sla
    with cli_state().uow() as uow:
        reply_ticket(uow, number=number, body=body, sla=setup)
        described = describe_tickets(uow, [get_ticket(uow, number=number)])[0]
    if as_json:
        print_json(described)
        return
    info(f"reply to #{number} queued in the outbox")


def _short(moment: str | None) -> str | None:
    return moment[:16].replace("T", " ") if moment else None


def _print_ticket(ticket: dict[str, Any]) -> None:
    console = stdout()
    subject = safe(ticket["subject"])
    subject.stylize("bold")
    console.print(Text.assemble(("#", "dim"), str(ticket["number"]), "  ", subject))
    facts = [
        ("status", ticket["status"]),
        ("priority", ticket["priority"]),
        ("queue", ticket["queue"]),
        ("client", ticket["client"]["name"] if ticket["client"] else None),
        ("requester", ticket["requester"]),
        ("assignee", ticket["assignee"]),
        ("created", ticket["created_at"]),
        ("first response due", ticket["first_response_due_at"]),
        ("resolution due", ticket["resolution_due_at"]),
    ]
    console.print(table(None, ["field", "value"], facts))
    rows = [
        (_short(e["created_at"]), e["kind"], e["author"], e["body"], len(e["attachments"]) or None)
        for e in ticket["events"]
    ]
    console.print(table("Chronology", ["when", "kind", "author", "text", "attachments"], rows))
