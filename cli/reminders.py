"""``hotline reminders``: what is due (for cron), add, done, snooze."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from hotline.cli.options import MAX_ID, JsonFlag
from hotline.cli.output import Page, info, print_json, stdout, table

if TYPE_CHECKING:
    from hotline.core.dates import DateOrder
    from hotline.core.services.reminders import ReminderView

app = typer.Typer(help="Reminders: follow-ups and birthdays.", no_args_is_help=True)


def parse_when(text: str, *, now: datetime, zone: ZoneInfo, order: DateOrder) -> datetime:
    """``--at``: the instant ``text`` means (``hotline.core.when``, the console's grammar too)."""
    from hotline.core.errors import InvalidInput
    from hotline.core.when import parse_when as when

    moment = when(text, now=now, zone=zone, order=order, where="--at")
    if moment is None:
        raise InvalidInput("a reminder needs a time", where="--at")
    return moment


def _print(views: list[ReminderView], *, title: str, zone: ZoneInfo) -> None:
    rows = [
        (
            view.id,
            view.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            view.operator,
            view.kind,
            view.text,
            view.client_name,
            f"#{view.ticket_number}" if view.ticket_number is not None else None,
        )
        for view in views
    ]
    stdout().print(table(title, ["id", "due", "operator", "kind", "text", "client", "ticket"], rows))


@app.command()
def due(
    mine: Annotated[bool, typer.Option("--mine", help="Only the acting operator's reminders.")] = False,
    birthdays: Annotated[
        bool,
        typer.Option(
            "--birthdays/--no-birthdays", help="First make today's birthday reminders (and yesterday's)."
        ),
    ] = True,
    contracts_within: Annotated[
        int | None,
        typer.Option(
            "--contracts-within",
            min=0,
            max=3650,
            help="First make reminders of contracts ending within N days (default: contract_warning_days "
            "of the configuration; 0: none).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Reminders whose time has come, earliest first: everyone's for the system account (cron), supervisors
    and admins; an operator's own for an operator."""
    from hotline.cli.state import cli_state
    from hotline.core.services.contracts import create_contract_reminders
    from hotline.core.services.reminders import create_birthday_reminders, due_reminders

    state = cli_state()
    zone = state.settings.zone
    if birthdays:
        with state.uow(as_system=True) as uow:
            created = create_birthday_reminders(uow, zone=zone, catch_up_days=1)
        if created and not as_json:
            info(f"{len(created)} birthday reminders made")
    within = state.settings.contract_warning_days if contracts_within is None else contracts_within
    if within:
        with state.uow(as_system=True) as uow:
            warned = create_contract_reminders(uow, zone=zone, within_days=within)
        if warned and not as_json:
            info(f"{len(warned)} reminders of contracts ending within {within} days made")
    with state.uow(readonly=True) as uow:
        views = due_reminders(uow, operator_login=state.login if mine else None)
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    if not views:
        info("nothing due")
        return
    _print(views, title="Due reminders", zone=zone)


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="How many at most.")] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0, max=10**9, help="Skip this many first.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The acting operator's pending reminders, due or not; a page at a time, saying when there are more."""
    from hotline.cli.state import cli_state
    from hotline.core.services.reminders import pending_reminders

    state = cli_state()
    with state.uow(readonly=True) as uow:
        views = pending_reminders(uow, limit=limit + 1, offset=offset)
    page = Page(offset=offset, count=min(len(views), limit), more=len(views) > limit)
    views = views[:limit]
    if as_json:
        print_json({"reminders": [view.as_dict() for view in views], **page.as_json()})
        return
    _print(views, title="Pending reminders", zone=state.settings.zone)
    page.tell()


@app.command()
def add(
    text: Annotated[str, typer.Argument(help="What to remember.")],
    at: Annotated[
        str, typer.Option("--at", help="When: 30m, 2h, 3d, tomorrow, 2026-12-01, 2026-12-01T10:00.")
    ],
    for_logins: Annotated[
        list[str] | None,
        typer.Option("--for", help="Operator login (repeat for several; default: yourself)."),
    ] = None,
    client: Annotated[
        int | None, typer.Option("--client", min=1, max=MAX_ID, help="About this client (id).")
    ] = None,
    ticket: Annotated[
        int | None, typer.Option("--ticket", min=1, max=MAX_ID, help="About this ticket (number).")
    ] = None,
) -> None:
    """Add a reminder."""
    from hotline.cli.state import cli_state
    from hotline.core.services.reminders import ReminderKind, create_reminders
    from hotline.core.services.tickets import get_ticket

    state = cli_state()
    with state.uow() as uow:
        due_at = parse_when(at, now=uow.now(), zone=state.settings.zone, order=state.settings.date_order)
        ticket_id = get_ticket(uow, number=ticket).id if ticket is not None else None
        created = create_reminders(
            uow,
            text=text,
            due_at=due_at,
            operator_logins=for_logins or [],
            client_id=client,
            ticket_id=ticket_id,
            kind=ReminderKind.TICKET if ticket is not None else ReminderKind.MANUAL,
        )
        ids = [reminder.id for reminder in created]
    local = due_at.astimezone(state.settings.zone).strftime("%Y-%m-%d %H:%M")
    info(f"reminder {', '.join(str(i) for i in ids)} at {local}")


@app.command()
def done(
    reminder_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The reminder's id.")],
) -> None:
    """Mark a reminder done."""
    from hotline.cli.state import cli_state
    from hotline.core.models import Reminder
    from hotline.core.models.enums import ReminderStatus
    from hotline.core.services.reminders import complete_reminder

    with cli_state().uow() as uow:
        stored = uow.session.get(Reminder, reminder_id)
        already = stored is not None and stored.status == ReminderStatus.DONE.value
        complete_reminder(uow, reminder_id=reminder_id)  # refuses another's or a missing one first
    # done twice said "done" again: nothing changed the second time, and it says so
    info(f"reminder {reminder_id} was already done" if already else f"reminder {reminder_id} done")


@app.command()
def snooze(
    reminder_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The reminder's id.")],
    by: Annotated[
        str, typer.Argument(metavar="[10m|1h|tomorrow]", help="How long (tomorrow: business hours).")
    ] = "10m",
) -> None:
    """Put a reminder off."""
    from hotline.cli.state import cli_state
    from hotline.core.services.reminders import reminder_calendar, snooze_reminder

    state = cli_state()
    with state.uow() as uow:
        reminder = snooze_reminder(
            uow,
            reminder_id=reminder_id,
            snooze=by,
            zone=state.settings.zone,
            calendar=reminder_calendar(state.settings),
        )
        local = reminder.due_at.astimezone(state.settings.zone).strftime("%Y-%m-%d %H:%M")
    info(f"reminder {reminder_id} snoozed to {local}")
