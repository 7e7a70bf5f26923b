"""``hotline call``: the phone system's side: screen pops, call records, the PBX listener, dialling."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.cli.options import JsonFlag
from hotline.cli.output import info
from hotline.cli.state import cli_state
from hotline.core.enums import Direction
from hotline.core.text import printable, printable_path

if TYPE_CHECKING:
    from hotline.cli.ring_server import RingServer
    from hotline.cli.state import CliState
    from hotline.core.services.call_records import CallFacts

SCREEN_POP_PATIENCE_SECONDS = 600.0
"""How long a pop waits for a busy database (each try waits the busy timeout) before exit 1."""

app = typer.Typer(help="The phone system: screen pops, call records, the PBX listener.", no_args_is_help=True)

WAIT_POLL_SECONDS = 0.05
CLOCK_SKEW_SECONDS = 300
"""How far past our clock a logged call may end (the PBX's clock running ahead)."""


def _call_end(facts: CallFacts) -> datetime:
    """When a reported call ended: as said, or its start and duration."""
    if facts.ended_at is not None:
        return facts.ended_at
    return facts.started_at + timedelta(seconds=facts.duration_seconds or 0)


def _wait_seconds(value: float | None) -> float | None:
    """0 to 3600 seconds; nan and inf named as what they are (typer said "less than or equal to 3600")."""
    if value is not None and not 0 <= value <= 3600:  # False for nan too
        raise typer.BadParameter(f"{value:g} is not a number of seconds from 0 to 3600")
    return value


@app.command()
def incoming(
    number: Annotated[str, typer.Argument(help="The caller's number, as the PBX gives it.")],
    operator: Annotated[
        str | None, typer.Option("--operator", help="Whose console pops (default: the global --operator).")
    ] = None,
    dialled: Annotated[
        str | None,
        typer.Option("--dialled", metavar="NUMBER", help="The number the caller dialled (names a campaign)."),
    ] = None,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            callback=_wait_seconds,
            help="Wait up to SECONDS (0 to 3600) for a console to show the call; exit 1 if none did "
            "(else print which).",
        ),
    ] = None,
) -> None:
    """Pop the caller's card (or a new-client form) in that operator's running consoles; a busy database
    (a long import) is waited out, never a reason to lose the call. The number dialled picks the campaign
    whose printed number it is (``[[campaigns]] dialled`` in the config)."""
    from hotline.core.db import retry_while_busy
    from hotline.core.services.screen_pop import request_screen_pop

    state = cli_state()

    campaign = state.settings.attributions.for_dialled(dialled).campaign

    def pop() -> tuple[str, int]:
        # Who is acting is proven (and a narrowing audited) inside the retried work: it writes too.
        login = state.login if operator is None else operator  # a blank --operator is refused, not ignored
        with state.uow(as_system=True) as uow:
            pop = request_screen_pop(uow, operator_login=login, number=number, campaign=campaign)
            return login, int(pop.id or 0)

    login, pop_id = retry_while_busy(pop, patience_seconds=SCREEN_POP_PATIENCE_SECONDS)
    if wait is None:
        info(f"screen pop sent to {login}" + (f" (campaign {campaign})" if campaign else ""))
        return
    taker = _wait_for_taker(pop_id, seconds=wait)
    if taker is None:
        info(f"no console of {login} took the call within {wait:g} s")
        raise typer.Exit(1)
    typer.echo(f"taken by {login}'s console on {printable(taker)}")


def _wait_for_taker(pop_id: int, *, seconds: float) -> str | None:
    """The console that showed the pop live, looked up every 50 ms until ``seconds`` have passed."""
    from hotline.core.services.screen_pop import screen_pop_taker

    state = cli_state()
    deadline = time.monotonic() + seconds
    while True:
        with state.uow(readonly=True, as_system=True) as uow:
            taker = screen_pop_taker(uow, pop_id=pop_id)
        if taker is not None or time.monotonic() >= deadline:
            return taker
        time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


@app.command("log")
def log_call(
    number: Annotated[str, typer.Argument(help="The other party's number.")],
    call_id: Annotated[
        str, typer.Option("--call-id", help="The PBX's id of the call: a second log is a no-op.")
    ],
    operator: Annotated[
        str | None, typer.Option("--operator", help="The operator who took the call.")
    ] = None,
    direction: Annotated[
        Direction | None, typer.Option("--direction", help="in or out.  [default: in]")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="When it started, ISO-8601 (default: now less --duration; naive is UTC)."
        ),
    ] = None,
    duration: Annotated[
        int | None, typer.Option("--duration", min=0, max=86400, help="Talk time in seconds.")
    ] = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="answered, no_answer, busy, failed… (free text).")
    ] = None,
    recording: Annotated[
        str | None, typer.Option("--recording", help="The recording's file name or URL.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a finished call from a script or a CDR hook; idempotent by --call-id."""
    from datetime import timedelta

    from hotline.cli.output import print_json
    from hotline.core.clock import parse_instant
    from hotline.core.errors import InvalidInput
    from hotline.core.services.call_records import CallFacts, kept_facts, record_call

    state = cli_state()
    if start is None:  # run at the hang-up: the call ends now and started its duration before
        started = state.clock.now() - timedelta(seconds=duration or 0)
    else:
        started = parse_instant(start, where="--start")
        latest = state.clock.now() + timedelta(seconds=CLOCK_SKEW_SECONDS)
        if started + timedelta(seconds=duration or 0) > latest:
            raise InvalidInput(
                "the call would end after now: a finished call is logged (a typo in the year?)",
                where="--start",
            )
    facts = CallFacts(
        pbx_call_id=call_id,
        source="cli",
        direction=direction or Direction.IN,
        number=number,
        started_at=started,
        operator_login=operator,
        ended_at=started + timedelta(seconds=duration) if duration is not None else None,
        duration_seconds=duration,
        outcome=outcome,
        recording=recording,
    )
    with state.uow(as_system=True) as uow:
        recorded = record_call(uow, facts=facts, default_region=state.settings.default_region, typed=True)
        given = {"operator_login": operator, "direction": direction, "started_at": start,
                 "duration_seconds": duration, "outcome": outcome, "recording": recording}  # fmt: skip
        kept = (
            []
            if recorded.created
            else kept_facts(
                recorded.record, facts, given={name for name, value in given.items() if value is not None}
            )
        )
        if kept:  # raised inside the unit of work: whatever this report filled in is rolled back
            raise InvalidInput(
                f"already recorded with {', '.join(kept)}; a recorded call is never changed",
                where=f"call {printable(recorded.record.pbx_call_id)}",
            )
    said = "recorded" if recorded.created else "updated" if recorded.changed else "already recorded"
    if as_json:
        print_json({"id": recorded.record.id, "call_id": recorded.record.pbx_call_id, "result": said})
    else:
        info(f"call {recorded.record.pbx_call_id}: {said}")


@app.command("import-cdr")
def import_cdr(
    file: Annotated[Path, typer.Argument(help="Asterisk's cdr-csv file (Master.csv).")],
    utc: Annotated[bool, typer.Option("--utc", help="The file's times are UTC (usegmtime=yes).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a PBX's CDR file (- reads standard input); bad lines are named (exit 2) and nothing is
    written. Safe to re-run."""
    from zoneinfo import ZoneInfo

    from hotline.cli.errors import fail
    from hotline.cli.output import print_json
    from hotline.core.errors import InvalidInput
    from hotline.core.pbx.cdr_csv import read_cdr_csv
    from hotline.core.services.call_records import record_calls

    state = cli_state()
    data = _read_cdr(file)
    settings = state.settings
    zone = ZoneInfo("UTC") if utc else settings.pbx_zone
    name = printable_path(file)  # a byte that is not UTF-8 shown as \xff, not dropped
    parsed = read_cdr_csv(data, name=name, extensions=settings.pbx.extensions, zone=zone)
    ahead = state.clock.now() + timedelta(seconds=CLOCK_SKEW_SECONDS)
    # A call that ends after now (more than the PBX clock's slack): the file's times are not ours (a
    # wrong [pbx] timezone, --utc missing): it went on every client's timeline as future calls.
    parsed.errors.extend(
        InvalidInput(
            f"the call ends at {end.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}, after now: is [pbx] timezone"
            " (or --utc) right?",
            where=f"{name}:{line}",
        )
        for line, facts in parsed.calls
        if (end := _call_end(facts)) > ahead
    )
    if parsed.errors:
        for error in parsed.errors[:-1]:
            info(f"hotline: error: {error}")
        fail(f"{parsed.errors[-1]} ({len(parsed.errors)} bad lines; nothing imported)", 2)
    calls = [(f"{name}:{line}", facts) for line, facts in parsed.calls]
    with state.uow(as_system=True) as uow:
        counts = record_calls(uow, calls=calls, default_region=settings.default_region)
    summary = {
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "internal_lines": parsed.internal_lines,
        "merged_lines": parsed.merged_lines,
    }
    if as_json:
        print_json(summary)
    else:
        info(", ".join(f"{key.replace('_', ' ')} {value}" for key, value in summary.items()))


def _read_cdr(file: Path) -> bytes:
    """The file's bytes: a pipe, a device or standard input copied first, at most MAX_CDR_BYTES."""
    import sys

    from hotline.core.errors import InvalidInput
    from hotline.core.importing.spool import spooled
    from hotline.core.pbx.cdr_csv import MAX_CDR_BYTES

    with spooled(file, stdin=sys.stdin.buffer, limit=MAX_CDR_BYTES) as readable:
        try:
            if readable.stat().st_size > MAX_CDR_BYTES:
                raise InvalidInput(
                    f"larger than {MAX_CDR_BYTES >> 20} MB: split it", where=printable_path(file)
                )
            return readable.read_bytes()
        except OSError as error:
            raise InvalidInput(
                f"cannot read: {error.strerror or error}", where=printable_path(file)
            ) from None


@app.command()
def dial(
    number: Annotated[str, typer.Argument(help="The number to call.")],
    as_json: JsonFlag = False,
) -> None:
    """Ring your phone (your extension in [pbx.extensions]), then dial NUMBER when you answer.

    The running `hotline call listen` sends it to the PBX (Asterisk's AMI, or Zadarma's callback API
    with [pbx.webhook.api]); the call is recorded like an incoming one.
    """
    from hotline.cli.output import print_json
    from hotline.core.services.call_records import request_dial

    state = cli_state()
    settings = state.settings
    extension = settings.pbx.extension_of(state.login)
    with state.uow() as uow:
        record = request_dial(uow, number=number, extension=extension, default_region=settings.default_region)
    if as_json:
        print_json({"call_id": record.pbx_call_id, "number": record.number, "extension": extension})
    else:
        info(f"dialling {record.number} from extension {extension} (call {record.pbx_call_id})")


@app.command()
def listen(
    ami: Annotated[
        bool, typer.Option("--ami/--no-ami", help="Connect to Asterisk's AMI ([pbx.ami]).")
    ] = True,
    webhook: Annotated[
        bool, typer.Option("--webhook/--no-webhook", help="Take a cloud PBX's webhooks ([pbx.webhook]).")
    ] = False,
    ring_socket: Annotated[
        bool,
        typer.Option(
            "--ring-socket/--no-ring-socket",
            help="Serve `hotline call incoming` of this user on a private local socket: a ring pops in "
            "milliseconds instead of starting the whole program.",
        ),
    ] = True,
) -> None:
    """Listen to the phone system until SIGTERM: screen pops for ringing extensions, a record per call.

    Reconnects to the AMI with back-off; exit 1 if the AMI refuses the login.
    """
    import asyncio
    import logging
    import signal

    from hotline.core.errors import ConfigError
    from hotline.core.services.system_runs import start_system_run
    from hotline.pbx.service import listen as run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    state = cli_state()
    with state.uow(readonly=True, as_system=True) as uow:
        start_system_run(uow, run="call listen")
    if not (ami or webhook or ring_socket):
        raise ConfigError("choose an adapter: --ami, --webhook and/or --ring-socket", where="call listen")

    async def main() -> dict[str, int]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        rings = await _ring_server(state, required=not (ami or webhook)) if ring_socket else None
        try:
            if ami or webhook:
                engine, settings, clock = state.engine(), state.settings, state.clock
                counts = await run(
                    engine=engine, settings=settings, clock=clock, ami=ami, webhook=webhook, stop=stop
                )
            else:
                await stop.wait()
                counts = {}
        finally:
            if rings is not None:
                await rings.close()
        return counts | (dict(rings.counts) if rings is not None else {})

    counts = asyncio.run(main())
    info("call listener stopped: " + ", ".join(f"{key} {value}" for key, value in sorted(counts.items())))


async def _ring_server(state: CliState, *, required: bool) -> RingServer | None:
    """The started ring socket; if it cannot be served, a warning (or exit 1 when it is all there is)."""
    import logging

    from hotline.cli.ring_server import RingServer, RingSocketUnavailable
    from hotline.core.errors import Unavailable

    server = RingServer.for_state(state)
    try:
        await server.start()
    except RingSocketUnavailable as error:
        if required:
            raise Unavailable(f"cannot serve rings: {error}") from None
        logging.getLogger("hotline.cli.rings").warning("not serving rings on a socket: %s", error)
        return None
    server.counts.update(rings=0, ring_fallbacks=0, ring_refused=0)
    return server
