"""legal layers (protected areas, indigenous territories: named polygons with bounding boxes)
and overlaps between plots of different producers

Revision ID: b6e1f04c8d27
Revises: 7f3a9c2e1b64
Create Date: 2026-12-07 05:00:00.000000

Rows from before: no legal layer exists and no overlap has been detected; the next
`flask forest assess` finds the overlaps between existing plots.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "b6e1f04c8d27"
down_revision = "7f3a9c2e1b64"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "legal_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=120), server_default="", nullable=False),
        sa.Column("iucn_category", sa.String(length=20), server_default="", nullable=False),
        sa.Column("designation", sa.String(length=200), server_default="", nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("min_lat", sa.Double(), nullable=False),
        sa.Column("max_lat", sa.Double(), nullable=False),
        sa.Column("min_lon", sa.Double(), nullable=False),
        sa.Column("max_lon", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["layer_id"], ["forest_layer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_area_layer_id", "legal_area", ["layer_id"])
    op.create_index(
        "ix_legal_area_bbox", "legal_area", ["min_lat", "max_lat", "min_lon", "max_lon"]
    )
    op.create_table(
        "plot_overlap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("farm_a_id", sa.Integer(), nullable=False),
        sa.Column("farm_b_id", sa.Integer(), nullable=False),
        sa.Column("overlap_ha", sa.Double(), nullable=False),
        sa.Column("share_a", sa.Double(), nullable=False),
        sa.Column("share_b", sa.Double(), nullable=False),
        sa.Column("found_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["farm_a_id"], ["farm.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["farm_b_id"], ["farm.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("farm_a_id", "farm_b_id"),
    )
    op.create_index("ix_plot_overlap_farm_a_id", "plot_overlap", ["farm_a_id"])
    op.create_index("ix_plot_overlap_farm_b_id", "plot_overlap", ["farm_b_id"])


def downgrade():
    op.drop_index("ix_plot_overlap_farm_b_id", table_name="plot_overlap")
    op.drop_index("ix_plot_overlap_farm_a_id", table_name="plot_overlap")
    op.drop_table("plot_overlap")
    op.drop_index("ix_legal_area_bbox", table_name="legal_area")
    op.drop_index("ix_legal_area_layer_id", table_name="legal_area")
    op.drop_table("legal_area")
