"""organization verification: tax id, document, rejection

Revision ID: 5d0c7a91e2b4
Revises: be563f570d58
Create Date: 2026-12-06 23:10:00

Organizations submit a tax id and a document; admins verify or reject them with a reason.
"""

import sqlalchemy as sa
from alembic import op

import marketplace.types

revision = "5d0c7a91e2b4"
down_revision = "be563f570d58"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("document_path", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("rejected_at", marketplace.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("verified_name_key", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("verified_tax_id", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_organization_tax_id"), ["tax_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_organization_verified_name", ["country", "verified_name_key"]
        )
        batch_op.create_unique_constraint(
            "uq_organization_verified_tax_id", ["country", "verified_tax_id"]
        )


def downgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_constraint("uq_organization_verified_tax_id", type_="unique")
        batch_op.drop_constraint("uq_organization_verified_name", type_="unique")
        batch_op.drop_index(batch_op.f("ix_organization_tax_id"))
        batch_op.drop_column("verified_tax_id")
        batch_op.drop_column("verified_name_key")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("document_path")
        batch_op.drop_column("tax_id")
