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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from hotline.core.clock import Clock, SystemClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import ConfigError, Unavailable
from hotline.core.services.mail_intake import (
    IncomingMail,
    MailboxRef,
    MailFile,
    account_state,
    already_processed,
    record_failed,
    save_account_state,
    synthetic_message_id,
    take_in,
)
from hotline.mailbox.convert import parse_message
from hotline.mailbox.imap import ImapConnection
from hotline.mailbox.loops import classify
from hotline.mailbox.message import ParsedMessage

log = logging.getLogger("hotline.mail")

BATCH_BYTES = 32 * 1024 * 1024
Converter = Callable[..., ParsedMessage]


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


def to_incoming(parsed: ParsedMessage, raw: bytes) -> IncomingMail:
    """The converted message as the core intake takes it (with the loop verdict)."""
    verdict = classify(parsed)
    return IncomingMail(
        message_id=parsed.message_id or synthetic_message_id(raw),
        subject=parsed.subject,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        thread_ids=parsed.thread_ids,
        ticket_number=parsed.ticket_number,
        new_text=parsed.new_text,
        quoted_text=parsed.quoted_text,
        to_addresses=parsed.to_addresses,
        cc_addresses=parsed.cc_addresses,
        date=parsed.date,
        attachments=tuple(
            MailFile(
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                content=item.content,
                inline=item.inline,
            )
            for item in parsed.attachments
        ),
        omitted=parsed.omitted,
        automated_kind=None if not verdict.automated else verdict.kind.value,
        automated_reasons=verdict.reasons,
        size=parsed.size,
    )


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
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock or SystemClock()
        self.converter = converter
        self.after_commit = after_commit
        self.imap_timeout = imap_timeout
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
        batch_size = max(1, int(self.settings.mail.batch_size))
        for start in range(0, len(uids), batch_size):
            chunk = uids[start : start + batch_size]
            await self._poll_chunk(account, connection, folder.uidvalidity, chunk, report)
        return report

    async def _poll_chunk(
        self, account: Any, connection: ImapConnection, uidvalidity: int, chunk: list[int], report: PollReport
    ) -> None:
        with UnitOfWork(self.engine, clock=self.clock, readonly=True) as uow:
            recorded = already_processed(uow, account=account.name, uidvalidity=uidvalidity, uids=chunk)
        batch = _Batch(done=[uid for uid in chunk if uid in recorded])
        report.duplicates += len(batch.done)
        wanted = [uid for uid in chunk if uid not in recorded]
        max_bytes = int(self.settings.mail.max_message_bytes)
        sizes = await connection.sizes(wanted) if wanted else {}
        # No try/finally: after a crash nothing is flagged; the re-run finds the commits and flags them.
        for group, limit in _fetch_groups(wanted, sizes, max_bytes):
            bodies = await connection.bodies(group, limit=limit)
            converted = [(uid, bodies[uid], self._convert(bodies[uid])) for uid in group if uid in bodies]
            outcomes = self._take_in_group(account, uidvalidity, converted)
            for uid, outcome in outcomes:
                if self.after_commit is not None:
                    self.after_commit(uid)
                if outcome == "created_acknowledged":
                    report.acknowledged += 1
                    outcome = "created"
                setattr(report, outcome, getattr(report, outcome) + 1)
                (batch.failed if outcome == "failed" else batch.done).append(uid)
        await self._tell_server(account, connection, batch)
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            save_account_state(uow, account=account.name, uidvalidity=uidvalidity, last_uid=max(chunk))

    async def _tell_server(self, account: Any, connection: ImapConnection, batch: _Batch) -> None:
        """Flag or move what is committed; runs only after the commits it reports on."""
        if batch.done:
            if account.processed_folder:
                await connection.move(batch.done, account.processed_folder)
            else:
                await connection.mark_seen(batch.done)
        if batch.failed:
            await connection.move(batch.failed, account.failed_folder)

    def _convert(self, raw: bytes) -> IncomingMail | Exception:
        """Convert outside any transaction; a failure is returned, to be recorded with the others."""
        try:
            parsed = self.converter(raw, max_bytes=int(self.settings.mail.max_message_bytes))
            return to_incoming(parsed, raw)
        except Exception as error:
            return error

    def _take_in_group(
        self, account: Any, uidvalidity: int, converted: list[tuple[int, bytes, IncomingMail | Exception]]
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
                for uid, raw, mail in converted:
                    outcomes.append((uid, self._take_in_one(uow, mailbox, uidvalidity, uid, raw, mail)))
        except (OperationalError, InterfaceError) as error:
            raise Unavailable(f"database: {str(error.orig or error).splitlines()[0]}") from None
        for uid, outcome in outcomes:
            if outcome == "failed":
                log.warning("%s: message UID %s recorded as failed", account.name, uid)
        return outcomes

    def _take_in_one(
        self,
        uow: UnitOfWork,
        mailbox: MailboxRef,
        uidvalidity: int,
        uid: int,
        raw: bytes,
        mail: IncomingMail | Exception,
    ) -> str:
        if isinstance(mail, Exception):
            return self._fail(
                uow, mailbox.name, uidvalidity, uid, raw, None, f"{type(mail).__name__}: {mail}"
            )
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
        await asyncio.gather(
            *(self._watch(account, stop, idle_timeout, poll_interval, max_backoff) for account in accounts)
        )

    async def _watch(
        self, account: Any, stop: asyncio.Event, idle_timeout: float, poll_interval: float, max_backoff: float
    ) -> None:
        backoff = 1.0
        while not stop.is_set():
            connection: ImapConnection | None = None
            try:
                connection = await self.connect(account)
                backoff = 1.0
                while not stop.is_set():
                    report = await self.poll_account(account, connection)
                    if report.new:
                        log.info("%s: %s", account.name, report.as_dict())
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


def sniff_message_id(raw: bytes) -> str | None:
    """The Message-ID read straight from the header bytes, for mail the converter could not read."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(
        rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,990}>)", head, re.IGNORECASE | re.MULTILINE
    )
    return match.group(1).decode("ascii", "replace") if match else None


def _fetch_groups(
    uids: list[int], sizes: dict[int, int], max_bytes: int
) -> list[tuple[list[int], int | None]]:
    """Split UIDs into fetches of at most ``BATCH_BYTES``; a message far over the size limit is fetched
    alone and only in part (the converter notes the rest as left out)."""
    groups: list[tuple[list[int], int | None]] = []
    current: list[int] = []
    current_bytes = 0
    cut = 4 * max_bytes
    for uid in uids:
        size = sizes.get(uid, 0)
        if size > cut:
            groups.append(([uid], cut))
            continue
        if current and current_bytes + size > BATCH_BYTES:
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
