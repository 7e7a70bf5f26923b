"""Who may do what: the one permission table (operation → least role) and the checks on a login.

Every service operation asks its unit of work to ``authorize`` one of these operations; the faces never
decide. A refusal is an audit entry of its own (it survives the rolled-back unit of work).
"""

from __future__ import annotations

from hotline.core.enums import Role
from hotline.core.errors import PermissionDenied
from hotline.core.text import printable

RANK: dict[str, int] = {Role.OPERATOR.value: 1, Role.SUPERVISOR.value: 2, Role.ADMIN.value: 3}
"""Roles in order: each may do everything the ones below it may."""

PERMISSIONS: dict[str, Role] = {
    # reading: lookup, cards, tickets, the knowledge base, one's own reminders
    "read": Role.OPERATOR,
    # the daily writes of the console and the CLI
    "client.write": Role.OPERATOR,
    "ticket.write": Role.OPERATOR,
    "interaction.write": Role.OPERATOR,
    "reminder.write": Role.OPERATOR,
    "call.pop": Role.OPERATOR,
    "call.dial": Role.OPERATOR,
    "call.pop.other": Role.SUPERVISOR,  # ring another operator's console (the phone system: any one)
    # supervisors: queues, the knowledge base, reports (and mailing them), the wallboard, exporting a
    # listed page of clients, client groups, the audit trail, escalation, failed mail
    "client.delete": Role.SUPERVISOR,
    "queue.manage": Role.SUPERVISOR,
    "kb.import": Role.SUPERVISOR,
    "kb.reindex": Role.SUPERVISOR,
    "kb.delete": Role.SUPERVISOR,
    "report": Role.SUPERVISOR,
    "report.send": Role.SUPERVISOR,
    "wallboard.read": Role.SUPERVISOR,
    "client.list_export": Role.SUPERVISOR,
    "group.manage": Role.SUPERVISOR,
    "audit.read": Role.SUPERVISOR,
    "escalate": Role.SUPERVISOR,
    "mail.failed.read": Role.SUPERVISOR,
    "roster.manage": Role.SUPERVISOR,
    "contract.manage": Role.SUPERVISOR,
    # admins: the client base as a whole, the system, the people
    "client.import": Role.ADMIN,
    "client.export": Role.ADMIN,
    "db.backup": Role.ADMIN,
    "db.admin": Role.ADMIN,
    "demo.load": Role.ADMIN,
    "operator.manage": Role.ADMIN,
    "mail.run": Role.ADMIN,
    "call.import": Role.ADMIN,
}
"""Operation → the least role that may perform it."""


def least_role(operation: str) -> Role:
    """The least role for ``operation``; an operation without a rule is a programming error."""
    try:
        return PERMISSIONS[operation]
    except KeyError:
        raise AssertionError(f"no permission rule for operation {operation!r}") from None


def allows(role: str, operation: str) -> bool:
    """Whether an operator of ``role`` may perform ``operation``."""
    return RANK.get(role, 0) >= RANK[least_role(operation).value]


def checked_login(login: str | None, *, where: str = "--operator") -> str:
    """A login as typed, refused (exit 2) when blank or holding control characters or escapes."""
    if login is None or not login.strip():
        raise PermissionDenied("a blank login is not an operator", where=where)
    if printable(login) != login or any(char.isspace() for char in login):
        raise PermissionDenied(f"a login never holds control characters or spaces: {login!r}", where=where)
    return login


def refusal_message(*, login: str, role: str, active: bool, operation: str) -> str | None:
    """Why ``login`` may not perform ``operation`` (one line), or ``None`` when it may."""
    if not active:
        return f"operator {login!r} is deactivated"
    if allows(role, operation):
        return None
    least = RANK[least_role(operation).value]
    wanted = " or ".join(name for name, rank in RANK.items() if rank >= least)
    return f"operator {login!r} is {with_article(role)}; {operation} needs {wanted}"


def with_article(role: str) -> str:
    """``an operator``, ``a supervisor``, ``an admin``."""
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"
