"""credit products: grace interest, desgravamen insurance and a fee per payment

Revision ID: 5b7e2c91d4a0
Revises: a9cde5b241d8
Create Date: 2026-12-06 04:00:00.000000

The schedule (credit/schedules.py) needs every term a caja writes: whether grace interest is
capitalised or paid, the monthly insurance on the balance, and a fee charged with each
payment. Existing products get the neutral values (capitalised, 0, 0), which is what their
offers assumed until now; their total cost is recomputed from the schedule when next saved.
"""

import sqlalchemy as sa
from alembic import op

revision = "5b7e2c91d4a0"
down_revision = "a9cde5b241d8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.add_column(
            sa.Column("grace_interest", sa.String(12), nullable=False, server_default="capitalised")
        )
        batch.add_column(
            sa.Column("insurance_monthly_ppm", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("fee_minor", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.drop_column("fee_minor")
        batch.drop_column("insurance_monthly_ppm")
        batch.drop_column("grace_interest")
