"""``hotline live``: live updates of the consoles; ``live relay`` serves every console of a host."""

from __future__ import annotations

import typer

from hotline.cli.output import info
from hotline.cli.state import cli_state

app = typer.Typer(help="Live updates of the consoles (PostgreSQL).", no_args_is_help=True)


@app.command()
def relay() -> None:
    """Relay the database's changes to every console of this host until SIGTERM: one LISTEN connection
    for all of them instead of one each.

    The socket is ``[database] relay_socket`` (default ``$XDG_RUNTIME_DIR/hotline/live.sock``); consoles
    use it when it answers and listen themselves when it does not. PostgreSQL only: exit 2 on SQLite.
    """
    import signal
    import threading

    from hotline.core.relay import RelayServer, relay_socket_of
    from hotline.core.services.system_runs import start_system_run

    state = cli_state()
    with state.uow(readonly=True, as_system=True) as uow:
        start_system_run(uow, run="live relay")  # it carries only channel names and ticket numbers
    server = RelayServer(state.engine(), relay_socket_of(state.settings))
    server.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    info(f"relaying live changes on {server.path}")
    counts = server.serve(stop)
    info("live relay stopped: " + ", ".join(f"{key} {value}" for key, value in sorted(counts.items())))
