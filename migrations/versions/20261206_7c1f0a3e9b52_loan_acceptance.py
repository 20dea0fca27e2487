"""loans: the producer's acceptance of the schedule (hoja resumen)

Revision ID: 7c1f0a3e9b52
Revises: 5b7e2c91d4a0
Create Date: 2026-12-06 04:30:00.000000

No money may be disbursed or spent on inputs before the producer accepts the loan's schedule
and cost. Loans already disbursed, repaid or in default were taken up in fact: they are
marked accepted at their approval time (by nobody in particular: accepted_by_id stays
empty). Approved loans not yet disbursed wait for the producer's answer.
"""

import sqlalchemy as sa
from alembic import op

revision = "7c1f0a3e9b52"
down_revision = "5b7e2c91d4a0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("accepted_in_person", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(batch.f("fk_loan_accepted_by_id_user"), "user", ["accepted_by_id"], ["id"])
    op.execute(
        "UPDATE loan SET accepted_at = approved_at "
        "WHERE status IN ('disbursed', 'repaid', 'defaulted')"
    )


def downgrade():
    op.execute("UPDATE loan SET status = 'approved' WHERE status = 'declined'")
    with op.batch_alter_table("loan") as batch:
        batch.drop_constraint(batch.f("fk_loan_accepted_by_id_user"), type_="foreignkey")
        batch.drop_column("accepted_in_person")
        batch.drop_column("accepted_by_id")
        batch.drop_column("accepted_at")
