"""a credit group keeps its members per tenth of readiness

Revision ID: e7c2a4f9b1d3
Revises: 2eb557856461
Create Date: 2026-12-07 21:10:00.000000

The lender's list of groups drew its readiness histogram from every member of its groups:
at a million producers, tens of thousands of rows on every visit. Each group now keeps its
members' count per tenth (0-10 %, ..., 90-100 %, 1.0 in the last), written by the matching
run; the groups stored before get theirs from their members here.
"""

import sqlalchemy as sa
from alembic import op

revision = "e7c2a4f9b1d3"
down_revision = "2eb557856461"
branch_labels = None
depends_on = None

TENTHS = 10
cluster = sa.table(
    "cluster", sa.column("id", sa.Integer), sa.column("readiness_tenths", sa.JSON)
)
assessment = sa.table(
    "assessment", sa.column("cluster_id", sa.Integer), sa.column("readiness", sa.Float)
)


def _tenth(i: int):
    within = []
    if i > 0:
        within.append(assessment.c.readiness >= i / TENTHS)
    if i < TENTHS - 1:
        within.append(assessment.c.readiness < (i + 1) / TENTHS)
    return sa.func.sum(sa.case((sa.and_(*within), 1), else_=0))


def upgrade():
    with op.batch_alter_table("cluster") as batch_op:
        batch_op.add_column(sa.Column("readiness_tenths", sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(assessment.c.cluster_id, *(_tenth(i) for i in range(TENTHS)))
        .where(assessment.c.cluster_id.is_not(None))
        .group_by(assessment.c.cluster_id)
    ).all()
    if rows:
        connection.execute(
            cluster.update()
            .where(cluster.c.id == sa.bindparam("group"))
            .values(readiness_tenths=sa.bindparam("tenths")),
            [{"group": row[0], "tenths": [int(n) for n in row[1:]]} for row in rows],
        )


def downgrade():
    with op.batch_alter_table("cluster") as batch_op:
        batch_op.drop_column("readiness_tenths")
