"""entries sent from a technician's phone after working offline, and a walked outline's accuracy

Revision ID: d4e2f8a6b1c9
Revises: d4a8c2e6f1b9
Create Date: 2026-12-07 12:00:00.000000

sync_receipt keeps the idempotency key of every entry a phone queued offline (unique), with
the record it made, so a retry returns the first answer instead of a duplicate
(marketplace/fieldwork). farm.polygon_accuracy_m is the mean GPS accuracy of the corners of an
outline walked with the phone. No data changes.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "d4e2f8a6b1c9"
down_revision = "d4a8c2e6f1b9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_sync_receipt_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_receipt")),
        sa.UniqueConstraint("key", name=op.f("uq_sync_receipt_key")),
    )
    with op.batch_alter_table("sync_receipt") as batch:
        batch.create_index(batch.f("ix_sync_receipt_user_id"), ["user_id"])
    with op.batch_alter_table("farm") as batch:
        batch.add_column(sa.Column("polygon_accuracy_m", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("farm") as batch:
        batch.drop_column("polygon_accuracy_m")
    with op.batch_alter_table("sync_receipt") as batch:
        batch.drop_index(batch.f("ix_sync_receipt_user_id"))
    op.drop_table("sync_receipt")
