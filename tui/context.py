"""What every screen of the console needs: the engine, the settings (and the SLA set-up built from them),
who is operating, the clock.

Made once by ``make_app`` and passed to screens explicitly, so tests build the console with their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine, UnitOfWork
    from hotline.core.rules.book import RuleBook
    from hotline.core.settings import Settings
    from hotline.core.sla.policy import SlaSetup


@dataclass(frozen=True)
class ConsoleContext:
    engine: Engine
    settings: Settings
    operator_login: str
    clock: Clock
    sla: SlaSetup
    """Calendars, SLA policies and escalation rules of ``settings``, built once for the console."""
    rules: RuleBook | None = None
    """The event rules the console's changes run (built from ``settings`` by ``make_app``)."""
    locked: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)
    """Set when the console is locked (its operator deactivated): no unit of work starts after it."""

    def uow(self, *, readonly: bool = False) -> UnitOfWork:
        """A unit of work as the console's operator: run it in a thread worker, never on the UI loop.
        Once the console is locked, ``PermissionDenied`` before any statement."""
        from hotline.core.db import UnitOfWork

        if self.locked.is_set():
            from hotline.core.errors import PermissionDenied

            raise PermissionDenied("this console is locked")

        return UnitOfWork(
            self.engine,
            actor_login=self.operator_login,
            clock=self.clock,
            readonly=readonly,
            via="console",
            rules=None if readonly else self.rules,
        )
