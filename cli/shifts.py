"""``hotline shifts``: who works which queue and when — weekly shifts, exceptions, the roster now."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.options import JsonFlag, required_day
from hotline.cli.output import info, print_json, stdout, table
from hotline.cli.state import cli_state

app = typer.Typer(help="Rosters: queue members, weekly shifts, vacations and swaps.", no_args_is_help=True)

DaysOption = Annotated[str, typer.Option("--days", help="mon-fri, sat,sun, mon or all.")]


@app.command()
def join(
    login: Annotated[str, typer.Argument(help="Operator login.")],
    queue: Annotated[str, typer.Argument(help="Queue name.")],
) -> None:
    """Make the operator a member of the queue (routing picks among members on shift)."""
    from hotline.core.services.shifts import join_queue

    with cli_state().uow() as uow:
        added = join_queue(uow, login=login, queue=queue)
    info(f"{login} {'joined' if added else 'was already in'} {queue}")


@app.command()
def leave(
    login: Annotated[str, typer.Argument(help="Operator login.")],
    queue: Annotated[str, typer.Argument(help="Queue name.")],
) -> None:
    """Take the operator out of the queue."""
    from hotline.core.services.shifts import leave_queue

    with cli_state().uow() as uow:
        removed = leave_queue(uow, login=login, queue=queue)
    info(f"{login} {'left' if removed else 'was not in'} {queue}")


@app.command("set")
def set_(
    login: Annotated[str, typer.Argument(help="Operator login.")],
    hours: Annotated[str, typer.Option("--hours", help="09:00-18:00, or 22:00-06:00 across midnight.")],
    days: DaysOption = "mon-fri",
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone", help="Zone of the hours (default: her other shifts', else the configuration's)."
        ),
    ] = None,
) -> None:
    """Set the operator's shift on these weekdays (replacing what those days had)."""
    from hotline.core.services.shifts import set_shifts

    state = cli_state()
    with state.uow() as uow:
        made = set_shifts(
            uow,
            login=login,
            days=days,
            hours=hours,
            timezone=timezone,
            default_timezone=state.settings.timezone,
        )
    info(f"{login}: {hours} on {len(made)} day{'s' if len(made) != 1 else ''}")


@app.command()
def clear(login: Annotated[str, typer.Argument(help="Operator login.")], days: DaysOption = "all") -> None:
    """Remove the operator's shifts on these weekdays."""
    from hotline.core.services.shifts import clear_shifts

    with cli_state().uow() as uow:
        removed = clear_shifts(uow, login=login, days=days)
    info(f"{login}: {removed} shift{'s' if removed != 1 else ''} removed")


@app.command()
def off(
    login: Annotated[str, typer.Argument(help="Operator login.")],
    start: Annotated[str, typer.Option("--from", help="First day off (YYYY-MM-DD).")],
    end: Annotated[str | None, typer.Option("--to", help="Last day off (default: the first).")] = None,
    reason: Annotated[str, typer.Option("--reason", help="vacation or sick.")] = "vacation",
    note: Annotated[str, typer.Option("--note", help="A word about it.")] = "",
) -> None:
    """Days the operator does not work: vacation or sick days (their shifts starting then are off)."""
    from hotline.core.errors import InvalidInput
    from hotline.core.services.shifts import add_exception

    cli_state().authorize("roster.manage", entity="roster")
    if reason not in ("vacation", "sick"):
        raise InvalidInput(f"unknown reason {reason!r}: vacation or sick", where="--reason")
    first = required_day(start, where="--from")
    last = required_day(end, where="--to") if end else first
    with cli_state().uow() as uow:
        row = add_exception(uow, login=login, kind=reason, starts_on=first, ends_on=last, note=note)
    info(f"{login}: {reason} {first.isoformat()} to {last.isoformat()} (exception {row.id})")


@app.command()
def swap(
    login: Annotated[str, typer.Argument(help="Operator login.")],
    other: Annotated[str, typer.Option("--with", help="The colleague who works this day instead.")],
    day: Annotated[str, typer.Option("--date", help="The day (YYYY-MM-DD).")],
) -> None:
    """The two operators exchange their shifts of one day."""
    from hotline.core.services.shifts import add_exception

    cli_state().authorize("roster.manage", entity="roster")
    when = required_day(day, where="--date")
    with cli_state().uow() as uow:
        row = add_exception(uow, login=login, kind="swap", starts_on=when, other_login=other)
    info(f"{login} and {other} swap {when.isoformat()} (exception {row.id})")


@app.command()
def unexcept(exception_id: Annotated[int, typer.Argument(help="The exception's number.")]) -> None:
    """Remove an exception (a vacation cancelled, a swap called off)."""
    from hotline.core.services.shifts import remove_exception

    with cli_state().uow() as uow:
        remove_exception(uow, exception_id=exception_id)
    info(f"exception {exception_id} removed")


@app.command()
def show(login: Annotated[str, typer.Argument(help="Operator login.")], as_json: JsonFlag = False) -> None:
    """The operator's weekly pattern and exceptions."""
    from hotline.core.services.shifts import schedule_of

    with cli_state().uow(readonly=True) as uow:
        view = schedule_of(uow, login=login)
    if as_json:
        print_json(view.as_dict())
        return
    rows = [(day, ", ".join(spans) or "—") for day, spans in view.week.items()]
    stdout().print(table(f"{login} ({view.timezone or 'no shifts'})", ["day", "hours"], rows))
    if view.exceptions:
        rows = [(e["id"], e["kind"], e["from"], e["to"], e["with"], e["note"]) for e in view.exceptions]
        stdout().print(table("exceptions", ["#", "kind", "from", "to", "with", "note"], rows))


@app.command()
def now(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue's members.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The roster: every operator, today's shifts, and who is on shift now (``--now`` moves the clock)."""
    from hotline.core.services.shifts import roster

    state = cli_state()
    with state.uow(readonly=True) as uow:
        lines = roster(uow, at=state.clock.now(), queue=queue)
    if as_json:
        print_json([line.as_dict() for line in lines])
        return
    rows = [
        (
            "●" if line.on_shift else "",
            line.login,
            line.name,
            ", ".join(line.queues),
            ", ".join(line.today) or "—",
            line.exception,
        )
        for line in lines
    ]
    stdout().print(table("Roster", ["on", "login", "name", "queues", "today", "exception"], rows))
