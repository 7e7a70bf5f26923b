"""Writes what the adapters ask for (screen pops, call records) in order, in small batches, off the loop.

One writer keeps the PBX's order (a call is recorded as ringing before it is recorded as ended). A batch
is one transaction; if it fails, each of its items is tried alone, so one bad item is logged and counted
and the others are kept. While the database cannot be reached nothing is dropped: the batch waits and is
tried again with back-off. A call whose extension is mapped to a login nobody added is kept without an
operator (and its pop is refused): logged and counted as failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from hotline.core.attribution import Attributions
from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.errors import HotlineError, NotFound, Unavailable
from hotline.core.pbx.ami_calls import Action, Pop
from hotline.core.phones import digits_of
from hotline.core.services.call_records import end_stale_calls, record_call
from hotline.core.services.screen_pop import request_screen_pop

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine

log = logging.getLogger("hotline.pbx")

BATCH = 100
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


class CallRecorder:
    """``submit`` from the event loop; ``run`` writes until stopped; ``counts`` says what happened."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        default_region: str,
        attributions: Attributions | None = None,
        on_written: Callable[[list[tuple[Action, float]]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.default_region = default_region
        self.attributions = attributions or Attributions(sources=(), campaigns=())
        """The campaigns by the numbers they advertise: a pop's dialled number names its campaign."""
        self.on_written = on_written
        self.queue: asyncio.Queue[tuple[Action, float]] = asyncio.Queue()
        self.counts: Counter[str] = Counter()

    def submit(self, action: Action) -> None:
        """Queue ``action`` (with the moment it was asked for, for the latency figures)."""
        self.queue.put_nowait((action, time.perf_counter()))

    async def run(self, stop: asyncio.Event) -> None:
        """End the calls whose hang-up was missed while nobody listened, then write batches until
        ``stop`` is set and the queue is empty."""
        await asyncio.to_thread(self._end_stale_calls)
        while not (stop.is_set() and self.queue.empty()):
            getter = asyncio.ensure_future(self.queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not getter.done():
                getter.cancel()
                continue
            batch = [getter.result()]
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self._write_until_done(batch, stop)
            for _ in batch:
                self.queue.task_done()

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        await self.queue.join()

    async def _write_until_done(self, batch: list[tuple[Action, float]], stop: asyncio.Event) -> None:
        """Write ``batch``; while the database is unreachable, keep it and try again with back-off (after
        ``stop``, one more try, then what is left is counted as failed)."""
        waiting = coalesced(batch)
        delay = RETRY_FIRST_SECONDS
        while waiting:
            try:
                await asyncio.to_thread(self._write, waiting)
            except DatabaseDown as error:
                self.counts["database_waits"] += 1
                if stop.is_set() and delay > RETRY_FIRST_SECONDS:
                    self.counts["failed"] += len(waiting)
                    log.error("%s: %d writes given up at shutdown", error, len(waiting))
                    return
                log.warning("%s: %d writes kept, again in %.1f s", error, len(waiting), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _write(self, waiting: list[tuple[Action, float]]) -> None:
        """Write ``waiting`` in one transaction, else item by item; what is written leaves the list.

        ``DatabaseDown`` leaves the unwritten items in ``waiting``.
        """
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                for action, _ in waiting:
                    self._apply(uow, action)
        except Exception as error:
            _raise_if_down(error)
            while waiting:
                self._write_alone(waiting[0])
                waiting.pop(0)
            return
        self._written(list(waiting))
        waiting.clear()

    def _write_alone(self, item: tuple[Action, float]) -> None:
        action = item[0]
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                self._apply(uow, action)
        except NotFound as error:
            self._failed(action, error)
            if not isinstance(action, Pop) and action.operator_login is not None:
                # The call is kept without its operator (an extension mapped to a login nobody added).
                self._write_alone((replace(action, operator_login=None), item[1]))
            return
        except Exception as error:
            _raise_if_down(error)
            self._failed(action, error)
            return
        self._written([item])

    def _written(self, items: list[tuple[Action, float]]) -> None:
        for action, _ in items:
            self.counts["pops" if isinstance(action, Pop) else "records"] += 1
        if self.on_written is not None:
            self.on_written(items)

    def _end_stale_calls(self) -> None:
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                ended = end_stale_calls(uow)
        except Exception as error:
            mapped = classify_database_error(error)
            if mapped is None:
                raise
            log.warning("stale calls not ended: %s", mapped)
            return
        if ended:
            self.counts["stale_calls_ended"] += ended
            log.info("%d calls without a hang-up ended as lost", ended)

    def _apply(self, uow: UnitOfWork, action: Action) -> None:
        if isinstance(action, Pop):
            if not digits_of(action.number):
                self.counts["pops_without_number"] += 1
                return
            campaign = self.attributions.for_dialled(action.dialled).campaign if action.dialled else None
            request_screen_pop(
                uow, operator_login=action.operator_login, number=action.number, campaign=campaign
            )
        else:
            record_call(uow, facts=action, default_region=self.default_region)

    def _failed(self, action: Action, error: Exception) -> None:
        self.counts["failed"] += 1
        mapped = classify_database_error(error)
        if mapped is None and not isinstance(error, HotlineError):
            log.exception("could not write %s", type(action).__name__)  # a bug: the traceback is logged
            return
        log.error("could not write %s: %s", type(action).__name__, mapped or error)


def coalesced(batch: list[tuple[Action, float]]) -> list[tuple[Action, float]]:
    """The batch with each call's reports after the first folded into its last one.

    A call's facts carry everything known so far and its state only moves forward, so the last report
    of a call in a batch says all the earlier ones did: under a flood, one write per call instead of three.
    """
    kept: list[tuple[Action, float]] = []
    where: dict[str, int] = {}
    for action, asked in batch:
        if isinstance(action, Pop):
            kept.append((action, asked))
            continue
        index = where.get(action.pbx_call_id)
        if index is None:
            where[action.pbx_call_id] = len(kept)
            kept.append((action, asked))
        else:
            kept[index] = (action, kept[index][1])
    return kept


class DatabaseDown(Exception):
    """The database cannot be reached: the writes wait (in order) and are tried again."""


def _raise_if_down(error: Exception) -> None:
    mapped = classify_database_error(error)
    if isinstance(mapped, Unavailable):
        raise DatabaseDown(str(mapped)) from None
