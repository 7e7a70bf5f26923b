"""Every table of the domain; importing this package registers them all on ``SQLModel.metadata``."""

from hotline.core.models.audit import AuditEntry
from hotline.core.models.clients import Client, ClientEmail, ClientGroup, ClientPhone
from hotline.core.models.interactions import Interaction
from hotline.core.models.kb import KbArticle
from hotline.core.models.mail import FailedMessage, MailAccountState, OutboxMessage, ProcessedMessage
from hotline.core.models.operators import Operator
from hotline.core.models.reminders import Reminder
from hotline.core.models.screen_pop import ChangeSignal, ScreenPop
from hotline.core.models.sla import TicketSla
from hotline.core.models.tickets import Attachment, Counter, EscalationStep, Queue, Ticket, TicketEvent

__all__ = [
    "Attachment",
    "AuditEntry",
    "ChangeSignal",
    "Client",
    "ClientEmail",
    "ClientGroup",
    "ClientPhone",
    "Counter",
    "EscalationStep",
    "FailedMessage",
    "Interaction",
    "KbArticle",
    "MailAccountState",
    "Operator",
    "OutboxMessage",
    "ProcessedMessage",
    "Queue",
    "Reminder",
    "ScreenPop",
    "Ticket",
    "TicketEvent",
    "TicketSla",
]
