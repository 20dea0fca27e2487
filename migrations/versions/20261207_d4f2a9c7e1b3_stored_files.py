"""uploaded files in the database (MINKA_FILE_STORAGE=database)

Revision ID: d4f2a9c7e1b3
Revises: c3d9e7a1f5b2
Create Date: 2026-12-07 12:00:00.000000

Several web hosts cannot read each other's instance folder: with MINKA_FILE_STORAGE=database
field photos, tenure documents and organizations' documents are kept in this table under the
key the rows naming them already keep (marketplace/files.py). No data changes.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "d4f2a9c7e1b3"
down_revision = "c3d9e7a1f5b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stored_file")),
    )


def downgrade():
    op.drop_table("stored_file")
