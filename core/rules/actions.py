"""What a matching rule does, each through the service operation a person would use, plus an audit entry
naming the rule (``rule.action``): assign, set priority/queue/status/tags, note, templated mail,
reminder, notify. Each returns what it did, in words, for the trace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hotline.core.enums import EventKind
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.services.audit import record_audit

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.models import Operator, Ticket
    from hotline.core.rules.book import RuleBook
    from hotline.core.rules.config import EventRuleConfig, RuleAction
    from hotline.core.rules.facts import EventFacts

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def render(template: str, values: dict[str, str]) -> str:
    """The template with ``{field}`` replaced by the event's values (already printable text: the
    values are data, never read as a template again); ``{{`` and ``}}`` are literal braces."""

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        return values.get(match.group(1), "")

    return _FIELD.sub(replace, template)


def _ticket(facts: EventFacts, action: RuleAction) -> Ticket:
    if facts.ticket is None:
        raise InvalidInput(f"{action.kind} needs a ticket and this {facts.event} has none")
    return facts.ticket


def _supervisor(uow: UnitOfWork, rule: EventRuleConfig) -> str:
    from hotline.core.escalation.actions import supervisor_login

    return supervisor_login(uow, rule)


def _operator(uow: UnitOfWork, rule: EventRuleConfig, who: str, facts: EventFacts) -> Operator | None:
    from hotline.core.services.operators import get_operator

    if who == "assignee":
        login = facts.assignee_login
        return get_operator(uow, login=login) if login else None
    return get_operator(uow, login=_supervisor(uow, rule) if who == "supervisor" else who)


def _assign(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    from hotline.core.services.tickets import assign_ticket
    from hotline.core.shifts.routing import MODES, pick_assignee

    ticket = _ticket(facts, action)
    target = str(action.assign)
    if target in MODES:
        chosen = pick_assignee(uow, queue_id=ticket.queue_id, mode=target, at=facts.at)
        if chosen is None:
            return f"nobody of {facts.queue_name} is on shift: left unassigned ({target})"
        login = chosen.login
    else:
        login = _supervisor(uow, rule) if target == "supervisor" else target
    assign_ticket(uow, number=ticket.number, expected_version=None, assignee_login=login, sla=book.sla)
    return f"assigned to {login}" + (f" ({target})" if target in MODES else "")


def _set_field(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    from hotline.core.services.tickets import update_ticket

    ticket = _ticket(facts, action)
    value = action.argument
    update_ticket(uow, number=ticket.number, expected_version=None, sla=book.sla, **{action.kind: value})
    return f"{action.kind} set to {getattr(value, 'value', value)}"


def _tags(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    added = list(action.tags or [])
    if facts.ticket is not None:
        from hotline.core.services.tickets import update_ticket

        tags = sorted({*facts.ticket.tags, *added})
        update_ticket(uow, number=facts.ticket.number, expected_version=None, tags=tags, sla=book.sla)
        return f"tagged {', '.join(added)}"
    client = facts.client
    if client is None:
        raise InvalidInput("tags need a ticket or a client and this event has neither")
    from hotline.core.services.clients import ClientChanges, update_client

    changes = ClientChanges(tags=sorted({*client.tags, *added}))
    update_client(uow, client_id=client.id, changes=changes, default_region=book.default_region)  # type: ignore[arg-type]
    return f"client tagged {', '.join(added)}"


def _note(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    from hotline.core.services.tickets import add_note

    ticket = _ticket(facts, action)
    body = render(str(action.note), facts.template_values(rule.name))
    add_note(
        uow, number=ticket.number, expected_version=None, body=body, sla=book.sla, author=f"rule: {rule.name}"
    )
    return "note added"


def _mail(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    from sqlalchemy.exc import IntegrityError

    from hotline.core.services.mail.acknowledgement import LOOP_HEADERS
    from hotline.core.services.outbox import MailDraft, enqueue_mails, ticket_subject

    mail = action.mail
    assert mail is not None
    values = facts.template_values(rule.name)
    if mail.to == "requester":
        address = facts.ticket.requester if facts.ticket is not None else None
    elif mail.to == "client":
        address = facts.client_email
    elif mail.to == "assignee":
        operator = _operator(uow, rule, "assignee", facts)
        address = operator.email if operator is not None else None
    else:
        address = mail.to
    if not address:
        raise InvalidInput(f"no address for the mail to {mail.to}")
    subject = render(mail.subject, values)
    ticket = facts.ticket
    account = None
    if book.sending is not None and book.sending.accounts:
        account = book.sending.account_for(facts.queue_name or "")
    from_address = account.from_address if account is not None else None
    answer = facts.from_mail and mail.to != "assignee"  # an operator's mailbox answers nobody
    message_id = None
    if answer:
        refused, message_id = _answer_slot(uow, facts, address, from_address)
        if refused:
            return f"mail to {address} not sent: {refused}"
    draft = MailDraft(
        to=[address],
        subject=ticket_subject(ticket.number, subject) if ticket is not None else subject,
        body=render(mail.body, values),
        kind="notification",
        account=account.name if account is not None else None,
        from_address=from_address,
        ticket_id=ticket.id if ticket is not None else None,
        headers=dict(LOOP_HEADERS) if answer else {"Auto-Submitted": "auto-generated"},
        message_id=message_id,
    )
    try:
        with uow.session.begin_nested():
            enqueue_mails(uow, [draft])
    except IntegrityError:  # a parallel run took today's slot first
        return f"mail to {address} not sent: {address} had an automatic answer today"
    return f"mail to {address} queued"


def _answer_slot(
    uow: UnitOfWork, facts: EventFacts, address: str, from_address: str | None
) -> tuple[str, str | None]:
    """A rule's mail raised by an incoming message is an automatic answer (RFC 3834): never to a
    machine's mail, and at most one a day to an address, as acknowledgements are capped
    (``acknowledgement_id`` names today's slot). (Why not, or "") and the Message-ID of the slot."""
    from hotline.core.services.mail.acknowledgement import acknowledgement_id, acknowledgements_today
    from hotline.core.services.outbox import domain_of

    if facts.automated:
        return f"{facts.event} came from a machine ({facts.automated})", None
    domain = domain_of(from_address)
    to = address.strip().lower()
    if acknowledgements_today(uow, sender=to, limit=1, domain=domain, kind="rule"):
        return f"{address} had an automatic answer today", None
    return "", acknowledgement_id(to, uow.now(), 1, domain, kind="rule")


def _reminder(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    from hotline.core.services.reminders import ReminderKind, create_reminder

    reminder = action.reminder
    assert reminder is not None
    operator = _operator(uow, rule, reminder.who, facts)
    if operator is None:
        return f"no reminder: the ticket has no {reminder.who}"
    ticket = facts.ticket
    create_reminder(
        uow,
        text=render(reminder.text, facts.template_values(rule.name)),
        due_at=facts.at + reminder.delay,
        operator_login=operator.login,
        client_id=facts.client.id if facts.client is not None else None,
        ticket_id=ticket.id if ticket is not None else None,
        kind=ReminderKind.TICKET if ticket is not None else ReminderKind.MANUAL,
    )
    return f"reminder for {operator.login}"


def _notify(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    """A reminder due now for the person (the console shows it), and a mail when they have an address."""
    from hotline.core.services.outbox import enqueue_mail
    from hotline.core.services.reminders import ReminderKind, create_reminder

    operator = _operator(uow, rule, str(action.notify), facts)
    if operator is None:
        raise NotFound(f"nobody to notify for {action.notify}")
    ticket = facts.ticket
    about = (
        f"ticket #{ticket.number}: {ticket.subject}" if ticket is not None else f"client {facts.client_id}"
    )
    text = f"Rule {rule.name!r} on {facts.event}: {about}"
    create_reminder(
        uow,
        text=text[:1000],
        due_at=facts.at,
        operator_login=operator.login,
        client_id=facts.client.id if facts.client is not None else None,
        ticket_id=ticket.id if ticket is not None else None,
        kind=ReminderKind.TICKET if ticket is not None else ReminderKind.MANUAL,
    )
    if operator.email:
        enqueue_mail(
            uow, to=[operator.email], subject=f"[hotline] {text}"[:300], body=text + "\n", kind="notification"
        )
        return f"{operator.login} notified (reminder and mail)"
    return f"{operator.login} notified (reminder)"


_APPLY = {
    "assign": _assign,
    "priority": _set_field,
    "queue": _set_field,
    "status": _set_field,
    "tags": _tags,
    "note": _note,
    "mail": _mail,
    "reminder": _reminder,
    "notify": _notify,
}


def apply_action(
    uow: UnitOfWork, book: RuleBook, rule: EventRuleConfig, action: RuleAction, facts: EventFacts
) -> str:
    """Do one action and audit it with the rule's name; returns what was done."""
    did = _APPLY[action.kind](uow, book, rule, action, facts)
    entity, entity_id = (
        ("ticket", facts.ticket.number) if facts.ticket is not None else ("client", facts.client_id)
    )
    record_audit(
        uow,
        action="rule.action",
        entity=entity,
        entity_id=entity_id,
        after={"rule": rule.name, "event": facts.event, "action": str(action), "did": did},
    )
    return did


def record_failure(uow: UnitOfWork, rule: EventRuleConfig, facts: EventFacts, reason: str) -> None:
    """Write a rule's failure where people look: on the ticket (or in the audit for a client event)."""
    after = {"rule": rule.name, "event": facts.event, "failed": reason}
    ticket = facts.ticket
    if ticket is not None:
        from hotline.core.services.tickets import add_event

        add_event(
            uow,
            ticket=ticket,
            kind=EventKind.NOTE,
            body=f"Rule {rule.name!r} failed on {facts.event}: {reason}",
            data={"rule": rule.name, "failed": reason},
            author=f"rule: {rule.name}",
        )
        record_audit(uow, action="rule.failed", entity="ticket", entity_id=ticket.number, after=after)
        return
    record_audit(uow, action="rule.failed", entity="client", entity_id=facts.client_id, after=after)
