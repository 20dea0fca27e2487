"""text messages keep what Twilio reports about reaching the phone

Revision ID: 2eb557856461
Revises: d1b5f7a3c9e2
Create Date: 2026-12-07 22:00:00.000000

A message marked "sent" only meant that Twilio had queued it; whether it reached a producer's
phone (weak signal in the field, a number that no longer exists) arrives later, by Twilio's
status callback. Each message now keeps the last status reported, when, and Twilio's error
code; the callback finds the message by its Twilio SID, hence the index. Messages from before
have no report (NULL): nobody asked Twilio for one.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "2eb557856461"
down_revision = "d1b5f7a3c9e2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=12), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_status_at", UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("delivery_error", sa.Integer(), nullable=True))
    op.create_index("ix_outbound_message_provider_sid", "outbound_message", ["provider_sid"])


def downgrade():
    op.drop_index("ix_outbound_message_provider_sid", table_name="outbound_message")
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_status_at")
        batch_op.drop_column("delivery_status")
