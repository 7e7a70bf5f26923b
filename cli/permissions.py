"""Which operation of core's permission table each command performs (``None``: it touches no hotline
data, only a local file or the schema's state).

The check itself is in the service operation; this map is what ``tests/cli/test_permissions_cli.py``
walks, with every role, so a command added without a rule fails the test.
"""

from __future__ import annotations

COMMAND_OPERATIONS: dict[str, str | None] = {
    "console": "read",
    "db init": "db.admin",
    "db upgrade": "db.admin",
    "db status": None,
    "db backup": "db.backup",
    "db grants": "db.admin",
    "config path": None,
    "config init": None,
    "config check": "read",
    "demo": "demo.load",
    "operators add": "operator.manage",
    "operators list": "read",
    "operators role": "operator.manage",
    "operators deactivate": "operator.manage",
    "lookup": "read",
    "clients import": "client.import",
    "clients export": "client.export",
    "clients show": "read",
    "tickets list": "read",
    "tickets show": "read",
    "tickets create": "ticket.write",
    "tickets reply": "ticket.write",
    "tickets attachment": "read",
    "escalate": "escalate",
    "mail poll": "mail.run",
    "mail send": "mail.run",
    "mail failed": "mail.failed.read",
    "kb import": "kb.import",
    "kb search": "read",
    "kb show": "read",
    "kb reindex": "kb.reindex",
    "reminders due": "read",
    "reminders list": "read",
    "reminders add": "reminder.write",
    "reminders done": "reminder.write",
    "reminders snooze": "reminder.write",
    "report operators": "report",
    "report aging": "report",
    "report sla": "report",
    "report calls": "report",
    "call incoming": "call.pop",
    "call log": "call.import",
    "call import-cdr": "call.import",
    "call dial": "call.dial",
    "call listen": "call.import",
    "audit list": "audit.read",
}
