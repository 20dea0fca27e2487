"""index of the accounts, newest first

Revision ID: c5e9a2d7f4b1
Revises: b4d6f8a1c3e5
Create Date: 2026-12-08 02:35:00.000000

The admin's list of accounts is newest first. Without an index PostgreSQL read every user
and sorted them for each page (30 ms on the million-producer world's 103,026 accounts, in
parallel workers that queued under 8 clients: 712 ms p95). With it, a page reads its 25 rows.
"""

from alembic import op

revision = "c5e9a2d7f4b1"
down_revision = "b4d6f8a1c3e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_user_newest", "user", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_user_newest", table_name="user")
