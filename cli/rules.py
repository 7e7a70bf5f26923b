"""``hotline rules``: list and check the event rules, explain what they did to a ticket, dry-run a message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.cli.options import MAX_ID, JsonFlag

if TYPE_CHECKING:
    from rich.text import Text

app = typer.Typer(help="Event rules: list, check, explain a ticket, test a message.", no_args_is_help=True)


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(getattr(item, "value", item)) for item in value)
    return str(value)


def _when_text(rule: object) -> str:
    given = rule.when.given()  # type: ignore[attr-defined]
    return "; ".join(f"{name}={_value_text(value)}" for name, value in given.items()) or "always"


@app.command("list")
def list_rules(as_json: JsonFlag = False) -> None:
    """The rules of the configuration in the order they run."""
    from hotline.cli.output import print_json, stdout, table
    from hotline.cli.state import cli_state

    state = cli_state()
    state.authorize("read")  # the file's rules name queues and operators: who reads them is proven first
    rules = state.settings.rules
    if as_json:
        print_json(
            [
                {
                    "name": rule.name,
                    "on": rule.on,
                    "enabled": rule.enabled,
                    "stop": rule.stop,
                    "when": rule.when.model_dump(mode="json", exclude_none=True),
                    "actions": [action.model_dump(mode="json", exclude_none=True) for action in rule.actions],
                }
                for rule in rules
            ]
        )
        return
    rows = [
        (
            index + 1,
            rule.name,
            ", ".join(rule.on),
            "yes" if rule.enabled else "OFF",
            "stop" if rule.stop else "",
            _when_text(rule),
            "; ".join(str(action) for action in rule.actions),
        )
        for index, rule in enumerate(rules)
    ]
    stdout().print(table(None, ["#", "name", "on", "enabled", "", "when", "actions"], rows))
    if not Path(state.config_source).exists():  # an empty table alone: no rules, or no file read?
        from hotline.cli.output import info

        info(f"no rules: there is no configuration file at {state.config_source}")


@app.command("check")
def check() -> None:
    """Check the rules: the file (fields, events, conditions, templates) and the queues and operators they
    name in the database. Exit 2 with the file, the rule and the reason when one is wrong."""
    from hotline.cli.output import info
    from hotline.cli.state import cli_state
    from hotline.core.rules.validate import check_rules

    state = cli_state()
    rules = state.settings.rules
    with state.uow(readonly=True, as_system=True) as uow:
        check_rules(uow, rules, source=state.config_source)
    enabled = sum(rule.enabled for rule in rules)
    if not Path(state.config_source).exists():  # "0 rules OK in FILE" named a file that is not there
        info(f"no rules to check: there is no configuration file at {state.config_source}")
        return
    info(f"{len(rules)} rule{'s' if len(rules) != 1 else ''} OK ({enabled} enabled) in {state.config_source}")


@app.command("explain")
def explain(
    number: Annotated[int, typer.Argument(metavar="NUMBER", min=1, max=MAX_ID, help="Ticket number.")],
    as_json: JsonFlag = False,
) -> None:
    """Which rules matched the ticket's events, which did not and why, and what they did."""
    from hotline.cli.output import info, print_json, stdout
    from hotline.cli.state import cli_state
    from hotline.core.rules.explain import explain_ticket

    with cli_state().uow(readonly=True) as uow:
        explained = explain_ticket(uow, number=number)
    if as_json:
        print_json([item.as_dict() for item in explained])
        return
    if not explained:
        info(f"no rule was evaluated on ticket #{number}")
        return
    for item in explained:
        for line in item.lines():
            stdout().print(_line(line))


@app.command("test")
def try_message(
    message: Annotated[Path, typer.Argument(help="A message file (.eml).", dir_okay=False)],
    event: Annotated[
        str, typer.Option("--event", help="The event to try (mail.received).")
    ] = "mail.received",
    account: Annotated[str | None, typer.Option("--account", help="As if it came to this account.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Dry-run the rules against a message: what they would do if it arrived now. Nothing is written."""
    from hotline.cli.output import print_json, stdout
    from hotline.cli.state import cli_state
    from hotline.core.errors import InvalidInput
    from hotline.core.rules.explain import dry_run_mail

    if event != "mail.received":
        raise InvalidInput(f"only mail.received can be tested with a message, not {event!r}", where="--event")
    state = cli_state()
    mail = _read_message(message, state.settings.mail.max_message_bytes)
    mailbox = _mailbox(state.settings, account)
    with state.uow(readonly=True, as_system=True) as uow:
        explained = dry_run_mail(uow, book=state.rules, mailbox=mailbox, mail=mail)
    if as_json:
        print_json([item.as_dict() for item in explained])
        return
    if not explained:  # it printed nothing at all, as if the command had not run
        from hotline.cli.output import info

        info(f"no rule listens to {event}: the rules would do nothing with this message")
    for item in explained:
        for line in item.lines():
            stdout().print(_line(line))


def _line(line: str) -> Text:
    """A line of an explanation, its indent kept, through the printable filter: rule names, reasons and
    what was done carry configuration and ticket text."""
    from rich.text import Text

    from hotline.core.text import printable

    indent = len(line) - len(line.lstrip(" "))
    return Text(" " * indent + printable(line))


def _read_message(path: Path, max_bytes: int):  # type: ignore[no-untyped-def]
    """The message file, read at most to what a message may hold: ``/dev/zero`` or a huge file was read
    whole (a traceback, out of memory); a pipe nobody writes to says so instead of hanging."""
    import sys

    from hotline.core.errors import InvalidInput
    from hotline.core.importing.spool import spooled
    from hotline.mailbox.incoming import ConversionFailed, convert_for_intake

    limit = 4 * max_bytes  # what the parser reads of one message
    too_big = InvalidInput(
        f"more than {limit:,} bytes: larger than any message hotline reads", where=str(path)
    )
    try:
        with spooled(path, stdin=sys.stdin.buffer, limit=limit) as readable, readable.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        raise InvalidInput(f"cannot read: {error.strerror}", where=str(path)) from None
    except InvalidInput as error:
        raise too_big if error.message.startswith("more than") else error from None
    if len(raw) > limit:
        raise too_big
    if not raw.strip():
        raise InvalidInput("the file is empty", where=str(path))
    converted = convert_for_intake(raw, max_bytes)
    if isinstance(converted, ConversionFailed):
        raise InvalidInput(f"not a readable message: {converted}", where=str(path))
    return converted


def _mailbox(settings, account: str | None):  # type: ignore[no-untyped-def]
    from hotline.core.errors import InvalidInput
    from hotline.core.services.mail.incoming import MailboxRef

    accounts = settings.mail.accounts
    if account is not None:
        chosen = next((a for a in accounts if a.name == account), None)
        if chosen is None:
            raise InvalidInput(f"no mail account named {account!r}", where="--account")
        return MailboxRef.from_settings(chosen, settings)
    if accounts:
        return MailboxRef.from_settings(accounts[0], settings)
    return MailboxRef(
        name="test",
        queue="Support",
        from_address="support@example.com",
        acknowledge=False,
        acknowledgements_per_day=0,
        default_region=settings.default_region,
    )
