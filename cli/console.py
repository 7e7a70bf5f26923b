"""``hotline console``: open the operator console (also what plain ``hotline`` does)."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli.state import cli_state


def console(
    prepare_demo: Annotated[
        int | None,
        typer.Option(
            "--prepare-demo",
            min=1,
            metavar="CLIENTS",
            help="What `make run` does: an empty database is created with CLIENTS demo clients, one behind "
            "is upgraded; then the console opens (one process, so a second run starts at once).",
        ),
    ] = None,
) -> None:
    """Open the console for the acting operator (an unknown or deactivated one is refused: exit 2)."""
    from hotline.cli.console_start import open_console

    if prepare_demo is not None:
        _name_roots_own_operator()
        _prepare(prepare_demo)
    open_console(cli_state())


def _name_roots_own_operator() -> None:
    """``make run`` as root (a container): root is the system account, which acts as an operator only
    when named, so on SQLite it names the admin of its own name that the demo's first run makes for it
    (as ``--operator root`` would, audited as a narrowing). A named operator, or PostgreSQL, is left be."""
    from hotline.core.identity import os_principal

    state = cli_state()
    if state.settings.operator is not None or not state.database_url.startswith("sqlite"):
        return
    name, root = os_principal()
    if root:
        state.name_operator(name)


def _prepare(demo_clients: int) -> None:
    from hotline.core import migrate

    engine = cli_state().engine(require_schema=False, create=True)
    schema = migrate.schema_state(engine)
    if schema == "empty":
        from hotline.cli.db import init
        from hotline.cli.demo import load_demo_data

        init()
        engine.dispose()  # the bulk load sets connection pragmas no transaction may be open for
        load_demo_data(clients=demo_clients)
    elif schema == "behind":
        from hotline.cli.db import upgrade

        upgrade()
