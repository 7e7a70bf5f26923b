"""Taking a fetched group of messages in: one unit of work; runs of messages written together, in a
savepoint each (``take_in_together``), and the messages a run cannot take each in its own savepoint.

A run whose write fails is taken in again message by message; a message that fails is rolled back
alone and kept as a failed message. The group commits once, and only then does the poller tell the
server. A database that cannot be reached rolls the whole group back (``Unavailable``): nothing is
flagged on the server, and the next run takes the group in again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.core.clock import Clock
from hotline.core.db import UnitOfWork, classify_database_error
from hotline.core.errors import HotlineError, Unavailable
from hotline.core.services.mail.failed import record_failed
from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
from hotline.core.services.mail.intake import (
    IntakeContext,
    IntakeOutcome,
    finish_intake,
    prepare_intake,
    take_in,
)
from hotline.core.services.mail.intake_together import Together, take_in_together
from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.conversion import Converted
from hotline.mailbox.incoming import ConversionFailed, sniff_message_id

if TYPE_CHECKING:
    from hotline.core.db import Engine
    from hotline.core.rules.book import RuleBook

log = logging.getLogger("hotline.mail")


@dataclass(frozen=True)
class MessageOutcome:
    """What became of one message of a group."""

    uid: int
    outcome: IntakeOutcome
    acknowledged: bool = False


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Raise a database failure as the error every face understands (``classify_database_error``):
    ``Unavailable`` for a database that cannot be reached, else ``DatabaseFailure``."""
    try:
        yield
    except HotlineError:
        raise
    except Exception as error:
        problem = classify_database_error(error)
        if problem is None:
            raise
        raise problem from None


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (then no message is to blame)."""
    return isinstance(error, Unavailable) or isinstance(classify_database_error(error), Unavailable)


@dataclass(frozen=True)
class GroupIntake:
    """Takes the converted messages of one account's fetched group into the database."""

    engine: Engine
    clock: Clock
    sla: SlaSetup
    mailbox: MailboxRef
    rules: RuleBook | None = None
    """The event rules each message's unit of work runs (mail.received, ticket.created …)."""
    together: bool = True
    """Take runs of messages in together (``take_in_together``); False: every message alone, as a run
    whose write failed is taken in (the tests compare the two)."""

    def take_in(
        self, uidvalidity: int, converted: list[tuple[int, bytes, Converted]]
    ) -> list[MessageOutcome]:
        """One transaction for the group, committed once; the outcome of each message, in order."""
        outcomes: list[MessageOutcome] = []
        with (
            database_errors(),
            UnitOfWork(self.engine, clock=self.clock, via="poller", rules=self.rules) as uow,
        ):
            mails = [(uid, mail) for uid, _, mail in converted if not isinstance(mail, ConversionFailed)]
            context = self._prepare(uow, uidvalidity, mails)
            index = 0
            while index < len(converted):
                outcomes += self._take_in_from(uow, uidvalidity, converted, index, context)
                index = len(outcomes)
            finish_intake(uow, context)
        for item in outcomes:
            if item.outcome is IntakeOutcome.FAILED:
                log.warning("%s: message UID %s recorded as failed", self.mailbox.name, item.uid)
        return outcomes

    def _take_in_from(
        self,
        uow: UnitOfWork,
        uidvalidity: int,
        converted: list[tuple[int, bytes, Converted]],
        start: int,
        context: IntakeContext,
    ) -> list[MessageOutcome]:
        """From ``start`` on: the converted messages before the next failed conversion, as many as can
        be taken in together, then those that go alone (a failed conversion is recorded alone)."""
        run: list[tuple[int, IncomingMail]] = []
        for uid, _, mail in converted[start:]:
            if isinstance(mail, ConversionFailed):
                break
            run.append((uid, mail))
        together = Together(results=[], alone=1)
        if run and self.together:
            together = take_in_together(
                uow, mailbox=self.mailbox, uidvalidity=uidvalidity, mails=run, sla=self.sla, context=context
            )
        outcomes = [
            MessageOutcome(uid=uid, outcome=result.outcome, acknowledged=result.acknowledged)
            for (uid, _), result in zip(run, together.results, strict=False)
        ]
        position = start + len(outcomes)
        alone = together.alone if outcomes else max(1, together.alone)  # always a step forward
        for uid, raw, mail in converted[position : position + alone]:
            outcomes.append(self._take_in_one(uow, uidvalidity, uid, raw, mail, context))
        return outcomes

    def _prepare(
        self, uow: UnitOfWork, uidvalidity: int, mails: list[tuple[int, IncomingMail]]
    ) -> IntakeContext:
        """What the group's messages share and need, looked up once; on trouble each message looks for
        itself (and fails alone, as it would have without the group)."""
        try:
            return prepare_intake(uow, mailbox=self.mailbox, uidvalidity=uidvalidity, mails=mails)
        except Exception as error:
            if unreachable(error):
                raise
            log.warning("%s: queue %r: %s", self.mailbox.name, self.mailbox.queue, error)
            return IntakeContext()

    def _take_in_one(
        self,
        uow: UnitOfWork,
        uidvalidity: int,
        uid: int,
        raw: bytes,
        mail: Converted,
        context: IntakeContext,
    ) -> MessageOutcome:
        if isinstance(mail, ConversionFailed):
            return self._fail(uow, uidvalidity, uid, raw, None, str(mail))
        try:
            result = take_in(
                uow,
                mailbox=self.mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                mail=mail,
                sla=self.sla,
                context=context,
            )
        except Exception as error:
            if unreachable(error):
                raise
            problem = classify_database_error(error)
            reason = str(problem) if problem is not None else f"{type(error).__name__}: {error}"
            return self._fail(uow, uidvalidity, uid, raw, mail.message_id, reason)
        return MessageOutcome(uid=uid, outcome=result.outcome, acknowledged=result.acknowledged)

    def _fail(
        self, uow: UnitOfWork, uidvalidity: int, uid: int, raw: bytes, message_id: str | None, reason: str
    ) -> MessageOutcome:
        record_failed(
            uow,
            account=self.mailbox.name,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=message_id or sniff_message_id(raw),
            reason=reason,
            raw=raw,
        )
        return MessageOutcome(uid=uid, outcome=IntakeOutcome.FAILED)
