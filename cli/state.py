"""What every command shares: the settings, the engine (made on first use), the clock, the acting login."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine, UnitOfWork
    from hotline.core.identity import Identity
    from hotline.core.rules.book import RuleBook
    from hotline.core.settings import Settings
    from hotline.core.sla.policy import SlaSetup


@dataclass
class CliState:
    """Built by the root callback from the global options; commands get it with ``cli_state()``."""

    db: str | None = None
    config: Path | None = None
    operator: str | None = None
    now: str | None = None
    operator_from: str = "--operator"
    """Where ``operator`` came from, for a refusal to name it: ``--operator`` or ``HOTLINE_OPERATOR``."""
    command: str = "hotline"
    """The command path (``hotline tickets create``), for the audit trail."""
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _sla: SlaSetup | None = field(default=None, repr=False)
    _identity: Identity | None = field(default=None, repr=False)
    _rules: RuleBook | None = field(default=None, repr=False)
    owns_engine: bool = field(default=True, repr=False)
    """False for a ring's state that shares the resident listener's engine: closing it leaves that open."""
    _config_stamp: tuple[int, int, int] | None = field(default=None, repr=False)
    """The configuration file's (inode, size, mtime) when a resident state read it; None: absent."""

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
    def rules(self) -> RuleBook:
        """The event rules of the configuration, run by every command's changes."""
        if self._rules is None:
            from hotline.core.rules.book import RuleBook

            self._rules = RuleBook.from_settings(self.settings, sla=self.sla, source=self.config_source)
        return self._rules

    @property
    def database_url(self) -> str:
        from hotline.core.db import default_database_url

        given = self.settings.database_url
        if given is not None and not given.strip():  # ``--db "$URL"`` with URL unset
            from hotline.core.errors import InvalidInput

            raise InvalidInput(
                "a blank database URL: give one (sqlite:///FILE, postgresql://…) or leave --db out",
                where="--db",
            )
        return given or default_database_url()

    def engine(
        self, *, require_schema: bool = True, quick_identity: bool = False, create: bool = False
    ) -> Engine:
        """The engine, connected once (unreachable: exit 1) and, unless told, checked to be at head and
        the acting operator proven (every command that reads or writes hotline data); ``quick_identity``
        proves a granted operator without the ORM (the console, before its first frame)."""
        if self._engine is None:
            from hotline.core.db import check_connection, make_engine

            engine = make_engine(
                self.database_url,
                create_folder=self.settings.database_url is None,
                create_file=create,  # a SQLite file is made by ``db init`` and ``db upgrade`` only
                database=self.settings.database,
            )
            check_connection(engine)
            self._engine = engine
        if require_schema:
            _require_schema(self._engine)
            if quick_identity and self._identity is None:
                from hotline.core.identity import quick_identity as prove_quickly

                self._identity = prove_quickly(
                    self._engine,
                    requested=self.settings.operator,
                    clock=self.clock,
                    via=self.via,
                    prefix=self.settings.pg_role_prefix,
                )  # None: not granted there, the full check below refuses in its own words
            _ = self.identity
        return self._engine

    @property
    def clock(self) -> Clock:
        from hotline.core.clock import clock_for

        return clock_for(self.settings.now)

    @property
    def via(self) -> str:
        """Where this command's writes come from, for the audit trail: ``cli: hotline tickets create``."""
        return f"cli: {self.command}"

    @property
    def identity(self) -> Identity:
        """The proven acting operator (see ``core.identity``), resolved once per command."""
        if self._identity is None:
            from hotline.core.identity import resolve_identity

            engine = self.engine(require_schema=False)
            self._identity = resolve_identity(
                engine,
                requested=self.settings.operator,
                clock=self.clock,
                via=self.via,
                prefix=self.settings.pg_role_prefix,
                where=self._operator_source(),
            )
        return self._identity

    def _operator_source(self) -> str:
        """Where the requested login came from: the option, its variable, or the configuration file."""
        if self.operator is not None:
            return self.operator_from
        if os.environ.get("HOTLINE_OPERATOR") is not None:
            return "HOTLINE_OPERATOR"
        return f"operator ({self.config_source})"

    @property
    def login(self) -> str:
        """The acting operator's login; the system account must name one with ``--operator``."""
        login = self.identity.login
        if login is None:
            from hotline.core.errors import InvalidInput

            raise InvalidInput("the system account acts as an operator only when named", where="--operator")
        return login

    def uow(self, *, readonly: bool = False, as_system: bool = False) -> UnitOfWork:
        """A unit of work acting as the operator, or as the system on the operator's authority (cron)."""
        from hotline.core.db import UnitOfWork

        engine = self.engine()
        login = self.identity.login
        via = self.via.replace("cli: ", "cron: ", 1) if as_system else self.via
        return UnitOfWork(
            engine,
            actor_login=None if as_system else login,
            invoker_login=login if as_system else None,
            clock=self.clock,
            readonly=readonly,
            via=via,
            rules=None if readonly else self.rules,
        )

    def authorize(
        self, operation: str, *, entity: str = "operation", entity_id: object | None = None
    ) -> None:
        """Refuse a privileged command (audited, exit 2) before its arguments are checked: an operator's
        attempt is recorded whatever she typed, not turned away as bad usage with no trace. The service
        operation checks again (the permission table is core's; this only puts the refusal first)."""
        with self.uow(readonly=True) as uow:
            uow.authorize(operation, entity=entity, entity_id=entity_id)

    def close(self) -> None:
        if self._engine is not None and self.owns_engine:
            self._engine.dispose()

    def config_file(self) -> str:
        """The absolute path of the configuration file this invocation reads (it may be missing)."""
        from hotline.core.settings import default_config_path

        return os.path.abspath(self.config or default_config_path())

    def make_resident(self) -> CliState:
        """This state, ready to serve rings in ``hotline call listen``: the settings, the engine and the
        rules loaded once; the configuration file's stamp kept, so that a changed file is noticed."""
        self._config_stamp = _file_stamp(self.config_file())
        _ = self.settings, self.engine(), self.rules
        return self

    def config_changed(self) -> bool:
        """Whether the configuration file changed since this resident state read it."""
        return _file_stamp(self.config_file()) != self._config_stamp

    def serves(self, fresh: CliState) -> bool:
        """Whether ``fresh`` (a ring's global options) would build the same settings as this resident state:
        the same options and an unchanged configuration file."""
        return (
            (fresh.db, fresh.operator, fresh.now) == (self.db, self.operator, self.now)
            and fresh.config_file() == self.config_file()
            and not self.config_changed()
        )

    def name_operator(self, login: str) -> None:
        """Act as ``login``, as ``--operator LOGIN`` would have said (before anything proved who acts)."""
        assert self._identity is None, "the acting operator is already proven"
        self.operator = login
        self._settings = None  # read again, with the operator named

    def shared_with(self, *, command: str) -> CliState:
        """A ring's state on this resident one's settings and engine; its identity is proven afresh."""
        return replace(self, command=command, _identity=None, owns_engine=False)


def _file_stamp(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _require_schema(engine: Engine) -> None:
    from hotline.core import migrate
    from hotline.core.errors import Unavailable

    state = migrate.schema_state(engine)
    if state == "empty":
        raise Unavailable("the database has no hotline schema yet: run `hotline db init`")
    if state == "foreign":
        raise Unavailable(
            "not a hotline database: it holds another application's tables (see `hotline db status`)"
        )
    if state == "unknown":
        raise Unavailable(migrate.unknown_revision_message(migrate.current_revision(engine) or ""))
    if state == "behind":
        raise Unavailable(
            f"the database schema is at {migrate.current_revision(engine)}: run `hotline db upgrade`"
        )


_current: ContextVar[CliState | None] = ContextVar("hotline_cli_state", default=None)
_resident: ContextVar[CliState | None] = ContextVar("hotline_resident_state", default=None)


@contextmanager
def serving_resident(state: CliState) -> Iterator[None]:
    """Within this block (a ring run by ``hotline call listen``), the root callback adopts ``state``."""
    token = _resident.set(state)
    try:
        yield
    finally:
        _resident.reset(token)


def adopt_resident(fresh: CliState) -> CliState:
    """The state a command runs with: ``fresh``, or, for a ring the listener runs with the same options and
    configuration as its own, a state sharing the listener's loaded settings and engine."""
    resident = _resident.get()
    if resident is None or not resident.serves(fresh):
        return fresh
    return resident.shared_with(command=fresh.command)


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
