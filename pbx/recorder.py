"""Writes what the adapters ask for (screen pops, call records) in order, in small batches, off the loop.

One writer keeps the PBX's order (a call is recorded as ringing before it is recorded as ended). A batch
is one transaction; if it fails, each of its items is tried alone, so one bad item is logged and counted
and the others are kept. A call whose extension is mapped to a login nobody added is kept without an
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

from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.errors import HotlineError, NotFound
from hotline.core.pbx.ami_calls import Action, Pop
from hotline.core.phones import digits_of
from hotline.core.services.call_records import record_call
from hotline.core.services.screen_pop import request_screen_pop

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine

log = logging.getLogger("hotline.pbx")

BATCH = 100


class CallRecorder:
    """``submit`` from the event loop; ``run`` writes until stopped; ``counts`` says what happened."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        default_region: str,
        on_written: Callable[[list[tuple[Action, float]]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.default_region = default_region
        self.on_written = on_written
        self.queue: asyncio.Queue[tuple[Action, float]] = asyncio.Queue()
        self.counts: Counter[str] = Counter()

    def submit(self, action: Action) -> None:
        """Queue ``action`` (with the moment it was asked for, for the latency figures)."""
        self.queue.put_nowait((action, time.perf_counter()))

    async def run(self, stop: asyncio.Event) -> None:
        """Write batches until ``stop`` is set and the queue is empty."""
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
            await asyncio.to_thread(self._write, batch)
            for _ in batch:
                self.queue.task_done()

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        await self.queue.join()

    def _write(self, batch: list[tuple[Action, float]]) -> None:
        batch = coalesced(batch)
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                for action, _ in batch:
                    self._apply(uow, action)
        except Exception as error:
            if len(batch) == 1 or not _expected(error):
                self._failed(batch[0][0], error)
                if len(batch) == 1:
                    return
            for item in batch:
                self._write_alone(item)
            return
        for action, _ in batch:
            self.counts["pops" if isinstance(action, Pop) else "records"] += 1
        if self.on_written is not None:
            self.on_written(batch)

    def _write_alone(self, item: tuple[Action, float]) -> None:
        action = item[0]
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                self._apply(uow, action)
        except NotFound as error:
            if isinstance(action, Pop) or action.operator_login is None:
                self._failed(action, error)
                return
            # The call is kept without its operator (an extension mapped to a login nobody added).
            self._failed(action, error)
            self._write_alone((replace(action, operator_login=None), item[1]))
            return
        except Exception as error:
            if not _expected(error):
                raise
            self._failed(action, error)
            return
        self.counts["pops" if isinstance(item[0], Pop) else "records"] += 1
        if self.on_written is not None:
            self.on_written([item])

    def _apply(self, uow: UnitOfWork, action: Action) -> None:
        if isinstance(action, Pop):
            if not digits_of(action.number):
                self.counts["pops_without_number"] += 1
                return
            request_screen_pop(uow, operator_login=action.operator_login, number=action.number)
        else:
            record_call(uow, facts=action, default_region=self.default_region)

    def _failed(self, action: Action, error: Exception) -> None:
        self.counts["failed"] += 1
        mapped = classify_database_error(error) or error
        log.error("could not write %s: %s", type(action).__name__, mapped)


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


def _expected(error: Exception) -> bool:
    """A refusal by a service or a database failure: logged and counted, the listener goes on."""
    return isinstance(error, HotlineError) or classify_database_error(error) is not None
