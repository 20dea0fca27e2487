"""credit products: the share of harvest instalments members' pledges must cover

Revision ID: 9d4e2a7c1b35
Revises: 5b8e2c47a1d3
Create Date: 2026-12-07 01:50:00

Under a product that requires offtake, each member's pledged value must cover
collateral_ratio_bp (10 000 = 100 %) of her instalments due in harvest months; existing
products start at 100 %.
"""

import sqlalchemy as sa
from alembic import op

revision = "9d4e2a7c1b35"
down_revision = "5b8e2c47a1d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.add_column(
            sa.Column("collateral_ratio_bp", sa.Integer(), nullable=False, server_default="10000")
        )


def downgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.drop_column("collateral_ratio_bp")
