"""indexes of a user's and an organization's notifications, newest first

Revision ID: b4d6f8a1c3e5
Revises: e7c2a4f9b1d3
Create Date: 2026-12-08 01:10:00.000000

The notices page lists what is addressed to the reader or to her organization, newest first.
Read with one OR, PostgreSQL gathered every notice of the cooperative and sorted them (72 ms
for the demo technician of the million-producer world, whose cooperative was told of every
overlapping plot, plus 62 ms counting them). With an index on each side by date, each side is
read newest first and the two are merged: the page reads its 25 rows.
"""

from alembic import op

revision = "b4d6f8a1c3e5"
down_revision = "e7c2a4f9b1d3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notification_user_newest", "notification", ["user_id", "created_at", "id"])
    op.create_index(
        "ix_notification_org_newest", "notification", ["organization_id", "created_at", "id"]
    )


def downgrade():
    op.drop_index("ix_notification_org_newest", table_name="notification")
    op.drop_index("ix_notification_user_newest", table_name="notification")
