"""The SMTP sender: delivers the outbox with aiosmtplib, retrying with back-off, never losing a row.

Rows are claimed (leased) in the database first, so two ``mail send`` runs never send one message
twice at the same time. A 5xx answer is a permanent failure, recorded on the row; a 4xx or a dropped
connection is retried later with doubling delays; an SMTP server that cannot be reached at all, or that
refuses the account's envelope sender (its configuration, not any one mail), leaves the rows untouched
(exit 1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import aiosmtplib

from hotline.core.clock import Clock, SystemClock
from hotline.core.db import UnitOfWork
from hotline.core.errors import ConfigError
from hotline.core.models.enums import OutboxStatus
from hotline.core.services.mail.delivery import (
    Delivery,
    adopt_domain,
    claim_due,
    delivery_files,
    mark_deferred,
    mark_failed_attempt,
    mark_sent,
    release,
)
from hotline.core.services.mail.queued_rows import not_queued_by_hotline
from hotline.core.settings import MailAccount, Settings
from hotline.mailbox.imap import ssl_context

if TYPE_CHECKING:
    from hotline.core.db import Engine

log = logging.getLogger("hotline.mail")

_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    OSError,
    TimeoutError,
)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "errors": self.errors}


def build_message(
    delivery: Delivery,
    *,
    from_address: str,
    clock: Clock,
    files: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    """The MIME message for an outbox row, with the threading headers that make answers come back and
    its attachments (name, content type, bytes; names as RFC 2231 parameters when not ASCII)."""
    message = EmailMessage()
    message["From"] = delivery.headers.get("From") or from_address
    message["To"] = ", ".join(delivery.to_addrs)
    message["Subject"] = delivery.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = delivery.message_id
    if delivery.in_reply_to:
        message["In-Reply-To"] = delivery.in_reply_to
    if delivery.references:
        message["References"] = delivery.references
    for name, value in delivery.headers.items():
        if name.lower() not in {"from", "to", "subject", "date", "message-id", "in-reply-to", "references"}:
            message[name] = str(value)
    message.set_content(delivery.body or "", charset="utf-8")
    for filename, content_type, content in files or []:
        maintype, _, subtype = content_type.partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def verp_address(from_address: str, outbox_id: int) -> str:
    """The envelope sender that names the outbox row (``support+bounce-42@example.com``): a bounce comes
    back to it, and the intake matches the bounce to its row even when it quotes nothing."""
    local, _, domain = from_address.rpartition("@")
    return f"{local}+bounce-{outbox_id}@{domain}" if local and domain else from_address


class Sender:
    """Sends due outbox rows through each account's SMTP server."""

    def __init__(
        self, *, engine: Engine, settings: Settings, clock: Clock | None = None, timeout: float = 30.0
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock or SystemClock()
        self.timeout = timeout

    async def send_due(self, *, limit: int = 200) -> SendReport:
        """Send everything due, ``limit`` rows at a time; a round with an error (a server down: its rows
        were released, due again at once) is the last."""
        report = SendReport()
        while True:
            with UnitOfWork(self.engine, clock=self.clock, via="sender") as uow:
                claimed = claim_due(uow, limit=limit)
            await self._send_claimed(claimed, report)
            if len(claimed) < limit or report.errors:
                return report

    async def _send_claimed(self, claimed: list[Delivery], report: SendReport) -> None:
        by_account: dict[str, list[Delivery]] = {}
        for delivery in claimed:
            account = self._account(delivery.account)
            by_account.setdefault(account.name if account else "", []).append(delivery)
        for name, deliveries in by_account.items():
            account = self._account(name or None)
            if account is None or not account.smtp_host:
                self._release(deliveries)
                report.errors.append("no mail account with an SMTP server is configured")
                continue
            await self._send_account(account, deliveries, report)

    def _account(self, name: str | None) -> MailAccount | None:
        """The account of that name, else the first one with an SMTP server."""
        accounts = list(self.settings.mail.accounts)
        for account in accounts:
            if account.name == name:
                return account
        return next((account for account in accounts if account.smtp_host), None)

    async def _send_account(
        self, account: MailAccount, deliveries: list[Delivery], report: SendReport
    ) -> None:
        where = f"SMTP {account.smtp_host}:{account.smtp_port}"
        try:
            client = await self._connect(account)
        except (*_CONNECTION_ERRORS, aiosmtplib.SMTPException) as error:
            self._release(deliveries)
            report.errors.append(f"cannot reach {where}: {error}")
            return
        try:
            for index, queued in enumerate(deliveries):
                with UnitOfWork(self.engine, clock=self.clock, via="sender") as uow:
                    delivery = adopt_domain(uow, delivery=queued, from_address=account.from_address)
                    files = delivery_files(uow, delivery=delivery)
                forged = not_queued_by_hotline(delivery, from_address=account.from_address)
                if forged is not None:  # an operator's role wrote it in SQL: never sent
                    self._failed(delivery, f"not sent: {forged}", True, report)
                    continue
                try:
                    message = build_message(
                        delivery, from_address=account.from_address, clock=self.clock, files=files
                    )
                except ValueError as error:  # a header no retry can mend: this row fails, not the run
                    self._failed(delivery, f"cannot be written as a mail: {error}", True, report)
                    continue
                envelope = verp_address(account.from_address, delivery.id) if account.verp else None
                try:
                    refused, _ = await client.send_message(message, sender=envelope or account.from_address)
                except aiosmtplib.SMTPSenderRefused as error:  # the account's, not this mail's: none fails
                    self._release(deliveries[index:])
                    report.errors.append(
                        f"{where} refused the sender {error.sender}: {error.code} {error.message}"
                    )
                    return
                except aiosmtplib.SMTPRecipientsRefused as error:
                    codes = [recipient.code for recipient in error.recipients]
                    permanent = all(code >= 500 for code in codes)
                    said = "; ".join(f"{r.recipient} refused: {r.code} {r.message}" for r in error.recipients)
                    if permanent or all(code < 500 for code in codes):
                        self._failed(delivery, said or f"recipients refused: {error}", permanent, report)
                    else:  # some for good, some for now: the retry goes to those put off alone
                        answers = {
                            r.recipient: aiosmtplib.SMTPResponse(r.code, r.message) for r in error.recipients
                        }
                        self._sent(delivery, answers, report)
                except aiosmtplib.SMTPResponseException as error:
                    self._failed(delivery, f"{error.code} {error.message}", error.code >= 500, report)
                except aiosmtplib.SMTPNotSupported as error:  # e.g. a non-ASCII address, no SMTPUTF8
                    self._failed(delivery, str(error), True, report)
                except _CONNECTION_ERRORS as error:
                    self._failed(delivery, f"{where}: {error}", False, report)
                    self._release(deliveries[index + 1 :])
                    report.errors.append(f"lost {where}: {error}")
                    return
                else:
                    self._sent(delivery, refused, report)
        finally:
            try:
                await client.quit()
            except (*_CONNECTION_ERRORS, aiosmtplib.SMTPException):
                client.close()

    async def _connect(self, account: MailAccount) -> aiosmtplib.SMTP:
        security = account.smtp_security
        if security not in ("ssl", "starttls", "none"):
            raise ConfigError(f"smtp_security must be ssl, starttls or none, not {security!r}")
        context = ssl_context(account.ca_file) if security != "none" else None
        client = aiosmtplib.SMTP(
            hostname=account.smtp_host,
            port=account.smtp_port,
            timeout=self.timeout,
            use_tls=security == "ssl",
            start_tls=security == "starttls",
            tls_context=context,
        )
        await client.connect()
        password = account.password()
        username = account.smtp_username or (account.username if security != "none" else None)
        if username and password is not None:
            await client.login(username, password.get_secret_value())
        return client

    def _sent(
        self, delivery: Delivery, refused: dict[str, aiosmtplib.SMTPResponse], report: SendReport
    ) -> None:
        """The server took the message, perhaps not for every recipient (or for none, when it refused
        some for good and put the others off): those it put off (4xx) are tried again later, alone;
        those it refused (5xx) are recorded."""
        answers = {rcpt: f"{answer.code} {answer.message}" for rcpt, answer in refused.items()}
        deferred = {rcpt: answers[rcpt] for rcpt, answer in refused.items() if answer.code < 500}
        with UnitOfWork(self.engine, clock=self.clock, via="sender") as uow:
            if not deferred:
                mark_sent(uow, outbox_id=delivery.id, refused=answers)
                status = OutboxStatus.SENT
            else:
                delivered = [rcpt for rcpt in delivery.to_addrs if rcpt not in refused]
                permanent = {rcpt: why for rcpt, why in answers.items() if rcpt not in deferred}
                status = mark_deferred(
                    uow, outbox_id=delivery.id, delivered=delivered, deferred=deferred, refused=permanent
                )
        if status is OutboxStatus.SENT:
            report.sent += 1
        elif status is OutboxStatus.FAILED:
            report.failed += 1
        else:
            report.retrying += 1

    def _failed(self, delivery: Delivery, error: str, permanent: bool, report: SendReport) -> None:
        with UnitOfWork(self.engine, clock=self.clock, via="sender") as uow:
            status = mark_failed_attempt(uow, outbox_id=delivery.id, error=error, permanent=permanent)
        log.warning("outbox %s to %s: %s (%s)", delivery.id, delivery.to_addrs, error, status)
        if status is OutboxStatus.FAILED:
            report.failed += 1
        else:
            report.retrying += 1

    def _release(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        with UnitOfWork(self.engine, clock=self.clock, via="sender") as uow:
            for delivery in deliveries:
                release(uow, outbox_id=delivery.id)
