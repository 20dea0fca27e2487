"""loan ledger: a disbursed loan's instalments, the late-payment rate, the amount step

Revision ID: e358261a6f67
Revises: 7c1f0a3e9b52
Create Date: 2026-12-06 14:09:20.878599

A disbursed loan's schedule is fixed at disbursement in loan_instalment, with where each
instalment stands (due, paid, late charge), and the loan keeps the capital still owed
(balance_minor). Loans disbursed before this revision get theirs
from their product the first time the ledger reads them (credit/ledger.py). Products gain
the interés moratorio (late_rate_bp, 0 until the lender states it) and the step loan
amounts are proposed in (amount_step_minor, 0: to the minor unit).
"""

import sqlalchemy as sa
from alembic import op

revision = "e358261a6f67"
down_revision = "7c1f0a3e9b52"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "loan_instalment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("capital_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("insurance_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("due_minor", sa.BigInteger(), nullable=False),
        sa.Column("late_charge_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan.id"],
            name=op.f("fk_loan_instalment_loan_id_loan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_instalment")),
    )
    with op.batch_alter_table("loan_instalment") as batch:
        batch.create_index("ix_loan_instalment_due", ["loan_id", "due_on"], unique=False)
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("balance_minor", sa.BigInteger(), nullable=True))
    # until the ledger first reads them: the amount less what was repaid, as before
    op.execute(
        "UPDATE loan SET balance_minor = amount_minor - COALESCE("
        "(SELECT SUM(amount_minor) FROM repayment WHERE repayment.loan_id = loan.id), 0) "
        "WHERE status = 'disbursed'"
    )
    with op.batch_alter_table("credit_product") as batch:
        batch.add_column(
            sa.Column("late_rate_bp", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("amount_step_minor", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("credit_product") as batch:
        batch.drop_column("amount_step_minor")
        batch.drop_column("late_rate_bp")
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("balance_minor")
    with op.batch_alter_table("loan_instalment") as batch:
        batch.drop_index("ix_loan_instalment_due")
    op.drop_table("loan_instalment")
