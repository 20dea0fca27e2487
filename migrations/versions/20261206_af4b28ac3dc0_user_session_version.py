"""user session version: sign-out, password change and deactivation end every session

Revision ID: af4b28ac3dc0
Revises: c3a7e5d19f42
Create Date: 2026-12-06 21:22:24.314925

Sessions and remember-me cookies issued before this revision carry a bare user id, which the
loader no longer accepts: everyone signs in once more after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "af4b28ac3dc0"
down_revision = "c3a7e5d19f42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
