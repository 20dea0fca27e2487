"""text messages: a producer's opt-in per channel and language, the outbox, one-time codes

Revision ID: d4a8c2e6f1b9
Revises: d4f2a9c7e1b3
Create Date: 2026-12-07 12:00:00.000000

Rows from before: no producer has opted in to SMS or WhatsApp (both false) and her messages'
language is Spanish; the outbox and the codes start empty.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "d4a8c2e6f1b9"
down_revision = "d4f2a9c7e1b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("producer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sms_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("whatsapp_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("message_locale", sa.String(length=5), server_default="es", nullable=False)
        )
    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("to", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producer.id"], name="fk_outbound_message_producer_id_producer"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_outbound_message_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_outbound_message"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbound_message_dedupe_key"),
    )
    op.create_index("ix_outbound_message_due", "outbound_message", ["status", "next_attempt_at"])
    op.create_index("ix_outbound_message_producer_id", "outbound_message", ["producer_id"])
    op.create_table(
        "one_time_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producer.id"], name="fk_one_time_code_producer_id_producer"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_one_time_code_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_code"),
    )
    op.create_index("ix_one_time_code_user_id", "one_time_code", ["user_id"])


def downgrade():
    op.drop_index("ix_one_time_code_user_id", table_name="one_time_code")
    op.drop_table("one_time_code")
    op.drop_index("ix_outbound_message_producer_id", table_name="outbound_message")
    op.drop_index("ix_outbound_message_due", table_name="outbound_message")
    op.drop_table("outbound_message")
    with op.batch_alter_table("producer", schema=None) as batch_op:
        batch_op.drop_column("message_locale")
        batch_op.drop_column("whatsapp_opt_in")
        batch_op.drop_column("sms_opt_in")
