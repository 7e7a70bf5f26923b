"""``hotline mail``: poll the mailboxes into tickets, deliver the outbox, list failed messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hotline.cli.options import JsonFlag

if TYPE_CHECKING:
    from hotline.core.settings import MailAccount
    from hotline.mailbox.poll_report import PollReport
    from hotline.mailbox.poller import Poller
    from hotline.mailbox.sender import Sender

app = typer.Typer(
    help="Mail: IMAP poller (incoming mail becomes tickets) and SMTP sender (the outbox).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

POLL_COLUMNS = [
    "account",
    "new",
    "created",
    "threaded",
    "duplicates",
    "bounces",
    "failed",
    "acknowledged",
    "error",
]


def _accounts(name: str | None) -> list[MailAccount]:
    from hotline.cli.state import cli_state
    from hotline.core.errors import ConfigError

    accounts = list(cli_state().settings.mail.accounts)
    if not accounts:
        raise ConfigError("no [[mail.accounts]] in the configuration file")
    if name is None:
        return accounts
    chosen = [account for account in accounts if account.name == name]
    if not chosen:
        known = ", ".join(account.name for account in accounts)
        raise ConfigError(f"no mail account named {name!r} (configured: {known})", where="--account")
    return chosen


@app.command()
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit (for cron).")] = False,
    account: Annotated[str | None, typer.Option("--account", help="Only this account (by name).")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, max=8, help="Processes converting mail (0: in this one).")
    ] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Turn new mail into tickets. Without --once: watch with IMAP IDLE until SIGTERM.

    Exit 1 when a server cannot be reached; nothing is lost, the next run picks up where this stopped.
    """
    import asyncio

    from hotline.cli.output import info
    from hotline.cli.state import cli_state
    from hotline.core.services.system_runs import start_system_run
    from hotline.mailbox.poller import Poller

    state = cli_state()
    with state.uow(readonly=True, as_system=True) as uow:
        start_system_run(uow, run="mail poll")
    accounts = _accounts(account)
    poller = Poller(
        engine=state.engine(), settings=state.settings, sla=state.sla, clock=state.clock, workers=workers
    )
    if not once:
        _watch(poller, accounts)
        info("mail poller stopped")
        return
    reports = asyncio.run(poller.run_once(accounts))
    _print_poll_reports(reports, as_json=as_json)
    errors = [report.error for report in reports if report.error]
    for error in errors:
        info(f"hotline: error: {error}")
    if errors:
        raise typer.Exit(1)


def _print_poll_reports(reports: list[PollReport], *, as_json: bool) -> None:
    from hotline.cli.output import print_json, stdout, table

    if as_json:
        print_json([report.as_dict() for report in reports])
        return
    rows = [[getattr(report, column) for column in POLL_COLUMNS] for report in reports]
    stdout().print(table(None, POLL_COLUMNS, rows))


def _watch(poller: Poller, accounts: list[MailAccount]) -> None:
    """Run the poller as a service until SIGTERM or SIGINT, logging to stderr."""
    import asyncio
    import logging
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def watch() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await poller.run_forever(accounts, stop)

    asyncio.run(watch())


def _seconds(value: float) -> float:
    """A round's pause: 0, a negative number or nan would send round after round without one."""
    if not 1 <= value <= 86400:  # False for nan too
        raise typer.BadParameter(f"{value} is not between 1 and 86400 seconds")
    return value


@app.command()
def send(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due once and exit (for cron).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", callback=_seconds, help="Seconds between rounds without --once (1 to 86400)."
        ),
    ] = 30.0,
    as_json: JsonFlag = False,
) -> None:
    """Deliver the outbox: retries with back-off, permanent failures recorded. Exit 1 if SMTP is down,
    2 if no mail account names an SMTP server (bad configuration, as ``mail poll`` without an account)."""
    import asyncio

    from hotline.cli.output import info, print_json
    from hotline.cli.state import cli_state
    from hotline.core.errors import ConfigError
    from hotline.core.services.system_runs import start_system_run
    from hotline.mailbox.sender import Sender

    state = cli_state()
    with state.uow(readonly=True, as_system=True) as uow:
        start_system_run(uow, run="mail send")  # who runs it is proven (and refused, audited) first
    if not any(account.smtp_host for account in state.settings.mail.accounts):
        raise ConfigError("no [[mail.accounts]] with an smtp_host in the configuration file")
    sender = Sender(engine=state.engine(), settings=state.settings, clock=state.clock)
    if not once:
        asyncio.run(_send_until_stopped(sender, interval))
        return
    report = asyncio.run(sender.send_due())
    if as_json:
        print_json(report.as_dict())
    else:
        info(f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}")
    for error in report.errors:
        info(f"hotline: error: {error}")
    if report.errors:
        raise typer.Exit(1)


async def _send_until_stopped(sender: Sender, interval: float) -> None:
    """A round every ``interval`` seconds until SIGTERM or SIGINT."""
    import asyncio
    import contextlib
    import signal

    from hotline.cli.output import info

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set():
        report = await sender.send_due()
        for error in report.errors:
            info(f"hotline: {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@app.command()
def failed(
    account: Annotated[str | None, typer.Option("--account", help="Only this account (by name).")] = None,
    outgoing: Annotated[
        bool, typer.Option("--outgoing", help="Mail the SMTP server refused for good, instead.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Messages that could not be converted (kept whole, moved to the failed folder); with --outgoing,
    mail hotline could not send (refused for good, out of retries, or bounced)."""
    from hotline.cli.output import print_json, stdout, table
    from hotline.cli.state import cli_state
    from hotline.core.services.mail.failed import list_failed

    state = cli_state()
    configured = [configured.name for configured in state.settings.mail.accounts]
    if outgoing:
        _failed_outgoing(account, configured, as_json=as_json)
        return
    with state.uow(readonly=True, as_system=True) as uow:
        rows = [
            {
                "account": item.account,
                "uid": item.uid,
                "uidvalidity": item.uidvalidity,
                "message_id": item.message_id,
                "reason": item.reason,
                "received_at": item.received_at,
                "size": item.size,
            }
            for item in list_failed(uow, account=account, configured=configured)
        ]
    if as_json:
        print_json(rows)
        return
    columns = ["account", "uid", "message_id", "reason", "received_at"]
    stdout().print(table(None, columns, [[row[column] for column in columns] for row in rows]))


def _failed_outgoing(account: str | None, configured: list[str], *, as_json: bool) -> None:
    from hotline.cli.output import print_json, stdout, table
    from hotline.cli.state import cli_state
    from hotline.core.services.mail.failed import list_failed_deliveries

    with cli_state().uow(readonly=True, as_system=True) as uow:
        rows = [
            item.as_json() for item in list_failed_deliveries(uow, account=account, configured=configured)
        ]
    if as_json:
        print_json(rows)
        return
    columns = ["account", "kind", "to", "ticket", "reason", "failed_at"]
    cells = [[", ".join(row["to"]) if key == "to" else row[key] for key in columns] for row in rows]
    stdout().print(table(None, columns, cells))
