"""forest rasters read by window (stored file, sha, bounds, declared content) and an
append-only history of plot assessments (the layers read kept once per set) with the
farm's pointer to its current one

Revision ID: 7f3a9c2e1b64
Revises: 9d4e2a7c1b35
Create Date: 2026-12-07 02:00:00.000000

Rows from before: existing layers keep their polygons (vector, or rasters already
polygonised: content stays empty and they still read as loss polygons); farms get no
assessment row until the next `flask forest assess`.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "7f3a9c2e1b64"
down_revision = "9d4e2a7c1b35"
branch_labels = None
depends_on = None

LAYER_COLUMNS = (
    ("content", sa.String(length=20)),
    ("version", sa.String(length=40)),
    ("path", sa.String(length=300)),
    ("sha256", sa.String(length=64)),
    ("crs", sa.String(length=20)),
    ("width", sa.Integer()),
    ("height", sa.Integer()),
    ("pixel_deg", sa.Double()),
    ("nodata", sa.Double()),
    ("min_lon", sa.Double()),
    ("min_lat", sa.Double()),
    ("max_lon", sa.Double()),
    ("max_lat", sa.Double()),
)


def upgrade():
    with op.batch_alter_table("forest_layer") as batch:
        for name, kind in LAYER_COLUMNS:
            if name == "version":
                batch.add_column(sa.Column(name, kind, nullable=False, server_default=""))
            else:
                batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "forest_layer_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "forest_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plot_ha", sa.Double(), nullable=True),
        sa.Column("point", sa.Boolean(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("layer_set_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("assessed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["layer_set_id"], ["forest_layer_set.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forest_assessment") as batch:
        batch.create_index(batch.f("ix_forest_assessment_farm_id"), ["farm_id"], unique=False)
    with op.batch_alter_table("farm") as batch:
        batch.add_column(sa.Column("risk_assessment_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("farm") as batch:
        batch.drop_column("risk_assessment_id")
    with op.batch_alter_table("forest_assessment") as batch:
        batch.drop_index(batch.f("ix_forest_assessment_farm_id"))
    op.drop_table("forest_assessment")
    op.drop_table("forest_layer_set")
    with op.batch_alter_table("forest_layer") as batch:
        for name, _kind in reversed(LAYER_COLUMNS):
            batch.drop_column(name)
