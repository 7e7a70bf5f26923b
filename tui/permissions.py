"""Which operation of core's permission table each console command performs.

The check is in the service operation the command calls; this map is what
``tests/tui/test_console_permissions.py`` walks, so a command added without a rule fails the test.
"""

from __future__ import annotations

_READ = (
    "app.help app.palette app.home app.queues app.kb app.quit history.close history.more"
    " timeline_text.close"
    " reminder_list.open_client"
    " card.more card.timeline card.tickets card.reminders card.open card.back note.insert_article"
    " note.cancel file_pick.take file_pick.cancel help.close home.open home.next home.previous home.clear"
    " home.new_client kb_search.insert kb_search.next kb_search.previous kb_search.close"
    " log_call.insert_article log_call.cancel new_client.open_duplicate new_client.cancel queues.open"
    " queues.all queues.mine queues.unassigned queues.breaching queues.status queues.next_queue"
    " queues.previous_queue"
    " queues.reload queues.back ticket.files ticket.reload ticket.client ticket.back choice.cancel"
    " ticket_files.save ticket_files.save_all ticket_files.open ticket_files.close"
    " ticket_text.insert_article ticket_text.attach ticket_text.detach ticket_text.cancel"
    " app.missed_calls missed_calls.open missed_calls.back app.client_list client_list.back client_list.next"
    " client_list.previous client_list.sort client_list.open client_list.groups groups.close"
    " group_form.cancel attribution.keep attribution.cancel log_call.pick_source new_client.pick_source"
    " wallboard.back ticket.rules ticket_rules.close queues.roster roster.back roster.reload"
    " card.people card.organisation whose_card.first whose_card.help kb_search.read kb_search.help"
    " kb_reader.insert kb_reader.help kb_reader.back"
)
_WRITES = {
    "reminder_list.done": "reminder.write",
    "reminder_list.snooze_10m": "reminder.write",
    "reminder_list.snooze_1h": "reminder.write",
    "reminder_list.snooze_tomorrow": "reminder.write",
    "card.log_call": "interaction.write",
    "card.new_ticket": "ticket.write",
    "card.note": "interaction.write",
    "card.reminder": "reminder.write",
    "card.edit": "client.write",
    "note.save": "interaction.write",
    "log_call.save": "interaction.write",
    "new_client.save": "client.write",
    "queues.take": "ticket.write",
    "queues.assign": "ticket.write",
    "ticket.reply": "ticket.write",
    "ticket.note": "ticket.write",
    "ticket.status": "ticket.write",
    "ticket.priority": "ticket.write",
    "ticket.queue": "ticket.write",
    "ticket.assign": "ticket.write",
    "ticket.take": "ticket.write",
    "ticket_text.save": "ticket.write",
    "card.history": "audit.read",
    "card.dial": "call.dial",
    "card.note_call": "interaction.write",
    "ticket.history": "audit.read",
    "missed_calls.done": "call.pop",
    "app.wallboard": "wallboard.read",
    "wallboard.refresh": "wallboard.read",
    "groups.add": "group.manage",
    "groups.edit": "group.manage",
    "groups.remove": "group.manage",
    "group_form.save": "group.manage",
}

COMMAND_OPERATIONS: dict[str, str] = {**dict.fromkeys(_READ.split(), "read"), **_WRITES}
"""Command id → operation (``read`` for moving around and reading)."""

REFUSED_WORK: dict[str, str] = {
    "read": "use the console",
    "client.write": "add or change clients",
    "ticket.write": "change tickets",
    "interaction.write": "log calls and notes",
    "reminder.write": "set or change reminders",
    "call.pop": "take calls on this console",
    "call.dial": "dial from the console",
    "call.pop.other": "ring another operator's console",
    "client.delete": "delete clients",
    "queue.manage": "manage queues",
    "kb.import": "add articles to the knowledge base",
    "kb.reindex": "rebuild the knowledge base's index",
    "kb.delete": "delete knowledge base articles",
    "report": "see reports",
    "report.send": "send reports",
    "wallboard.read": "see the wallboard",
    "client.list_export": "export a list of clients",
    "group.manage": "manage client groups",
    "audit.read": "see the history of changes",
    "escalate": "escalate tickets",
    "mail.failed.read": "see mail that failed",
    "roster.manage": "change the roster",
    "contract.manage": "manage contracts",
    "client.import": "import clients",
    "client.export": "export the client base",
    "db.backup": "back up the database",
    "db.admin": "administer the database",
    "demo.load": "load demo data",
    "operator.manage": "manage operators",
    "mail.run": "run the mail",
    "call.import": "import calls",
}
"""Operation of core's permission table → what it lets a person do, in words for the console's refusals
(``test_console_permissions`` checks every operation has them, so a new one without words fails)."""

_PLURALS = {"operator": "operators", "supervisor": "supervisors", "admin": "admins"}


def refusal_in_words(operation: str) -> str:
    """``Only supervisors and admins can see the history of changes.``: a role refusal of ``operation``
    said for a person (the CLI keeps core's message naming the operation)."""
    from hotline.core.authority import RANK, least_role

    least = RANK[least_role(operation).value]
    roles = [_PLURALS[name] for name, rank in RANK.items() if rank >= least]
    who = roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} and {roles[-1]}"
    return f"Only {who} can {REFUSED_WORK[operation]}."
