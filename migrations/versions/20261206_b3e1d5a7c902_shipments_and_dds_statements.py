"""shipments (embarques), their lots and their DDS statements

Revision ID: b3e1d5a7c902
Revises: 4f8d2b61c7a3
Create Date: 2026-12-06 20:40:00.000000

A buyer's closed lots grouped for an EU importer; one statement row per part of the
geolocation, each filed as its own DDS with its reference and verification numbers.
"""

import sqlalchemy as sa
from alembic import op

revision = "b3e1d5a7c902"
down_revision = "4f8d2b61c7a3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("value_chain", sa.String(length=20), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=False),
        sa.Column("description", sa.String(length=150), nullable=False),
        sa.Column("importer_name", sa.String(length=200), nullable=False),
        sa.Column("importer_country", sa.String(length=2), nullable=False),
        sa.Column("importer_eori", sa.String(length=17), nullable=False),
        sa.Column("exporter_name", sa.String(length=200), nullable=False),
        sa.Column("exporter_country", sa.String(length=2), nullable=False),
        sa.Column("exporter_eori", sa.String(length=17), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_shipment_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["user.id"], name=op.f("fk_shipment_filed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_shipment_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("code", name=op.f("uq_shipment_code")),
    )
    with op.batch_alter_table("shipment") as batch:
        batch.create_index(batch.f("ix_shipment_organization_id"), ["organization_id"])

    op.create_table(
        "shipment_lot",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["user.id"], name=op.f("fk_shipment_lot_added_by_id_user")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_shipment_lot_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipment.id"], name=op.f("fk_shipment_lot_shipment_id_shipment")
        ),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_shipment_lot")),
    )
    with op.batch_alter_table("shipment_lot") as batch:
        batch.create_index(batch.f("ix_shipment_lot_shipment_id"), ["shipment_id"])

    op.create_table(
        "shipment_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("farm_ids", sa.JSON(), nullable=False),
        sa.Column("producers", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("reference_number", sa.String(length=14), nullable=True),
        sa.Column("verification_number", sa.String(length=8), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["user.id"], name=op.f("fk_shipment_statement_filed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
            name=op.f("fk_shipment_statement_shipment_id_shipment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_statement")),
        sa.UniqueConstraint(
            "reference_number", name=op.f("uq_shipment_statement_reference_number")
        ),
        sa.UniqueConstraint(
            "shipment_id", "part", name=op.f("uq_shipment_statement_shipment_id_part")
        ),
    )


def downgrade():
    op.drop_table("shipment_statement")
    with op.batch_alter_table("shipment_lot") as batch:
        batch.drop_index(batch.f("ix_shipment_lot_shipment_id"))
    op.drop_table("shipment_lot")
    with op.batch_alter_table("shipment") as batch:
        batch.drop_index(batch.f("ix_shipment_organization_id"))
    op.drop_table("shipment")
