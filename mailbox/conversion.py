"""Converting fetched mail for the intake, in a worker process while this one writes the database.

The poller hands each fetched group to the worker as one task (one pickled list each way: the worker
is never left waiting for this process, whose intake thread holds the GIL, to feed it message by
message) and collects the results when the group's turn comes. A worker process costs a fraction of
a second to start, so it is used only with the default converter and when there is more than one
group; it is started before the first fetch, and the first group is converted here while it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from hotline.core.services.mail.incoming import IncomingMail
from hotline.mailbox.convert import parse_message
from hotline.mailbox.incoming import (
    ConversionFailed,
    Converter,
    convert_for_intake,
    convert_group,
    worker_ready,
)

Converted = IncomingMail | ConversionFailed


class Conversions:
    """Conversions of raw messages into ``IncomingMail`` (or the failure, as a value)."""

    def __init__(self, *, converter: Converter, max_bytes: int, workers: int) -> None:
        self.converter = converter
        self.max_bytes = max_bytes
        self.workers = workers
        self._starting = False

    @contextlib.contextmanager
    def pool(self, *, parallel: bool) -> Iterator[ProcessPoolExecutor | None]:
        """Worker processes for a poll with several groups (None: convert in this process). They start
        at once; meanwhile ``start`` converts the first group here."""
        if not parallel or self.workers < 1 or self.converter is not parse_message:
            yield None
            return
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            pool.submit(worker_ready)
            self._starting = True
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def start(self, pool: ProcessPoolExecutor | None, raws: list[bytes]) -> asyncio.Future[list[Converted]]:
        """A group's conversions: one task of the pool, or done here at once without one and for the
        pool's first group (its worker is still starting; this process has nothing else to do yet)."""
        if pool is None or self._starting:
            self._starting = False
            future: asyncio.Future[list[Converted]] = asyncio.get_running_loop().create_future()
            future.set_result([self.convert(raw) for raw in raws])
            return future
        return asyncio.wrap_future(pool.submit(convert_group, raws, self.max_bytes))

    async def collect(
        self, uids: list[int], bodies: dict[int, bytes], converting: asyncio.Future[list[Converted]]
    ) -> list[tuple[int, bytes, Converted]]:
        """A group's results, in UID order. The worker hands a message's failure back as a value; an
        exception here is the pool's own trouble (a worker killed, say), never a message's, so the
        group is converted here instead."""
        try:
            results = await converting
        except Exception:  # the pool's trouble: BrokenProcessPool, a result that would not unpickle …
            results = [self.convert(bodies[uid]) for uid in uids]
        return list(zip(uids, (bodies[uid] for uid in uids), results, strict=True))

    def convert(self, raw: bytes) -> Converted:
        """Convert here, outside any transaction; a failure is returned, to be recorded."""
        return convert_for_intake(raw, self.max_bytes, self.converter)
