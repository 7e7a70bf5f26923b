"""Converting fetched mail for the intake, in a worker process while this one writes the database.

The poller starts each message's conversion as soon as its group is fetched and collects the results
when the group's turn comes. A worker process costs a fraction of a second to start, so it is used only
with the default converter and when there is more than one group; otherwise conversion runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from hotline.core.services.mail.incoming import IncomingMail
from hotline.mailbox.convert import parse_message
from hotline.mailbox.incoming import ConversionFailed, Converter, convert_for_intake

Converted = IncomingMail | ConversionFailed


class Conversions:
    """Conversions of raw messages into ``IncomingMail`` (or the failure, as a value)."""

    def __init__(self, *, converter: Converter, max_bytes: int, workers: int) -> None:
        self.converter = converter
        self.max_bytes = max_bytes
        self.workers = workers

    @contextlib.contextmanager
    def pool(self, *, parallel: bool) -> Iterator[ProcessPoolExecutor | None]:
        """Worker processes for a poll with several groups (None: convert in this process)."""
        if not parallel or self.workers < 1 or self.converter is not parse_message:
            yield None
            return
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def start(self, pool: ProcessPoolExecutor | None, raw: bytes) -> asyncio.Future[Converted]:
        """One message's conversion: submitted to the pool, or done here at once without one."""
        if pool is None:
            future: asyncio.Future[Converted] = asyncio.get_running_loop().create_future()
            future.set_result(self.convert(raw))
            return future
        return asyncio.wrap_future(pool.submit(convert_for_intake, raw, self.max_bytes))

    async def collect(
        self, uids: list[int], bodies: dict[int, bytes], futures: list[asyncio.Future[Converted]]
    ) -> list[tuple[int, bytes, Converted]]:
        """A group's results, in UID order. The worker hands a message's failure back as a value; an
        exception here is the pool's own trouble (a worker killed, say), never the message's, so that
        message is converted here instead."""
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [
            (uid, bodies[uid], result if isinstance(result, Converted) else self.convert(bodies[uid]))
            for uid, result in zip(uids, results, strict=True)
        ]

    def convert(self, raw: bytes) -> Converted:
        """Convert here, outside any transaction; a failure is returned, to be recorded."""
        return convert_for_intake(raw, self.max_bytes, self.converter)
