"""an index of pending tenure documents, oldest first: the admin's review queue

Revision ID: f6a8c2d4e1b7
Revises: e5b7c3d1a9f4
Create Date: 2026-12-07 15:20:00.000000

The queue sorted every pending document on each visit (28 ms on 100,000 producers, 5,359
pending; ten times more on a million). A partial index reads the oldest ones in order.
"""

import sqlalchemy as sa
from alembic import op

revision = "f6a8c2d4e1b7"
down_revision = "e5b7c3d1a9f4"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_index(
        "ix_tenure_document_pending",
        "tenure_document",
        ["created_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade():
    op.drop_index("ix_tenure_document_pending", table_name="tenure_document")
