"""``hotline console``: open the operator console (also what plain ``hotline`` does)."""

from __future__ import annotations

from hotline.cli.state import cli_state


def console() -> None:
    """Open the console for the acting operator."""
    from hotline.core.db import check_operator

    state = cli_state()
    engine = state.engine()
    check_operator(engine, state.login)
    from hotline.tui.app import make_app

    make_app(
        settings=state.settings, engine=engine, operator_login=state.login, clock=state.clock, sla=state.sla
    ).run()
