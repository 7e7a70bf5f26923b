"""The acknowledgement rule, branch by branch: ``decide_acknowledgement`` is the only place that decides,
and the intake follows what it says (on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import select

from hotline.core.models import AuditEntry, OutboxMessage, Ticket
from hotline.core.services.mail.acknowledgement import (
    Acknowledgement,
    acknowledgement_id,
    decide_acknowledgement,
    send_acknowledgement,
)
from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
from hotline.core.services.mail.intake import IntakeOutcome, take_in
from hotline.core.services.outbox import domain_of, enqueue_mail
from hotline.core.services.tickets import create_ticket
from hotline.core.settings import MailAccount, MailSettings, Settings

MAILBOX = MailboxRef(
    name="support",
    queue="Support",
    from_address="Support@Example.com",
    acknowledge=True,
    acknowledgements_per_day=2,
    default_region="RU",
)
MAIL = IncomingMail(
    message_id="<ask@client.example>",
    subject="Printer",
    from_address="Anna@Client.Example",
    from_name="Anna",
    new_text="It does not print.",
)
SENDER = "anna@client.example"


def decide(uow: Any, **changes: Any) -> Acknowledgement:
    """The verdict for ``MAIL`` from ``SENDER`` to ``MAILBOX`` (a new ticket), with ``changes`` applied."""
    arguments: dict[str, Any] = {"mailbox": MAILBOX, "mail": MAIL, "sender": SENDER, "answers": None}
    return decide_acknowledgement(uow, **{**arguments, **changes})


def queue_acknowledgements(uow: Any, *slots: int) -> None:
    """Acknowledgements to ``SENDER`` today in these slots, as earlier intakes would have queued them."""
    for slot in slots:
        enqueue_mail(
            uow,
            to=[SENDER],
            subject="Re: [#1] Printer",
            body="ack",
            kind="acknowledgement",
            message_id=acknowledgement_id(SENDER, uow.now(), slot, domain_of(MAILBOX.from_address)),
        )


def test_a_new_ticket_from_a_person_is_acknowledged_in_the_first_slot(uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow)
    assert verdict == Acknowledgement(slot=1, to=SENDER)
    assert verdict.due


def test_a_reply_threaded_onto_a_ticket_is_not_acknowledged(uow_factory: Any) -> None:
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support")
        verdict = decide(uow, answers=ticket)
    assert not verdict.due
    assert verdict.reason == f"answers ticket #{ticket.number}"


def test_an_account_that_does_not_acknowledge(uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow, mailbox=replace(MAILBOX, acknowledge=False))
    assert (verdict.due, verdict.reason) == (False, "acknowledgements off for this account")


@pytest.mark.parametrize("kind", ["bounce", "auto-reply", "auto-generated", "list", "bulk"])
def test_mail_a_machine_sent_is_never_acknowledged(kind: str, uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow, mail=replace(MAIL, automated_kind=kind))
    assert (verdict.due, verdict.reason) == (False, f"sent by a machine ({kind})")


def test_a_sender_without_a_usable_address(uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow, mail=replace(MAIL, from_address="not an address"), sender=None)
    assert (verdict.due, verdict.reason) == (False, "no usable sender address")


def test_mail_from_our_own_address(uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow, sender="support@example.com")
    assert (verdict.due, verdict.reason) == (False, "sent from our own address")


def test_the_daily_cap_per_sender(uow_factory: Any, clock: Any) -> None:
    with uow_factory() as uow:
        queue_acknowledgements(uow, 1)
    with uow_factory() as uow:
        assert decide(uow) == Acknowledgement(slot=2, to=SENDER)
        queue_acknowledgements(uow, 2)
    with uow_factory() as uow:
        verdict = decide(uow)
    assert (verdict.due, verdict.reason) == (False, f"{SENDER} had 2 today")
    clock.advance(days=1)
    with uow_factory() as uow:
        assert decide(uow) == Acknowledgement(slot=1, to=SENDER)


def test_a_cap_of_zero_acknowledges_nobody(uow_factory: Any) -> None:
    with uow_factory() as uow:
        verdict = decide(uow, mailbox=replace(MAILBOX, acknowledgements_per_day=0))
    assert (verdict.due, verdict.reason) == (False, f"{SENDER} had 0 today")


def test_a_slot_a_parallel_run_took_first_is_not_sent_twice(uow_factory: Any) -> None:
    with uow_factory() as uow:
        ticket = create_ticket(uow, subject="Printer", queue="Support")
        verdict = decide(uow)
        queue_acknowledgements(uow, 1)  # the parallel run commits its acknowledgement in slot 1 first
        sent = send_acknowledgement(uow, decision=verdict, mailbox=MAILBOX, ticket=ticket, mail=MAIL)
        rows = uow.session.exec(select(OutboxMessage)).all()
    assert (sent.due, sent.reason) == (False, "a parallel run took the same slot")
    assert len(rows) == 1  # the savepoint rolled back this one only


def test_the_acknowledgement_sent_follows_the_verdict(uow_factory: Any) -> None:
    with uow_factory() as uow:
        result = take_in(uow, mailbox=MAILBOX, uidvalidity=1, uid=1, mail=MAIL, sla=None)
    assert (result.outcome, result.acknowledged) == (IntakeOutcome.CREATED, True)
    with uow_factory(readonly=True) as uow:
        [ack] = uow.session.exec(select(OutboxMessage)).all()
        ticket = uow.session.exec(select(Ticket)).one()
    assert ack.to_addrs == [SENDER]
    assert ack.message_id == acknowledgement_id(SENDER, ack.created_at, 1, "Example.com")
    assert ack.subject == f"Re: [#{ticket.number}] Printer"
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert ack.in_reply_to == "<ask@client.example>"
    assert "Hello Anna," in ack.body


def test_the_intake_records_why_a_message_was_not_acknowledged(uow_factory: Any) -> None:
    reply = replace(MAIL, message_id="<again@client.example>", thread_ids=("<ask@client.example>",))
    with uow_factory() as uow:
        first = take_in(uow, mailbox=MAILBOX, uidvalidity=1, uid=1, mail=MAIL, sla=None)
        second = take_in(uow, mailbox=MAILBOX, uidvalidity=1, uid=2, mail=reply, sla=None)
    assert (second.outcome, second.acknowledged) == (IntakeOutcome.THREADED, False)
    assert second.acknowledgement.reason == f"answers ticket #{first.ticket_number}"
    with uow_factory(readonly=True) as uow:
        audits = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action == "mail.intake").order_by(AuditEntry.id)
        ).all()
        assert len(uow.session.exec(select(OutboxMessage)).all()) == 1
    assert [entry.after["acknowledged"] for entry in audits] == [True, False]
    assert "not_acknowledged" not in audits[0].after
    assert audits[1].after["not_acknowledged"] == f"answers ticket #{first.ticket_number}"


def test_the_mailbox_takes_the_cap_and_the_region_from_the_settings() -> None:
    account = MailAccount(
        name="sales", imap_host="127.0.0.1", username="u", from_address="sales@example.com", acknowledge=False
    )
    settings = Settings(
        default_region="DE", mail=MailSettings(accounts=[account], acknowledgements_per_sender_per_day=7)
    )
    assert MailboxRef.from_settings(account, settings) == MailboxRef(
        name="sales",
        queue="Support",
        from_address="sales@example.com",
        acknowledge=False,
        acknowledgements_per_day=7,
        default_region="DE",
        can_send=False,  # no smtp_host
    )
