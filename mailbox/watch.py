"""The long-running poller: IMAP IDLE per account, reconnecting with back-off, stopping on request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from hotline.core.errors import Unavailable
from hotline.mailbox.imap import ImapConnection

if TYPE_CHECKING:
    from hotline.core.settings import MailAccount
    from hotline.mailbox.poller import Poller

log = logging.getLogger("hotline.mail")


async def watch_account(
    poller: Poller,
    account: MailAccount,
    stop: asyncio.Event,
    idle_timeout: float,
    poll_interval: float,
    max_backoff: float,
) -> None:
    """Keep one account's mail flowing until ``stop``: poll until a poll finds nothing new, then IDLE
    (or sleep ``poll_interval`` where the server has no IDLE); a lost connection is retried after 1,
    2, 4 … ``max_backoff`` s."""
    backoff = 1.0
    while not stop.is_set():
        connection: ImapConnection | None = None
        try:
            connection = await poller.connect(account)
            backoff = 1.0
            while not stop.is_set():
                report = await poller.poll_account(account, connection)
                if report.new:
                    log.info("%s: %s", account.name, report.as_dict())
                    continue  # mail that came during the poll is not announced to IDLE: look again
                if connection.has_idle():
                    await connection.idle(stop, idle_timeout)
                else:
                    await _wait(stop, poll_interval)
        except Unavailable as error:
            log.warning("%s: %s; retrying in %.0f s", account.name, error, backoff)
        finally:
            if connection is not None:
                await connection.close()
        if stop.is_set():
            break
        await _wait(stop, backoff)
        backoff = min(backoff * 2, max_backoff)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
