"""Two transactions taking in one Message-ID under different UIDs at the same time make one ticket."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlmodel import func, select

from hotline.core.models import ProcessedMessage, Ticket
from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
from hotline.core.services.mail.intake import IntakeResult, take_in

MAIL = IncomingMail(
    message_id="<race@client.example>",
    subject="Printer on fire",
    from_address="race@client.example",
    from_name="Race",
    new_text="It is on fire.",
)


def mailbox(name: str, queue: str, from_address: str) -> MailboxRef:
    return MailboxRef(
        name=name,
        queue=queue,
        from_address=from_address,
        acknowledge=True,
        acknowledgements_per_day=3,
        default_region="RU",
    )


def test_one_message_id_taken_in_by_two_transactions_at_once_is_one_ticket(uow_factory: Any) -> None:
    first_wrote = threading.Event()
    second_started = threading.Event()
    results: dict[str, IntakeResult] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with uow_factory() as uow:
                results["first"] = take_in(
                    uow,
                    mailbox=mailbox("support", "Support", "s@x.example"),
                    uidvalidity=1,
                    uid=1,
                    mail=MAIL,
                    sla=None,
                )
                first_wrote.set()
                second_started.wait(timeout=20)
                time.sleep(0.5)  # the second is now inside take_in, waiting (bounded: one pause)
        except BaseException as error:
            errors.append(error)
            first_wrote.set()

    def second() -> None:
        try:
            first_wrote.wait(timeout=20)
            second_started.set()
            with uow_factory() as uow:  # another account that was sent the same mail
                results["second"] = take_in(
                    uow,
                    mailbox=mailbox("sales", "Sales", "s@y.example"),
                    uidvalidity=9,
                    uid=4,
                    mail=MAIL,
                    sla=None,
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results["first"].created and not results["first"].duplicate
    assert results["second"].duplicate and not results["second"].created
    assert results["second"].ticket_number == results["first"].ticket_number
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(Ticket)).one() == 1
        accounts = sorted(uow.session.exec(select(ProcessedMessage.account)))
    assert accounts == ["sales", "support"]
