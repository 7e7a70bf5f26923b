"""The IMAP poller: new mail in, tickets out, and the server told only after the commit.

For each account: SELECT the folder, compare UIDVALIDITY with the stored one (a change restarts the
UID count; Message-IDs keep old mail from coming in twice), find the UIDs above the last one done,
skip those already recorded, fetch the rest with ``BODY.PEEK[]`` in size-bounded batches, and turn each
into a ticket or event in its own unit of work. Only then is the batch flagged \\Seen or moved, and the
last UID remembered. A message that cannot be converted becomes a failed-message record and goes to
the failed folder; one bad message never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from hotline.core.clock import Clock, SystemClock
from hotline.core.db import UnitOfWork, database_error_reason
from hotline.core.errors import ConfigError, Unavailable
from hotline.core.services.mail_intake import (
    IncomingMail,
    IntakeContext,
    MailboxRef,
    account_state,
    already_processed,
    prepare_intake,
    record_failed,
    save_account_state,
    take_in,
)
from hotline.mailbox.convert import parse_message
from hotline.mailbox.imap import ImapConnection
from hotline.mailbox.incoming import (
    ConversionFailed,
    Converter,
    convert_for_intake,
    sniff_message_id,
)

log = logging.getLogger("hotline.mail")

BATCH_BYTES = 16 * 1024 * 1024


@dataclass
class PollReport:
    """What one poll of one account did."""

    account: str
    new: int = 0
    created: int = 0
    threaded: int = 0
    duplicates: int = 0
    failed: int = 0
    acknowledged: int = 0
    uidvalidity_changed: bool = False
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Batch:
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class Poller:
    """Polls the configured accounts into the database behind ``engine``."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Any,
        clock: Clock | None = None,
        converter: Converter = parse_message,
        after_commit: Callable[[int], None] | None = None,
        imap_timeout: float = 30.0,
        workers: int = 1,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock or SystemClock()
        self.converter = converter
        self.after_commit = after_commit
        self.imap_timeout = imap_timeout
        self.workers = workers
        self.sla = _sla_setup(settings)

    async def connect(self, account: Any) -> ImapConnection:
        password = account.password()
        if password is None:
            raise ConfigError(
                f"no password for mail account {account.name!r}: set the variable {account.password_env!r}"
            )
        return await ImapConnection.open(
            host=account.imap_host,
            port=account.imap_port,
            security=account.imap_security,
            username=account.username,
            password=password.get_secret_value(),
            timeout=self.imap_timeout,
            ca_file=account.ca_file,
        )

    async def run_once(self, accounts: list[Any]) -> list[PollReport]:
        """Poll every account once; an unreachable one is reported and the others still run."""
        reports: list[PollReport] = []
        for account in accounts:
            try:
                connection = await self.connect(account)
            except Unavailable as error:
                reports.append(PollReport(account=account.name, error=str(error)))
                continue
            try:
                reports.append(await self.poll_account(account, connection))
            except Unavailable as error:
                reports.append(PollReport(account=account.name, error=str(error)))
            finally:
                await connection.close()
        return reports

    async def poll_account(self, account: Any, connection: ImapConnection) -> PollReport:
        report = PollReport(account=account.name)
        folder = await connection.select(account.folder)
        with UnitOfWork(self.engine, clock=self.clock, readonly=True) as uow:
            state = account_state(uow, account=account.name)
        last_uid = state.last_uid
        if state.uidvalidity is not None and state.uidvalidity != folder.uidvalidity:
            log.warning(
                "%s: UIDVALIDITY changed %s → %s", account.name, state.uidvalidity, folder.uidvalidity
            )
            report.uidvalidity_changed = True
            last_uid = 0
        if state.uidvalidity != folder.uidvalidity:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                save_account_state(uow, account=account.name, uidvalidity=folder.uidvalidity, last_uid=0)
        uids = await connection.uids_after(last_uid)
        report.new = len(uids)
        if not uids:
            return report
        with UnitOfWork(self.engine, clock=self.clock, readonly=True) as uow:
            recorded = already_processed(uow, account=account.name, uidvalidity=folder.uidvalidity, uids=uids)
        if recorded:  # committed by an earlier run that stopped before telling the server
            report.duplicates += len(recorded)
            await self._tell_server(account, connection, _Batch(done=sorted(recorded)))
        wanted = [uid for uid in uids if uid not in recorded]
        max_bytes = int(self.settings.mail.max_message_bytes)
        sizes = await connection.sizes(wanted) if wanted else {}
        groups = _fetch_groups(wanted, sizes, max_bytes, max(1, int(self.settings.mail.batch_size)))
        # While one group is taken in (database, in a thread), the next is fetched (IMAP, here) and
        # converted (worker process). The server hears of a group only once its commit is done.
        # No try/finally: after a crash nothing is flagged; the re-run finds the commits and flags them.
        with self._conversion_pool(parallel=len(groups) > 1) as pool:
            taking_in: tuple[list[int], asyncio.Task[list[tuple[int, str]]]] | None = None
            try:
                for group, limit in groups:
                    bodies = await connection.bodies(group, limit=limit)
                    started = (
                        group,
                        bodies,
                        [self._start_conversion(pool, bodies[uid]) for uid in group if uid in bodies],
                    )
                    if taking_in is not None:
                        await self._report_group(account, connection, folder.uidvalidity, *taking_in, report)
                    taking_in = (
                        group,
                        asyncio.create_task(self._take_in_fetched(account, folder.uidvalidity, started)),
                    )
                if taking_in is not None:
                    await self._report_group(account, connection, folder.uidvalidity, *taking_in, report)
            except BaseException:
                # A fetch failed while a group was being taken in: let that transaction end (commit or
                # not) before giving up, telling the server nothing; the next run flags what committed.
                if taking_in is not None and not taking_in[1].done():
                    await asyncio.wait({taking_in[1]})
                if taking_in is not None and taking_in[1].done() and not taking_in[1].cancelled():
                    taking_in[1].exception()  # retrieved: the error raised here is the one that counts
                raise
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            save_account_state(uow, account=account.name, uidvalidity=folder.uidvalidity, last_uid=max(uids))
        return report

    @contextlib.contextmanager
    def _conversion_pool(self, *, parallel: bool) -> Iterator[ProcessPoolExecutor | None]:
        """A worker process converting mail while this one writes the database (default converter only,
        and only when there is more than one group: starting the worker costs a fraction of a second)."""
        if not parallel or self.workers < 1 or self.converter is not parse_message:
            yield None
            return
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _start_conversion(self, pool: ProcessPoolExecutor | None, raw: bytes) -> Any:
        max_bytes = int(self.settings.mail.max_message_bytes)
        if pool is None:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_result(self._convert(raw))
            return future
        return asyncio.wrap_future(pool.submit(convert_for_intake, raw, max_bytes))

    async def _take_in_fetched(
        self, account: Any, uidvalidity: int, pending: tuple[list[int], dict[int, bytes], list[Any]]
    ) -> list[tuple[int, str]]:
        """Wait for a fetched group's conversions, then take it in, in a thread (the event loop meanwhile
        fetches the next group)."""
        group, bodies, futures = pending
        present = [uid for uid in group if uid in bodies]  # others were expunged meanwhile
        results = await asyncio.gather(*futures, return_exceptions=True)
        # The worker hands failures back as values; an exception here is the pool's own trouble
        # (a worker killed, say), never the message's: convert those here instead.
        converted = [
            (
                uid,
                bodies[uid],
                result if isinstance(result, IncomingMail | ConversionFailed) else self._convert(bodies[uid]),
            )
            for uid, result in zip(present, results, strict=True)
        ]
        return await asyncio.to_thread(self._take_in_group, account, uidvalidity, converted)

    async def _report_group(
        self,
        account: Any,
        connection: ImapConnection,
        uidvalidity: int,
        group: list[int],
        taking_in: asyncio.Task[list[tuple[int, str]]],
        report: PollReport,
    ) -> None:
        """After a group's commit (its task's end), tell the server and remember the last UID."""
        outcomes = await taking_in
        batch = _Batch()
        for uid, outcome in outcomes:
            if self.after_commit is not None:
                self.after_commit(uid)
            if outcome == "created_acknowledged":
                report.acknowledged += 1
                outcome = "created"
            setattr(report, outcome, getattr(report, outcome) + 1)
            (batch.failed if outcome == "failed" else batch.done).append(uid)
        await self._tell_server(account, connection, batch)
        if group:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                save_account_state(uow, account=account.name, uidvalidity=uidvalidity, last_uid=max(group))

    async def _tell_server(self, account: Any, connection: ImapConnection, batch: _Batch) -> None:
        """Flag or move what is committed; runs only after the commits it reports on."""
        if batch.done:
            if account.processed_folder:
                await connection.move(batch.done, account.processed_folder)
            else:
                await connection.mark_seen(batch.done)
        if batch.failed:
            await connection.move(batch.failed, account.failed_folder)

    def _convert(self, raw: bytes) -> IncomingMail | ConversionFailed:
        """Convert here, outside any transaction; a failure is returned, to be recorded."""
        return convert_for_intake(raw, int(self.settings.mail.max_message_bytes), self.converter)

    def _take_in_group(
        self,
        account: Any,
        uidvalidity: int,
        converted: list[tuple[int, bytes, IncomingMail | ConversionFailed]],
    ) -> list[tuple[int, str]]:
        """One transaction for a fetched group, one savepoint per message: a message that fails rolls
        back alone and is recorded as failed; the group commits once (then the server is told)."""
        mailbox = MailboxRef(
            name=account.name,
            queue=account.queue,
            from_address=account.from_address,
            acknowledge=account.acknowledge,
            acknowledgements_per_day=int(self.settings.mail.acknowledgements_per_sender_per_day),
        )
        outcomes: list[tuple[int, str]] = []
        try:
            with UnitOfWork(self.engine, clock=self.clock) as uow:
                context = self._prepare(uow, mailbox)
                for uid, raw, mail in converted:
                    outcome = self._take_in_one(uow, mailbox, uidvalidity, uid, raw, mail, context)
                    outcomes.append((uid, outcome))
        except (OperationalError, InterfaceError) as error:
            raise Unavailable(f"database: {database_error_reason(error)}") from None
        for uid, outcome in outcomes:
            if outcome == "failed":
                log.warning("%s: message UID %s recorded as failed", account.name, uid)
        return outcomes

    def _prepare(self, uow: UnitOfWork, mailbox: MailboxRef) -> IntakeContext:
        """What the group's messages share, looked up once; on trouble each message looks for itself
        (and fails alone, as before)."""
        try:
            with uow.session.begin_nested():
                return prepare_intake(uow, mailbox=mailbox)
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            log.warning("%s: queue %r: %s", mailbox.name, mailbox.queue, error)
            return IntakeContext()

    def _take_in_one(
        self,
        uow: UnitOfWork,
        mailbox: MailboxRef,
        uidvalidity: int,
        uid: int,
        raw: bytes,
        mail: IncomingMail | ConversionFailed,
        context: IntakeContext | None = None,
    ) -> str:
        if isinstance(mail, ConversionFailed):
            return self._fail(uow, mailbox.name, uidvalidity, uid, raw, None, str(mail))
        try:
            with uow.session.begin_nested():
                result = take_in(
                    uow,
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    mail=mail,
                    sla=self.sla,
                    default_region=getattr(self.settings, "default_region", "RU"),
                    context=context,
                )
        except (OperationalError, InterfaceError):
            raise
        except IntegrityError:
            if already_processed(uow, account=mailbox.name, uidvalidity=uidvalidity, uids=[uid]):
                return "duplicates"  # a parallel run committed it first
            return self._fail(uow, mailbox.name, uidvalidity, uid, raw, mail.message_id, "integrity error")
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            return self._fail(uow, mailbox.name, uidvalidity, uid, raw, mail.message_id, reason)
        if result.duplicate:
            return "duplicates"
        if result.created:
            return "created_acknowledged" if result.acknowledged else "created"
        return "threaded"

    def _fail(
        self,
        uow: UnitOfWork,
        account: str,
        uidvalidity: int,
        uid: int,
        raw: bytes,
        message_id: str | None,
        reason: str,
    ) -> str:
        with uow.session.begin_nested():
            record_failed(
                uow,
                account=account,
                uidvalidity=uidvalidity,
                uid=uid,
                message_id=message_id or sniff_message_id(raw),
                reason=reason,
                raw=raw,
            )
        return "failed"

    async def run_forever(
        self,
        accounts: list[Any],
        stop: asyncio.Event,
        *,
        idle_timeout: float = 25 * 60,
        poll_interval: float = 60.0,
        max_backoff: float = 300.0,
    ) -> None:
        """Watch every account until ``stop`` is set: IDLE where offered, else poll every
        ``poll_interval``; a lost connection is retried with doubling back-off."""
        from hotline.mailbox.watch import watch_account

        await asyncio.gather(
            *(
                watch_account(self, account, stop, idle_timeout, poll_interval, max_backoff)
                for account in accounts
            )
        )


def _fetch_groups(
    uids: list[int], sizes: dict[int, int], max_bytes: int, batch_size: int
) -> list[tuple[list[int], int | None]]:
    """Split UIDs into fetches of at most ``batch_size`` messages and ``BATCH_BYTES``; a message far
    over the size limit is fetched alone and only in part (the converter notes the rest as left out)."""
    groups: list[tuple[list[int], int | None]] = []
    current: list[int] = []
    current_bytes = 0
    cut = 4 * max_bytes
    for uid in uids:
        size = sizes.get(uid, 0)
        if size > cut:
            groups.append(([uid], cut))
            continue
        if current and (current_bytes + size > BATCH_BYTES or len(current) >= batch_size):
            groups.append((current, None))
            current, current_bytes = [], 0
        current.append(uid)
        current_bytes += size
    if current:
        groups.append((current, None))
    return groups


def _sla_setup(settings: Any) -> Any:
    try:
        from hotline.core.sla.policy import SlaSetup
    except ImportError:
        return None
    return SlaSetup.from_settings(settings) if hasattr(settings, "calendars") else None
