"""The domain: every table of DESIGN.md (first cut).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hotline.core.models.types import JSONList, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)

    op.create_table(
        "client_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("contract_level", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "counter",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "failed_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "uidvalidity", "uid", name="uq_failed_uid"),
    )
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tags", JSONList(), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "mail_account_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=True),
        sa.Column("last_uid", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account"),
    )
    op.create_table(
        "operator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_login"), ["login"], unique=True)

    op.create_table(
        "queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "screen_pop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screen_pop", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screen_pop_operator_login"), ["operator_login"], unique=False)

    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("middle_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tags", JSONList(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_interaction_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["client_group.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["client.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["operator.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_last_interaction_at"), ["last_interaction_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_client_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "client_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_email", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_email_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_email_client_id"), ["client_id"], unique=False)

    op.create_table(
        "client_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("raw", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("e164", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("digits", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_phone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_phone_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_phone_e164"), ["e164"], unique=False)

    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("requester", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["operator.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_number"), ["number"], unique=True)
        batch_op.create_index(batch_op.f("ix_ticket_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index("ix_ticket_status_queue", ["status", "queue_id"], unique=False)

    op.create_table(
        "escalation_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("applied_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "rule", "level", name="uq_escalation_step"),
    )
    op.create_table(
        "interaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interaction_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interaction_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interaction_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_interaction_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["operator.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_event_message_id"), ["message_id"], unique=False)
        batch_op.create_index("ix_ticket_event_ticket_created", ["ticket_id", "created_at"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["ticket_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_event_id"), ["event_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("to_addrs", JSONList(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
        sa.Column("in_reply_to", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("references", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["ticket_event.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "processed_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["ticket_event.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "uidvalidity", "uid", name="uq_processed_uid"),
    )
    with op.batch_alter_table("processed_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processed_message_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("processed_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_message_message_id"))

    op.drop_table("processed_message")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))

    op.drop_table("outbox")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_event_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_event_ticket_created")
        batch_op.drop_index(batch_op.f("ix_ticket_event_message_id"))

    op.drop_table("ticket_event")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_operator_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_due_at"))
        batch_op.drop_index(batch_op.f("ix_reminder_client_id"))

    op.drop_table("reminder")
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interaction_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_started_at"))
        batch_op.drop_index(batch_op.f("ix_interaction_operator_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_client_id"))

    op.drop_table("interaction")
    op.drop_table("escalation_step")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_status_queue")
        batch_op.drop_index(batch_op.f("ix_ticket_queue_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_number"))
        batch_op.drop_index(batch_op.f("ix_ticket_client_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_assignee_id"))

    op.drop_table("ticket")
    with op.batch_alter_table("client_phone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_phone_e164"))
        batch_op.drop_index(batch_op.f("ix_client_phone_client_id"))

    op.drop_table("client_phone")
    with op.batch_alter_table("client_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_email_client_id"))
        batch_op.drop_index(batch_op.f("ix_client_email_address"))

    op.drop_table("client_email")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_client_last_interaction_at"))

    op.drop_table("client")
    with op.batch_alter_table("screen_pop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screen_pop_operator_login"))

    op.drop_table("screen_pop")
    op.drop_table("queue")
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_login"))

    op.drop_table("operator")
    op.drop_table("mail_account_state")
    op.drop_table("kb_article")
    op.drop_table("failed_message")
    op.drop_table("counter")
    op.drop_table("client_group")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))

    op.drop_table("audit_entry")
