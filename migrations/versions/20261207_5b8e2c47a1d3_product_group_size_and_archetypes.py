"""credit products: group size (min and max members) and targeted archetype types

Revision ID: 5b8e2c47a1d3
Revises: 43569f919411
Create Date: 2026-12-07 02:00:00.000000

Existing products get the run's widest group bounds (5 to 30 members, what groups were
formed within until now) and target every archetype (an empty list), so their matching does
not change by this revision alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "5b8e2c47a1d3"
down_revision = "43569f919411"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.add_column(
            sa.Column("min_members", sa.Integer(), nullable=False, server_default="5")
        )
        batch.add_column(
            sa.Column("max_members", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(
            sa.Column("target_archetypes", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.drop_column("target_archetypes")
        batch.drop_column("max_members")
        batch.drop_column("min_members")
