"""Live changes: a writer signals a kind of change inside its transaction; a console's watcher learns of
it within a few tens of milliseconds, without scanning any table.

PostgreSQL: ``pg_notify('hotline_<kind>', '<ids>')``, delivered at commit; the payload names the
records changed (ticket numbers: never client data), empty when unknown or too many. The watcher holds
one LISTEN connection of its own (outside the pool) and reconnects when it is lost, then reports every
kind (notifications sent meanwhile are gone).
SQLite: the writer bumps the kind's counter in ``change_signal``; the watcher asks ``PRAGMA data_version``
on its own connection (it moves when another connection commits) every ``poll_seconds`` and reads the
few counters only when it moved. Which records changed is not known there: readers compare what they
show (a ticket's ``updated_at``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from hotline.core.db import UnitOfWork

CHANNELS: tuple[str, ...] = ("screen_pop", "reminder", "ticket", "operator")
"""The kinds of change a console follows live (``operator``: one deactivated, reactivated or given
another role; the ids are operator ids)."""
POLL_SECONDS = 0.02
"""SQLite: how often the watcher asks ``PRAGMA data_version`` (a read of one page already in memory)."""
RECONNECT_SECONDS = 1.0
MAX_PAYLOAD_IDS = 400
"""More records than this in one signal: the payload is left empty ("some of them", readers look)."""
_IDS = re.compile(r"[0-9]{1,18}(?:,[0-9]{1,18})*")

log = logging.getLogger("hotline.core.changes")


def parse_ids(payload: str) -> list[int] | None:
    """The record ids a signal's payload names (``[]``: empty, not said which); None when it is not what
    ``signal_change`` writes (ASCII digits, commas between): any role may NOTIFY, so it is checked."""
    if not payload:
        return []
    return [int(part) for part in payload.split(",")] if _IDS.fullmatch(payload) else None


def signal_change(uow: UnitOfWork, channel: str, ids: Iterable[int] = ()) -> None:
    """Tell the watchers that ``channel`` changed, when (and only if) the unit of work commits;
    ``ids``: which records (PostgreSQL carries them to the watchers, SQLite only counts)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown change channel {channel!r}")
    if uow.session.get_bind().dialect.name == "postgresql":
        named = sorted({int(record) for record in ids})
        payload = ",".join(map(str, named)) if len(named) <= MAX_PAYLOAD_IDS else ""
        # PostgreSQL folds identical notifications of one transaction into one.
        uow.session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": f"hotline_{channel}", "payload": payload},
        )
        return
    uow.session.execute(
        text(
            "INSERT INTO change_signal (channel, version) VALUES (:channel, 1)"
            " ON CONFLICT (channel) DO UPDATE SET version = change_signal.version + 1"
        ),
        {"channel": channel},
    )


class ChangeWatcher:
    """Waits for changes on one engine; made (and so listening) before the first look at the data, so
    nothing committed after that look is missed. Not thread-safe: one thread owns it."""

    def __init__(self, engine: Engine, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.postgres = engine.dialect.name == "postgresql"
        self._connection: Any | None = None
        self._data_version: int | None = None
        self._versions: dict[str, int] = {}
        self._ids: dict[str, set[int] | None] = {}
        self._malformed_logged = False
        self._connect()

    def wait(self, timeout: float) -> set[str]:
        """The channels that changed since the last call, as soon as one did; empty after ``timeout``."""
        self._ids = {}
        if self._connection is None:
            time.sleep(min(timeout, RECONNECT_SECONDS))
            try:
                self._connect()
            except Exception:
                return set()
            return set(CHANNELS)  # what happened while disconnected is unknown
        try:
            return self._wait_postgres(timeout) if self.postgres else self._wait_sqlite(timeout)
        except Exception:
            self._drop()
            return set()

    def ids(self, channel: str) -> frozenset[int] | None:
        """The records of ``channel`` the last ``wait`` reported changed; None when not known which
        (SQLite, a signal naming too many, a reconnection): the reader looks at what it shows."""
        named = self._ids.get(channel)
        return frozenset(named) if named is not None else None

    def close(self) -> None:
        self._drop()

    # -- connections -------------------------------------------------------------------------------

    def _connect(self) -> None:
        if self.postgres:
            import psycopg

            from hotline.core.db import listen_conninfo

            # Directly to the server when the engine goes through a transaction pooler.
            conninfo = listen_conninfo(self.engine)
            connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
            for channel in CHANNELS:
                connection.execute(f"LISTEN hotline_{channel}")
            self._connection = connection
            return
        connection = self.engine.raw_connection()
        self._connection = connection
        self._data_version = self._read_data_version()
        self._versions = self._read_versions()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a connection already lost cannot be closed cleanly
                connection.close()

    # -- PostgreSQL --------------------------------------------------------------------------------

    def _wait_postgres(self, timeout: float) -> set[str]:
        assert self._connection is not None
        notifies = list(self._connection.notifies(timeout=timeout, stop_after=1))
        if notifies:  # take whatever else already arrived, without waiting
            notifies += self._connection.notifies(timeout=0)
        changed: set[str] = set()
        for notify in notifies:
            channel = notify.channel.removeprefix("hotline_")
            if channel not in CHANNELS:
                continue
            parts = parse_ids(notify.payload)
            if parts is None:  # not one of ours: ignored, never a reason to drop the connection
                if not self._malformed_logged:
                    self._malformed_logged = True
                    log.warning("ignored a malformed notification on %s", notify.channel)
                continue
            known = self._ids.get(channel) if channel in changed else set()
            changed.add(channel)
            if known is None or not parts:
                self._ids[channel] = None  # some records, not said which
            else:
                known.update(parts)
                self._ids[channel] = known
        return changed

    # -- SQLite ------------------------------------------------------------------------------------

    def _read_data_version(self) -> int:
        assert self._connection is not None
        cursor = self._connection.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def _read_versions(self) -> dict[str, int]:
        assert self._connection is not None
        cursor = self._connection.cursor()
        try:
            cursor.execute("SELECT channel, version FROM change_signal")
            return {str(channel): int(version) for channel, version in cursor.fetchall()}
        finally:
            cursor.close()

    def _wait_sqlite(self, timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while True:
            version = self._read_data_version()
            if version != self._data_version:
                self._data_version = version
                versions = self._read_versions()
                changed = {
                    channel for channel, value in versions.items() if self._versions.get(channel) != value
                }
                self._versions = versions
                if changed:
                    return changed & set(CHANNELS)
            left = deadline - time.monotonic()
            if left <= 0:
                return set()
            time.sleep(min(self.poll_seconds, left))
