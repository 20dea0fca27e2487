"""credit products: group size (min and max members) and targeted archetype types; a
credit group's archetype and cooperative

Revision ID: 5b8e2c47a1d3
Revises: 7c41d2e9a5b3
Create Date: 2026-12-07 02:00:00.000000

Existing products get the run's widest group bounds (5 to 30 members, what groups were
formed within until now) and target every archetype (an empty list), so their matching does
not change by this revision alone. Groups of earlier runs mixed types and cooperatives: their
archetype and cooperative stay empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "5b8e2c47a1d3"
down_revision = "7c41d2e9a5b3"
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


    with op.batch_alter_table("cluster") as batch:
        batch.add_column(sa.Column("archetype", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("cooperative_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_cluster_cooperative_id_organization"),
            "organization",
            ["cooperative_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("cluster") as batch:
        batch.drop_constraint(batch.f("fk_cluster_cooperative_id_organization"), type_="foreignkey")
        batch.drop_column("cooperative_id")
        batch.drop_column("archetype")
    with op.batch_alter_table("credit_product") as batch:
        batch.drop_column("target_archetypes")
        batch.drop_column("max_members")
        batch.drop_column("min_members")
