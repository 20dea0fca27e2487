"""farm tenure kinds; loans keep the readiness factors at grant

Revision ID: 7c41d2e9a5b3
Revises: 43569f919411
Create Date: 2026-12-07 02:00:00.000000

`farm.tenure` says which document the producer holds (title, ejido certificates, certificate
of possession, tenancy, none); `farm.land_title` stays and now means "secure tenure". Farms
with a title become `title`, the others `none`. `loan.factors_at_grant` keeps the producer's
readiness factors when the loan was approved (NULL for loans approved before).
"""

import sqlalchemy as sa
from alembic import op

revision = "7c41d2e9a5b3"
down_revision = "43569f919411"
branch_labels = None
depends_on = None

FARM = sa.table("farm", sa.column("tenure", sa.String), sa.column("land_title", sa.Boolean))


def upgrade():
    with op.batch_alter_table("farm") as batch:
        batch.add_column(
            sa.Column("tenure", sa.String(length=20), server_default="none", nullable=False)
        )
    op.execute(FARM.update().where(FARM.c.land_title.is_(True)).values(tenure="title"))
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("factors_at_grant", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("factors_at_grant")
    with op.batch_alter_table("farm") as batch:
        batch.drop_column("tenure")
