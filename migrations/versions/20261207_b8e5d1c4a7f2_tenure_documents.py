"""tenure documents of a plot (upload and an admin's review)

Revision ID: b8e5d1c4a7f2
Revises: b6e1f04c8d27
Create Date: 2026-12-07 05:30:00.000000

Rows from before: no plot has a document, so every plot reads "sin documento"; `farm.land_title`
keeps meaning "declared secure tenure", and the credit factor now also asks for an accepted
document (credit.frames), so no farm counts as securely held until its document is accepted.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "b8e5d1c4a7f2"
down_revision = "b6e1f04c8d27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tenure_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tenure", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("authority", sa.String(length=120), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("holder_name", sa.String(length=160), nullable=False),
        sa.Column("file_path", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=20), nullable=True),
        sa.Column("review_note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tenure_document_farm_id", "tenure_document", ["farm_id"])
    op.create_index("ix_tenure_document_status", "tenure_document", ["status"])


def downgrade():
    op.drop_index("ix_tenure_document_status", table_name="tenure_document")
    op.drop_index("ix_tenure_document_farm_id", table_name="tenure_document")
    op.drop_table("tenure_document")
