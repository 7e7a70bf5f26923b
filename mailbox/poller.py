"""The IMAP poller: new mail in, tickets out, and the server told only after the commit.

For each account: SELECT the folder, compare UIDVALIDITY with the stored one (a change restarts the
UID count; Message-IDs keep old mail from coming in twice), find the UIDs above the last one done,
skip those already recorded, fetch the rest with ``BODY.PEEK[]`` in size-bounded batches, and take
each group in in one unit of work (``group_intake``). Only then is the group flagged \\Seen or moved,
and the last UID remembered. A message that cannot be converted, or that the server will not return,
becomes a failed-message record and goes to the failed folder; one bad message never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.core.clock import Clock, SystemClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import ConfigError, Unavailable
from hotline.core.rules.book import RuleBook
from hotline.core.services.mail.account_state import account_state, save_account_state
from hotline.core.services.mail.duplicates import recorded_uids
from hotline.core.services.mail.incoming import MailboxRef
from hotline.core.services.mail.intake import IntakeOutcome
from hotline.core.settings import MailAccount, Settings
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.conversion import Conversions, Converted
from hotline.mailbox.convert import parse_message
from hotline.mailbox.group_intake import GroupIntake, MessageOutcome, database_errors
from hotline.mailbox.imap import ImapConnection, Refused
from hotline.mailbox.incoming import ConversionFailed, Converter
from hotline.mailbox.poll_report import PollReport

if TYPE_CHECKING:
    from hotline.core.db import Engine

log = logging.getLogger("hotline.mail")

BATCH_BYTES = 16 * 1024 * 1024

# A group being taken in (in a thread) while the next one is fetched: its UIDs and its task.
_Pending = tuple[list[int], asyncio.Task[list[MessageOutcome]]]


@dataclass
class _Batch:
    """UIDs whose commit is done, to flag or move (``done``) or to move to the failed folder."""

    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class Poller:
    """Polls the configured accounts into the database behind ``engine``.

    ``sla``: the SLA set-up the entry point built for this process (new tickets start their clocks).
    """

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        sla: SlaSetup,
        clock: Clock | None = None,
        converter: Converter = parse_message,
        after_commit: Callable[[int], None] | None = None,
        imap_timeout: float = 30.0,
        workers: int = 1,
        rules: RuleBook | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sla = sla
        self.rules = rules if rules is not None else RuleBook.from_settings(settings, sla=sla)
        self.clock = clock or SystemClock()
        self.after_commit = after_commit
        self.imap_timeout = imap_timeout
        self.conversions = Conversions(
            converter=converter, max_bytes=settings.mail.max_message_bytes, workers=workers
        )

    async def connect(self, account: MailAccount) -> ImapConnection:
        password = account.password()
        if password is None and account.password_env is None:
            raise ConfigError(
                f"mail account {account.name!r} has no password_env: name the environment variable that"
                " holds its password"
            )
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

    async def run_once(self, accounts: list[MailAccount]) -> list[PollReport]:
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

    async def poll_account(self, account: MailAccount, connection: ImapConnection) -> PollReport:
        """Take in what is new in the account's folder; the server hears of each group after its commit."""
        report = PollReport(account=account.name)
        folder = await connection.select(account.folder)
        last_uid = self._resume_from(account, folder.uidvalidity, report)
        uids = await connection.uids_after(last_uid)
        report.new = len(uids)
        if not uids:
            return report
        wanted = await self._skip_recorded(account, connection, folder.uidvalidity, uids, report)
        await self._take_in_new(account, connection, folder.uidvalidity, wanted, report)
        with self._unit_of_work() as uow:
            save_account_state(uow, account=account.name, uidvalidity=folder.uidvalidity, last_uid=max(uids))
        return report

    @contextlib.contextmanager
    def _unit_of_work(self, *, readonly: bool = False) -> Iterator[UnitOfWork]:
        """A unit of work whose database failures are read as every face reads them."""
        with (
            database_errors(),
            UnitOfWork(self.engine, clock=self.clock, readonly=readonly, via="poller") as uow,
        ):
            yield uow

    def _resume_from(self, account: MailAccount, uidvalidity: int, report: PollReport) -> int:
        """The last UID done in this folder generation (0 after a UIDVALIDITY change)."""
        with self._unit_of_work(readonly=True) as uow:
            state = account_state(uow, account=account.name)
        last_uid = state.last_uid
        if state.uidvalidity is not None and state.uidvalidity != uidvalidity:
            log.warning("%s: UIDVALIDITY changed %s → %s", account.name, state.uidvalidity, uidvalidity)
            report.uidvalidity_changed = True
            last_uid = 0
        if state.uidvalidity != uidvalidity:
            with self._unit_of_work() as uow:
                save_account_state(uow, account=account.name, uidvalidity=uidvalidity, last_uid=0)
        return last_uid

    async def _skip_recorded(
        self,
        account: MailAccount,
        connection: ImapConnection,
        uidvalidity: int,
        uids: list[int],
        report: PollReport,
    ) -> list[int]:
        """The UIDs not recorded yet; those recorded by an earlier run that stopped before telling the
        server are told now (and counted as duplicates)."""
        with self._unit_of_work(readonly=True) as uow:
            taken, failed = recorded_uids(uow, account=account.name, uidvalidity=uidvalidity, uids=uids)
        recorded = taken | failed
        if recorded:
            for _ in recorded:
                report.count(IntakeOutcome.DUPLICATE)
            batch = _Batch(done=sorted(taken), failed=sorted(failed - taken))
            await self._tell_server(account, connection, batch, report)
        return [uid for uid in uids if uid not in recorded]

    async def _take_in_new(
        self,
        account: MailAccount,
        connection: ImapConnection,
        uidvalidity: int,
        wanted: list[int],
        report: PollReport,
    ) -> None:
        """Fetch, convert and take in ``wanted`` group by group: while one group is taken in (database,
        in a thread), the next is fetched (IMAP, here) and converted (worker process). No try/finally
        around the server: after a crash nothing is flagged; the re-run finds the commits and flags them."""
        max_bytes = self.settings.mail.max_message_bytes
        sizes = await connection.sizes(wanted) if wanted else {}
        groups = _fetch_groups(wanted, sizes, max_bytes, max(1, self.settings.mail.batch_size))
        intake = GroupIntake(
            engine=self.engine,
            clock=self.clock,
            sla=self.sla,
            mailbox=MailboxRef.from_settings(account, self.settings),
            rules=self.rules,
        )
        served = False  # whether the server has returned a message in this poll
        with self.conversions.pool(parallel=len(groups) > 1) as pool:
            pending: _Pending | None = None
            try:
                for index, (group, limit) in enumerate(groups):
                    later = [uid for uids, _ in groups[index + 1 : index + 4] for uid in uids][:3]
                    bodies, unreadable = await self._fetch(account, connection, group, limit, served, later)
                    served = served or bool(bodies)
                    present = [uid for uid in group if uid in bodies]  # others were expunged meanwhile
                    started = self.conversions.start(pool, [bodies[uid] for uid in present])
                    if pending is not None:
                        await self._report_group(account, connection, uidvalidity, pending, report)
                    converting = _with_unreadable(
                        self.conversions.collect(present, bodies, started), unreadable
                    )
                    pending = (
                        group,
                        asyncio.create_task(self._take_in_group(intake, uidvalidity, converting)),
                    )
                if pending is not None:
                    await self._report_group(account, connection, uidvalidity, pending, report)
            except BaseException:
                await _settle(pending)
                raise

    async def _fetch(
        self,
        account: MailAccount,
        connection: ImapConnection,
        group: list[int],
        limit: int | None,
        served: bool,
        later: list[int],
    ) -> tuple[dict[int, bytes], dict[int, str]]:
        """The group's bodies. When the server will not return them together (a NO, or it closes the
        connection: Dovecot does on a message it cannot read), or leaves out one that is still there
        (not expunged), those are fetched alone on a live connection; one it will not return alone
        either is named with the reason, to be kept as a failed message, so that the mail after it
        still comes in and none is passed over unseen. A server that cannot be reached again, or that
        returns no message at all in this poll (``served``, else one of the ``later`` UIDs is tried: a
        locked mailbox or a storage hiccup says nothing about any one message), is the run's error,
        and nothing is recorded."""
        try:
            bodies = await connection.bodies(group, limit=limit)
        except Unavailable as error:
            log.warning("%s: fetching UIDs %s: %s; fetching them one by one", account.name, group, error)
            bodies, alone = {}, group
        else:
            missing = [uid for uid in group if uid not in bodies]
            alone = sorted(await connection.existing(missing)) if missing else []  # not expunged
        unreadable: dict[int, str] = {}
        for uid in alone:
            await connection.reopen()
            try:
                found = await connection.bodies([uid], limit=limit)
            except Unavailable as error:
                await connection.reopen()  # a server that went away is the run's error, not the message's
                unreadable[uid] = f"the IMAP server would not return it: {error}"
            else:
                if uid in found:
                    bodies[uid] = found[uid]
                elif await connection.existing([uid]):
                    unreadable[uid] = "the IMAP server answered its FETCH with no body"
        if unreadable and not bodies and not served and not await self._serves(connection, later):
            raise Unavailable(next(iter(unreadable.values())))
        for uid, reason in unreadable.items():
            log.error("%s: UID %s: %s", account.name, uid, reason)
        return bodies, unreadable

    async def _serves(self, connection: ImapConnection, later: list[int]) -> bool:
        """Whether the server returns one of the ``later`` messages (the first it still has)."""
        for uid in later:
            await connection.reopen()
            try:
                if await connection.bodies([uid], limit=64):
                    return True
            except Unavailable:
                continue
        return False

    async def _take_in_group(
        self, intake: GroupIntake, uidvalidity: int, converting: Awaitable[list[tuple[int, bytes, Converted]]]
    ) -> list[MessageOutcome]:
        """Wait for a group's conversions, then take it in, in a thread (the event loop meanwhile
        fetches the next group)."""
        converted = await converting
        return await asyncio.to_thread(intake.take_in, uidvalidity, converted)

    async def _report_group(
        self,
        account: MailAccount,
        connection: ImapConnection,
        uidvalidity: int,
        pending: _Pending,
        report: PollReport,
    ) -> None:
        """After a group's commit (its task's end), tell the server and remember the last UID."""
        group, taking_in = pending
        outcomes = await taking_in
        batch = _Batch()
        for item in outcomes:
            if self.after_commit is not None:
                self.after_commit(item.uid)
            report.count(item.outcome, acknowledged=item.acknowledged)
            (batch.failed if item.outcome is IntakeOutcome.FAILED else batch.done).append(item.uid)
        await self._tell_server(account, connection, batch, report)
        if group:
            with self._unit_of_work() as uow:
                save_account_state(uow, account=account.name, uidvalidity=uidvalidity, last_uid=max(group))

    async def _tell_server(
        self, account: MailAccount, connection: ImapConnection, batch: _Batch, report: PollReport
    ) -> None:
        """Flag or move what is committed; runs only after the commits it reports on. A message the
        server refuses to move is recorded already (as taken in, or as failed: ``hotline mail failed``):
        the refusal is the run's error, a message taken in is flagged \\Seen instead, and later mail
        still comes in rather than waiting behind it."""
        if batch.done and account.processed_folder:
            try:
                await connection.move(batch.done, account.processed_folder)
            except Refused as error:
                _refused(report, account.name, "messages", account.processed_folder, batch.done, error)
                await connection.mark_seen(batch.done)
        elif batch.done:
            await connection.mark_seen(batch.done)
        if batch.failed:
            try:
                await connection.move(batch.failed, account.failed_folder)
            except Refused as error:
                _refused(report, account.name, "failed messages", account.failed_folder, batch.failed, error)

    async def run_forever(
        self,
        accounts: list[MailAccount],
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


def _refused(
    report: PollReport, account: str, what: str, folder: str, uids: list[int], error: Refused
) -> None:
    """A move the server refused: logged and made the run's error (its first), the messages left."""
    log.error("%s: %s %s left in place: %s", account, what, uids, error)
    report.error = report.error or f"{what} not moved to {folder!r}: {error}"


async def _with_unreadable(
    converting: Awaitable[list[tuple[int, bytes, Converted]]], unreadable: dict[int, str]
) -> list[tuple[int, bytes, Converted]]:
    """A group's conversions, with the messages the server would not return as failed ones (no bytes)."""
    converted = await converting
    if not unreadable:
        return converted
    failed = [(uid, b"", ConversionFailed(reason)) for uid, reason in unreadable.items()]
    return sorted([*converted, *failed], key=lambda item: item[0])


async def _settle(pending: _Pending | None) -> None:
    """A fetch failed while a group was being taken in: let that transaction end (commit or not)
    before giving up, telling the server nothing; the next run flags what committed."""
    if pending is None:
        return
    task = pending[1]
    if not task.done():
        await asyncio.wait({task})
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: the error being raised is the one that counts


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
