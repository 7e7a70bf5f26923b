"""``hotline operators``: who may log in, and with which role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hotline.cli.options import JsonFlag
from hotline.cli.output import info, print_json, stdout, table
from hotline.cli.state import cli_state

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

app = typer.Typer(
    help="Operators: anyone may list them; admins add, change and deactivate them.", no_args_is_help=True
)


@app.command()
def add(
    login: Annotated[str, typer.Argument(help="Login name (lower-case).")],
    role: Annotated[str, typer.Option("--role", help="operator, supervisor or admin.")] = "operator",
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Address for notifications.")] = None,
) -> None:
    """Add an operator."""
    from hotline.core.emails import normalize_email
    from hotline.core.services.operators import add_operator, parse_role

    state = cli_state()
    state.authorize("operator.manage", entity="operator", entity_id=login)
    parsed_role = parse_role(role)
    address = normalize_email(email, where="--email") if email else None
    with state.uow() as uow:
        operator = add_operator(
            uow,
            login=login,
            role=parsed_role,
            display_name=name,
            email=address,
            pg_role_prefix=state.settings.pg_role_prefix,
        )
    role_note = f"; database role {operator.db_role!r}" if operator.db_role else ""
    info(f"added {operator.login} ({operator.role}{role_note})")


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List operators."""
    from hotline.core.services.operators import list_operators

    with cli_state().uow(readonly=True) as uow:
        operators = list_operators(uow)
    rows = [
        {"login": o.login, "name": o.display_name, "role": o.role, "email": o.email, "active": o.active}
        for o in operators
    ]
    if as_json:
        print_json(rows)
        return
    stdout().print(
        table("Operators", ["login", "name", "role", "email", "active"], [list(row.values()) for row in rows])
    )


@app.command()
def role(
    login: Annotated[str, typer.Argument(help="Login name.")],
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="operator, supervisor or admin.")],
) -> None:
    """Change an operator's role."""
    from hotline.core.authority import with_article
    from hotline.core.pg_roles import access_left
    from hotline.core.services.operators import operator_standing, parse_role, set_operator_role

    state = cli_state()
    state.authorize("operator.manage", entity="operator", entity_id=login)
    parsed = parse_role(new_role, where="ROLE")
    prefix = state.settings.pg_role_prefix
    with state.uow() as uow:
        had = operator_standing(uow, login=login)
        operator = set_operator_role(uow, login=login, role=parsed, pg_role_prefix=prefix)
        left = (
            access_left(uow, role=operator.db_role, prefix=prefix, operator_role=parsed)
            if operator.active
            else []
        )
    unchanged = had is not None and had[0] == parsed.value
    info(f"{login} {'is already' if unchanged else 'is now'} {parsed.value}")
    _say_left(operator.db_role, left, f"is not yet what {with_article(parsed.value)} has")


@app.command()
def deactivate(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Stop an operator from logging in (history keeps their name)."""
    from hotline.core.pg_roles import access_left
    from hotline.core.services.operators import set_operator_active

    state = cli_state()
    state.authorize("operator.manage", entity="operator", entity_id=login)
    prefix = state.settings.pg_role_prefix
    with state.uow() as uow:
        was = _standing(uow, login)
        operator = set_operator_active(uow, login=login, active=False, pg_role_prefix=prefix)
        left = access_left(uow, role=operator.db_role, prefix=prefix)
    info(f"{login} {'deactivated' if was else 'was already deactivated'}")
    _say_left(operator.db_role, left, "can still read")


@app.command()
def activate(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Let a deactivated operator log in again (in her current role)."""
    from hotline.core.authority import with_article
    from hotline.core.models.enums import Role
    from hotline.core.pg_roles import access_left
    from hotline.core.services.operators import set_operator_active

    state = cli_state()
    state.authorize("operator.manage", entity="operator", entity_id=login)
    prefix = state.settings.pg_role_prefix
    with state.uow() as uow:
        was = _standing(uow, login)
        operator = set_operator_active(uow, login=login, active=True, pg_role_prefix=prefix)
        left = access_left(uow, role=operator.db_role, prefix=prefix, operator_role=Role(operator.role))
    info(f"{login} {'was already active' if was else 'activated'}")
    _say_left(operator.db_role, left, f"is not yet what {with_article(operator.role)} has")


def _standing(uow: UnitOfWork, login: str) -> bool:
    """Whether the operator is active before the change (an unknown login: the service says so)."""
    from hotline.core.services.operators import operator_standing

    standing = operator_standing(uow, login=login)
    return standing is not None and standing[1]


def _say_left(db_role: str | None, left: list[str], what: str) -> None:
    """What a database administrator must still run on her login role, where the acting role could not."""
    if left:
        info(
            f"her database role {db_role!r} {what} (your role may not manage roles: CREATEROLE);"
            f" a database administrator must run: {'; '.join(left)}"
        )
