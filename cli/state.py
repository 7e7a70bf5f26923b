"""What every command shares: the settings, the engine (made on first use), the clock, the acting login."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine, UnitOfWork
    from hotline.core.settings import Settings
    from hotline.core.sla.policy import SlaSetup


@dataclass
class CliState:
    """Built by the root callback from the global options; commands get it with ``cli_state()``."""

    db: str | None = None
    config: Path | None = None
    operator: str | None = None
    now: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _sla: SlaSetup | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from hotline.core.settings import load_settings

            self._settings = load_settings(
                self.config, database_url=self.db, operator=self.operator, now=self.now
            )
        return self._settings

    @property
    def config_source(self) -> str:
        """The configuration file this invocation reads, as errors name it."""
        from hotline.core.settings import default_config_path

        return str(self.config or default_config_path())

    @property
    def sla(self) -> SlaSetup:
        """Calendars, SLA policies and escalation rules of the configuration, built once per command."""
        if self._sla is None:
            from hotline.core.sla.policy import SlaSetup

            self._sla = SlaSetup.from_settings(self.settings, source=self.config_source)
        return self._sla

    @property
    def database_url(self) -> str:
        from hotline.core.db import default_database_url

        return self.settings.database_url or default_database_url()

    def engine(self, *, require_schema: bool = True) -> Engine:
        """The engine, connected once (unreachable: exit 1) and, unless told, checked to be at head."""
        if self._engine is None:
            from hotline.core.db import check_connection, make_engine

            engine = make_engine(self.database_url, create_folder=self.settings.database_url is None)
            check_connection(engine)
            self._engine = engine
        if require_schema:
            _require_schema(self._engine)
        return self._engine

    @property
    def clock(self) -> Clock:
        from hotline.core.clock import clock_for

        return clock_for(self.settings.now)

    @property
    def login(self) -> str:
        return self.settings.operator_login()

    def uow(self, *, readonly: bool = False, as_system: bool = False) -> UnitOfWork:
        """A unit of work acting as the operator (or as the system, for cron jobs)."""
        from hotline.core.db import UnitOfWork

        return UnitOfWork(
            self.engine(), actor_login=None if as_system else self.login, clock=self.clock, readonly=readonly
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _require_schema(engine: Engine) -> None:
    from hotline.core import migrate
    from hotline.core.errors import Unavailable

    state = migrate.schema_state(engine)
    if state == "empty":
        raise Unavailable("the database has no hotline schema yet: run `hotline db init`")
    if state == "behind":
        raise Unavailable(
            f"the database schema is at {migrate.current_revision(engine)}: run `hotline db upgrade`"
        )


_current: ContextVar[CliState | None] = ContextVar("hotline_cli_state", default=None)


def set_cli_state(state: CliState) -> None:
    """Called by the root callback with the global options of this invocation."""
    _current.set(state)


def cli_state() -> CliState:
    """The state of the running command (a sub-app invoked on its own gets one from the environment)."""
    state = _current.get()
    if state is None:
        state = CliState()
        _current.set(state)
    return state


def close_cli_state() -> None:
    """Dispose of the engine and forget the state (the next invocation in this process starts afresh)."""
    state = _current.get()
    if state is not None:
        state.close()
    _current.set(None)
