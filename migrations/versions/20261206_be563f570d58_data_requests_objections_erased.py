"""data requests, objections, erased producers

Revision ID: be563f570d58
Revises: af4b28ac3dc0
Create Date: 2026-12-06 22:50:18.205279

Producers' data-protection requests (access, rectification, objection, deletion) with their
legal deadline; the objections in force; and the moment a producer's data was erased.
"""

import sqlalchemy as sa
from alembic import op

revision = "be563f570d58"
down_revision = "af4b28ac3dc0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("use", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["user.id"], name=op.f("fk_data_request_filed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producer.id"], name=op.f("fk_data_request_producer_id_producer")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user.id"], name=op.f("fk_data_request_resolved_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request")),
    )
    with op.batch_alter_table("data_request") as batch:
        batch.create_index("ix_data_request_producer", ["producer_id", "created_at"])
        batch.create_index("ix_data_request_status_due", ["status", "due_on"])

    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("use", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["user.id"], name=op.f("fk_objection_changed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producer.id"],
            name=op.f("fk_objection_producer_id_producer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
        sa.UniqueConstraint("producer_id", "use", name=op.f("uq_objection_producer_id_use")),
    )
    with op.batch_alter_table("producer") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("producer") as batch:
        batch.drop_column("erased_at")
    op.drop_table("objection")
    with op.batch_alter_table("data_request") as batch:
        batch.drop_index("ix_data_request_status_due")
        batch.drop_index("ix_data_request_producer")
    op.drop_table("data_request")
